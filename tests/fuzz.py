"""What the fuzzing tests share: the app's own URL patterns found by walking the resolver, a small world to fill
their ids, the fields of every form found on the rendered pages, hostile values, and the checks (no 5xx, no error
logged, nothing half-saved).

Pages are found, not listed: a new URL pattern is fuzzed as soon as it can be built from the world's ids or a
rendered page has a form that posts to it; one that is neither fails ``test_every_page_is_fuzzed_or_exempt``.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from django.apps import apps
from django.db import transaction
from django.db.models import CharField, JSONField, Q, TextField
from django.db.models.functions import Cast
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from assessments import services as assessment_services
from assessments.services.attestation_links import attestation_link_send
from tests import factories
from tests.api import build_world
from vendors.model_files import CONFIG, check_file
from vendors.models import AIModel, LineageRefresh, ModelFilesUpload
from vendors.services.model_files import model_files_upload

#: The apps whose rows a refused POST must leave as they were (and whose pages are fuzzed).
APPS = ("riskregistry", "vendors", "assessments", "reports", "webhooks", "auth")

#: Patterns left out, each with the reason. Everything else is fuzzed.
EXEMPT_PATHS = {
    "admin/": "Django's admin: its own forms, read-only or saving through the services (tests/test_admin.py)",
    "api/": "the REST API and its schema pages: fuzzed from the OpenAPI schema by schemathesis (test_api_schema.py)",
}
EXEMPT = {
    "healthz": "no input: a fixed JSON answer for the load balancer",
    "logout": "no input: POST ends the session",
    "password_change_done": "no input: a static confirmation page",
    "login": "fuzzed anonymously in test_fuzz_forms.test_sign_in_form_under_hostile_values",
}


@dataclass
class Route:
    """One URL pattern of the app: its qualified name, its keyword arguments, and whether it answers GET."""

    name: str
    path: str  # the pattern, as written (``vendors/<int:pk>/edit/``)
    kwargs: tuple[str, ...]
    callback: object

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def answers_get(self) -> bool:
        view = self.view_class
        if view is None:
            return True
        return "get" in view.http_method_names and hasattr(view, "get")

    @property
    def answers_post(self) -> bool:
        view = self.view_class
        return view is not None and "post" in view.http_method_names and hasattr(view, "post")

    @property
    def filterset_class(self):
        return getattr(self.view_class, "filterset_class", None)


@functools.cache
def routes() -> dict[str, Route]:
    """Every named URL pattern under the project's root URLconf, by qualified name (``vendors:vendor_list``)."""
    found: dict[str, Route] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for entry in patterns:
            path = f"{prefix}{entry.pattern}"
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, path)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                found.setdefault(name, Route(name, path, tuple(entry.pattern.regex.groupindex), entry.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


def exemption(name: str) -> str | None:
    """Why a pattern is not fuzzed, or None."""
    path = routes()[name].path if name in routes() else ""
    for prefix, reason in EXEMPT_PATHS.items():
        if path.startswith(prefix):
            return reason
    return EXEMPT.get(name)


def fuzzed_routes() -> list[Route]:
    return [route for name, route in sorted(routes().items()) if exemption(name) is None]


# --- the world ---------------------------------------------------------------------------------------------------


@dataclass
class FuzzWorld:
    """build_world's objects, a lineage refresh, and live portal links for the vendor's side."""

    world: object
    refresh: LineageRefresh
    assessment_token: str
    attestation_token: str
    model_upload: ModelFilesUpload  # a private model's uploaded config files (and so the model's upload form)

    def kwargs_for(self, name: str) -> dict | None:
        """The URL keyword arguments that open ``name`` on this world, or None when none are known (a POST-only
        endpoint is then reached through the forms that post to it)."""
        w = self.world
        by_name = {
            "assessments:assessment_evidence": {"pk": w.assessment.pk, "evidence_pk": w.evidence.pk},
            "assessments:evidence_retire": {"pk": w.assessment.pk, "evidence_pk": w.evidence.pk},
            "portal:assessment_evidence": {"pk": w.assessment.pk, "evidence_pk": w.evidence.pk},
            "webhooks:message_resend": {"pk": w.webhook_message.pk},
            "portal:assessment_enter": {"token": self.assessment_token},
            "portal:attestation_enter": {"token": self.attestation_token},
            "portal:attestation_pdf": {"pk": w.attestation_request.pk, "kind": "request"},
            "vendors:declared_parent_create": {"pk": w.model.pk},
            "vendors:lineage_refresh_detail": {"pk": self.refresh.pk},
            "vendors:csv_import_detail": {"pk": w.csv_import.pk},
            "vendors:model_files_upload": {"pk": self.model_upload.model_id},
            "vendors:model_files_download": {
                "pk": self.model_upload.model_id,
                "upload_pk": self.model_upload.pk,
                "kind": "config",
            },
        }
        if name == "two_factor_remove":  # another person's devices, lifted by an admin
            from django.contrib.auth import get_user_model

            return {"user_id": get_user_model().objects.order_by("pk").values_list("pk", flat=True).first()}
        if name in by_name:
            return by_name[name]
        route = routes()[name]
        if not route.kwargs:
            return {}
        if route.kwargs == ("vendor_pk",):
            return {"vendor_pk": w.vendor.pk}
        if route.kwargs == ("product_pk",):
            return {"product_pk": w.product.pk}
        if route.kwargs != ("pk",):
            return None
        model = getattr(route.view_class, "model", None)
        for obj in (w.vendor, w.contact, w.product, w.usage, w.model, w.finding, w.assessment, w.report, w.webhook):
            if model is type(obj):
                return {"pk": obj.pk}
        prefixes = {
            "vendors:vendor_": w.vendor, "vendors:contact_": w.contact, "vendors:product_": w.product,
            "vendors:usage_": w.usage, "vendors:model_": w.model, "assessments:finding_": w.finding,
            "assessments:assessment_": w.assessment, "assessments:usage_": w.usage,
            "assessments:attestation_": w.attestation_request, "portal:assessment": w.assessment,
            "portal:attestation": w.attestation_request, "reports:report_": w.report,
            "webhooks:endpoint_": w.webhook,
        }  # fmt: skip
        for prefix, obj in prefixes.items():
            if name.startswith(prefix):
                return {"pk": obj.pk}
        return None


def fuzz_world_build() -> FuzzWorld:
    world = build_world()
    sender = factories.UserFactory(role="analyst")
    token_url = assessment_services.assessment_link_reissue(assessment=world.assessment, by=sender)
    contact = factories.ContactFactory(vendor=world.attestation_request.vendor)
    _link, attestation_url = attestation_link_send(request=world.attestation_request, contacts=[contact])
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO, requested_by=sender, status="done")
    private = AIModel.objects.create(kind=AIModel.Kind.DECLARED, name="Fuzz Private LLM", status="resolved")
    config = check_file(b'{"model_type": "llama", "hidden_size": 4096}', CONFIG, limit=1024)
    upload = model_files_upload(model=private, config=config, tokenizer=None, channel="analyst", user=sender)
    return FuzzWorld(
        world=world,
        refresh=refresh,
        assessment_token=token_url.rstrip("/").rsplit("/", 1)[-1],
        attestation_token=attestation_url.rstrip("/").rsplit("/", 1)[-1],
        model_upload=upload,
    )


# --- forms found on the pages -------------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, number, date, datetime-local, email, url, file, hidden, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str  # the path it goes to
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields.values())


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path, self.forms, self._select = page_path, [], None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page_path).path or self.page_path
            self.forms.append(Form(method=(attrs.get("method") or "get").lower(), action=action))
            return
        if not self.forms or not attrs.get("name"):
            if tag == "option" and self._select is not None:
                self._select.options.append(attrs.get("value", ""))
            return
        form, name = self.forms[-1], attrs["name"]
        if tag in ("input", "button") and (tag == "input" or attrs.get("value")):
            kind = attrs.get("type", "text").lower() if tag == "input" else "hidden"
            known = form.fields.get(name)
            if known and kind in ("radio", "checkbox"):
                known.options.append(attrs.get("value", "on"))
            else:
                options = [attrs.get("value", "on")] if kind in ("radio", "checkbox") else []
                form.fields[name] = Field(name, kind, attrs.get("value", ""), options)
        elif tag == "textarea":
            form.fields[name] = Field(name, "textarea")
        elif tag == "select":
            self._select = form.fields[name] = Field(name, "select")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_on(page_path: str, html: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def view_name_of(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


# --- hostile values -----------------------------------------------------------------------------------------------

_CONTROL = "".join(chr(c) for c in [*range(32), 127, 0x85, 0x2028, 0x2029, 0xFEFF])
_TRAPS = [
    "\u202eevil\u202c",  # right-to-left override
    "\u2066\u2067\u2068isolates\u2069",
    "\ufb01 \ufb00 \uff21 \uff42 \u2460",  # compatibility forms that NFKC changes
    "e\u0301",  # combining accent (NFC composes it)
    "\u0000",
    "\ud800",  # a lone surrogate: invalid UTF-8 once percent-encoded
    "\udfff\ud800",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}{% debug %}",
    "' OR 1=1 --",
    "1; DROP TABLE vendors_vendor; --",
    "%00%ff",
    "\\",
    "%",
    "_",
    "../../../../etc/passwd",
    "null",
    "[]",
    "{}",
    " ",
    "",
]
_NUMBERS = [
    "0", "-1", "-0", "1e309", "-1e309", "NaN", "nan", "Infinity", "-inf", "1e-400", "0x10", "1_000",
    str(2**63), str(-(2**63) - 1), str(2**31), str(10**100), "9" * 5000, "1.5", "1,5", "\u0663", "\uff11\uff12",
]  # fmt: skip
_DATES = [
    "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "10000-01-01", "-0001-01-01", "2026-1-1",
    "2026-01-01T00:00+20:31", "2026-01-01T00:00-23:59", "9999-12-31T23:59+00:01".replace("+", "-"),
    "0001-01-01T00:00+14:00", "2026-01-01T24:00", "2026-01-01T23:59:60", "2026-01-01 00:00:00.9999999999",
    "now", "1e309", "2026-W01", "2026-01-01T00:00Z[Europe/Paris]", "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661",
]  # fmt: skip


def long_text() -> st.SearchStrategy[str]:
    return st.builds(
        lambda unit, n: (unit * (n // max(1, len(unit)) + 1))[:n],
        st.sampled_from(["x", "é", "😀", "\u202e", "<b>", "' OR 1=1", "a\n"]),
        st.integers(min_value=10_000, max_value=100_000),
    )


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_TRAPS + _NUMBERS + _DATES),
        long_text(),
        st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=40),
        st.text(alphabet=_CONTROL, min_size=1, max_size=8),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).flatmap(
            lambda d: st.sampled_from([d.isoformat(), d.date().isoformat(), f"{d.isoformat()}+15:59"])
        ),
    )


