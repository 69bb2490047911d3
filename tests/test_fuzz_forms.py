"""Every form and every action endpoint, under hostile and oversized values (Hypothesis): never a 5xx, never an error
logged; a refused POST (4xx, or the form shown again with its errors) leaves every row of the app as it was
(history included); an accepted one stores what it was given, whole.

What is posted where is found, not listed: the forms on every page that can be opened on a small world (the
fields a browser would send), together with the view's own form class (fields a state of the world hides).
"""

import unicodedata

import pytest
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests.fuzz import (
    FUZZ_SETTINGS,
    ErrorLog,
    Field,
    counts,
    describe,
    encode_pairs,
    exemption,
    files,
    forms_on,
    fuzz_each,
    fuzz_world_build,
    fuzzed_routes,
    in_rollback,
    portal_client,
    request_data,
    routes,
    signed_in,
    stored_somewhere,
    view_name_of,
)

pytestmark = pytest.mark.django_db

_TEXT_KINDS = {"text", "textarea", "search"}

#: Rows a refused POST keeps by design, and why.
_ANSWERS_SAVED = (
    {
        "assessments.Answer",
        "assessments.HistoricalAnswer",
        "assessments.Evidence",
        "assessments.AnswerComment",
        "assessments.AssessmentEvent",
    },
    "a questionnaire saves each valid answer (and its file) and marks the others for correction (a 400); the "
    "first save puts a sent assessment in progress, an event in its trail",
)
KEPT_WHEN_REFUSED = {
    "assessments:assessment_answer": _ANSWERS_SAVED,
    "portal:assessment": _ANSWERS_SAVED,
    "portal:attestation": (
        {"assessments.AttestationDraft", "assessments.HistoricalAttestationDraft"},
        "the signer's draft is saved before the signature is checked: a refused signature keeps what was typed",
    ),
    "two_factor_setup": (
        {"riskregistry.SecurityEvent"},
        "a refused enrolment code is a security event the audit trail keeps",
    ),
    "two_factor_verify": (
        {"riskregistry.SecurityEvent"},
        "a refused sign-in code is a security event the audit trail keeps",
    ),
}


def _form_class_fields(route) -> dict[str, Field]:
    form_class = getattr(route.view_class, "form_class", None)
    fields = {}
    for name, form_field in getattr(form_class, "base_fields", {}).items():
        widget = form_field.widget
        kind = "textarea" if widget.__class__.__name__ == "Textarea" else getattr(widget, "input_type", "text")
        choices = [str(value) for value, _label in getattr(form_field, "choices", [])]
        fields[name] = Field(name, kind or "text", options=choices)
    return fields


def post_targets(world, client_for, portal: bool) -> dict[str, dict[str, dict[str, Field]]]:
    """view name -> {path -> fields}: every form found on the pages, and every POST endpoint that can be built."""
    targets: dict[str, dict[str, dict[str, Field]]] = {}
    for route in fuzzed_routes():
        if route.name.startswith("portal:") != portal:
            continue
        kwargs = world.kwargs_for(route.name)
        if kwargs is None:
            continue
        path = reverse(route.name, kwargs=kwargs)
        if route.answers_post:
            targets.setdefault(route.name, {}).setdefault(path, {}).update(_form_class_fields(route))
        if not route.answers_get or route.name.endswith("_enter"):
            continue
        page = client_for(route.name).get(path)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for form in forms_on(path, page.content.decode()):
            name = view_name_of(form.action)
            if form.method == "post" and name and exemption(name) is None:
                targets.setdefault(name, {}).setdefault(form.action, {}).update(form.fields)
    return targets


def refused(response) -> bool:
    """A 4xx, the form shown again (200), or a redirect carrying an error message."""
    if not 300 <= response.status_code < 400:
        return True
    request = response.wsgi_request
    return any(m.level >= messages.ERROR for m in getattr(request, "_messages", None) or [])