def unknown_id() -> st.SearchStrategy[str]:
    return st.sampled_from(["999999999", "0", "-1", str(2**63), "1.0", "abc"])


def value_for(f: Field) -> st.SearchStrategy[str]:
    """A value for one field: sometimes a sensible one (so that forms are also accepted, and their saving is
    checked), mostly a hostile one."""
    sensible: list[st.SearchStrategy[str]] = []
    if f.options:
        sensible.append(st.sampled_from([o for o in f.options if o] or f.options))
    if f.value:
        sensible.append(st.just(f.value))
    by_kind = {
        "number": st.sampled_from(_NUMBERS),
        "date": st.one_of(st.sampled_from(_DATES), st.dates().map(dt.date.isoformat)),
        "datetime-local": st.sampled_from(_DATES),
        "email": st.sampled_from(["a@example.com", "a@@b", "é@ü.example", "a@" + "b" * 300 + ".com"]),
        "url": st.sampled_from(
            ["https://example.com/x", "javascript:alert(1)", "http://[::1", "https://" + "a" * 3000]
        ),
        "select": unknown_id(),
    }
    if f.kind in by_kind:
        sensible.append(by_kind[f.kind])
    sensible.append(st.text(alphabet="abcdefghij XYZ-.", min_size=1, max_size=30))
    return st.one_of(st.one_of(sensible), hostile_text())