def _fuzz_posts(client_for, targets) -> list[str]:
    flat = [(name, path, fields) for name, paths in sorted(targets.items()) for path, fields in paths.items()]

    def run(target):
        name, path, fields = target
        multipart = any(f.kind == "file" for f in fields.values())
        file_fields = [n for n, f in fields.items() if f.kind == "file"]
        # Stored values are checked for the fields of the view's Django form (a questionnaire's table drops a row
        # left without its key column, by design, so its cells are not checked one by one).
        text_fields = {n for n, f in _form_class_fields(routes()[name]).items() if f.kind in _TEXT_KINDS}
        client = client_for(name)

        @FUZZ_SETTINGS
        @given(pairs=request_data(fields, multipart), upload=st.one_of(st.none(), files()) if multipart else st.none())
        def fuzz(pairs, upload):
            def check():
                before = counts()
                with ErrorLog() as errors:
                    if multipart:
                        data = {}
                        for key, value in pairs:
                            data.setdefault(key, []).append(value)
                        if upload is not None:
                            data[file_fields[0]] = SimpleUploadedFile(upload[0], upload[1])
                        response = client.post(path, data)
                    else:
                        response = client.post(
                            path, encode_pairs(pairs), content_type="application/x-www-form-urlencoded"
                        )
                what = describe("POST", path, response, pairs)
                assert response.status_code < 500 and not errors.records, f"{what}: logged {errors.describe()}"
                if refused(response):
                    kept = KEPT_WHEN_REFUSED.get(name, (set(), ""))[0]
                    changed = {label for label, n in counts().items() if n != before[label]} - kept
                    assert not changed, f"{what}: refused, yet rows of {sorted(changed)} changed"
                    return
                sent = [(k, v.strip()) for k, v in pairs if k in text_fields]
                for key, value in sent:
                    once = sum(1 for k, _ in pairs if k == key) == 1
                    if once and value and value.isprintable():
                        whole = stored_somewhere(value) or stored_somewhere(unicodedata.normalize("NFC", value))
                        assert whole, f"{what}: accepted, but {key} was not stored whole"

            in_rollback(check, client)

        fuzz()

    return fuzz_each(flat, run)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_every_form_and_action_under_hostile_values(role):
    world = fuzz_world_build()
    user = factories.UserFactory(role=role)
    client = signed_in(user)
    targets = post_targets(world, lambda name: client, portal=False)
    assert len(targets) > 30, "the resolver walk and the pages found too few forms"

    failures = _fuzz_posts(lambda name: signed_in(user), targets)

    assert not failures, "\n".join(failures)


def _portal_client_for(world):
    def client_for(name):
        if "attestation" in name:
            return portal_client(f"/portal/t/{world.attestation_token}/")
        return portal_client(f"/portal/a/{world.assessment_token}/")

    return client_for


def test_every_portal_form_under_hostile_values():
    world = fuzz_world_build()
    targets = post_targets(world, _portal_client_for(world), portal=True)
    assert {"portal:assessment", "portal:attestation"} <= set(targets)

    failures = _fuzz_posts(_portal_client_for(world), targets)

    assert not failures, "\n".join(failures)


def test_sign_in_form_under_hostile_values():
    """The one form anyone can reach: hostile credentials are refused (the throttle may answer 429), never a 5xx."""
    path = reverse("login")
    fields = {f.name: f for form in forms_on(path, Client().get(path).content.decode()) for f in form.fields.values()}
    assert {"username", "password"} <= set(fields)

    failures = _fuzz_posts(lambda name: Client(raise_request_exception=False), {"login": {path: fields}})

    assert not failures, "\n".join(failures)


def test_every_page_is_fuzzed_or_exempt():
    """A new URL pattern is fuzzed from the day it is added: it either opens on the fuzzing world (GET) or is the
    target of a form on a page that does, or it is exempt with a reason (tests/fuzz.py)."""
    world = fuzz_world_build()
    admin = signed_in(factories.UserFactory(role="admin"))
    posted = set(post_targets(world, lambda name: admin, portal=False))
    posted |= set(post_targets(world, _portal_client_for(world), portal=True))

    missing = []
    for name, route in sorted(routes().items()):
        if exemption(name) is not None:
            continue
        opened = route.answers_get and world.kwargs_for(name) is not None
        if (route.answers_get and not opened) or (route.answers_post and name not in posted):
            missing.append(name)

    assert not missing, (
        f"neither fuzzed nor exempt (give the fuzzing world its ids, or exempt with a reason): {missing}"
    )