def request_data(fields: dict[str, Field], multipart: bool = False) -> st.SearchStrategy[list[tuple[str, str]]]:
    """The (key, value) pairs of one submission: each field present or left out, some repeated, a few strange
    keys added."""
    per_field = [
        st.lists(value_for(f), min_size=0, max_size=3).map(lambda values, name=name: [(name, v) for v in values])
        for name, f in fields.items()
    ]
    extra = st.lists(st.tuples(hostile_text(), hostile_text()), max_size=3)
    many = st.sampled_from([[], [], [], [(f"k{i}", "v") for i in range(1500)]])
    pairs = st.tuples(st.tuples(*per_field) if per_field else st.just(()), extra, many).map(
        lambda t: [pair for group in t[0] for pair in group] + t[1] + t[2]
    )
    if multipart:  # a multipart body carries text as UTF-8: no lone surrogates there
        pairs = pairs.map(lambda ps: [(_no_surrogates(k), _no_surrogates(v)) for k, v in ps])
    return pairs


def _no_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def encode_pairs(pairs: list[tuple[str, str]]) -> str:
    """``application/x-www-form-urlencoded``, with lone surrogates sent as the invalid UTF-8 they would be."""
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs)


def _q(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def files() -> st.SearchStrategy[tuple[str, bytes]]:
    """Uploads: empty, wrong magic bytes, odd names, and one beyond the upload limits."""
    return st.one_of(
        st.tuples(st.sampled_from(["empty.csv", "empty.pdf", ".pdf"]), st.just(b"")),
        st.tuples(
            st.sampled_from(["x.pdf", "x.csv", "x.json", "x.png", "../../x.pdf", "\u202efdp.exe", "a" * 300 + ".pdf"]),
            st.sampled_from([b"MZ\x90\x00" * 10, b"\x89PNG\r\n\x1a\n", b"%PDF-", b"\xff\xfe\x00", b"PK\x03\x04"]),
        ),
        st.tuples(st.just("big.csv"), st.just(b"vendor,vendor_country\n" + b"x,US\n" * 600_000)),
    )


# --- the checks ---------------------------------------------------------------------------------------------------


def counts() -> dict[str, int]:
    """Row counts of every model of the app (history tables included): a refused write changes none of them."""
    return {
        model._meta.label: model._default_manager.using("default").count()
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy
    }


class ErrorLog(logging.Handler):
    """Collects records at ERROR and above from every logger while installed."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def __enter__(self):
        logging.getLogger().addHandler(self)
        for name in ("django", "django.request"):
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self)
        for name in ("django", "django.request"):
            logging.getLogger(name).removeHandler(self)

    def describe(self) -> str:
        return "; ".join(f"{r.name}: {r.getMessage()[:300]} {_cause(r)}" for r in self.records)


def _cause(record: logging.LogRecord) -> str:
    if not record.exc_info:
        return ""
    frames = traceback.extract_tb(record.exc_info[2])[-3:]
    where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"[{record.exc_info[0].__name__}: {str(record.exc_info[1])[:300]} at {where}]"


def describe(method: str, path: str, response, pairs) -> str:
    shown = [(k[:40], v[:40] + (f"…({len(v)})" if len(v) > 40 else "")) for k, v in pairs[:12]]
    return f"{method} {path} -> {response.status_code} with {shown}{' …' if len(pairs) > 12 else ''}"


# --- running one target under Hypothesis --------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def portal_client(path: str) -> Client:
    """An anonymous client that has entered the vendor portal through the link at ``path``."""
    client = Client(raise_request_exception=False)
    assert client.get(path).status_code == 302, path
    return client


def in_rollback(check, client: Client):
    """Run ``check`` in a transaction rolled back afterwards, so every example meets the same world (the client's
    cookies too: a session a request cycled is rolled back with the rest)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        try:
            check()
        finally:
            transaction.set_rollback(True)
            client.cookies = cookies


def fuzz_each(targets, run) -> list[str]:
    """``run(target)`` for each target, collecting failures so that one broken page does not hide the others."""
    only = os.environ.get("FUZZ_ONLY", "")
    failures = []
    for target in targets:
        if only and only not in str(target):
            continue
        started = time.monotonic()
        try:
            run(target)
        except Exception as error:  # report every target's failure together
            failures.append(f"{target[0]} {target[1]}: {type(error).__name__}: {error}"[:3000])
        if os.environ.get("FUZZ_TIMES"):
            print(f"FUZZ_TIME {time.monotonic() - started:.1f}s {target[0]} {target[1]}")
    return failures


def stored_somewhere(value: str) -> bool:
    """Whether ``value`` is held, whole, by some text or JSON column of the app's rows."""
    spellings = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            condition = Q()
            for f in model._meta.concrete_fields:
                if isinstance(f, CharField | TextField):
                    condition |= Q(**{f"{f.attname}__contains": value})
                elif isinstance(f, JSONField):
                    model_q = model._default_manager.annotate(**{f"_text_{f.attname}": Cast(f.attname, TextField())})
                    for text in spellings:
                        if model_q.filter(**{f"_text_{f.attname}__contains": text}).exists():
                            return True
            if condition and model._default_manager.filter(condition).exists():
                return True
    return False
