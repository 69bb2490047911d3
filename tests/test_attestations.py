"""Attestation requests and signed attestations: claims from the stored lineage, the request and its PDF, the
command, signing (statement hash, signed PDF and its checksum, immutability), what a signature does to the
rating (attestation.missing / expired, a correction contradicting the lineage opens a discrepancy finding), and
the email to the analyst."""

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from pypdf import PdfReader

from assessments import selectors, services
from assessments.attestation import Response, claim_list, snapshot_from_json
from assessments.documents import attestation_request_pdf
from assessments.models import Attestation, AttestationRequest, Finding, RiskRating
from tests import factories
from vendors.models import LineageEdge, Product

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)
QWEN_ROOT = "Qwen/Qwen2.5-7B"
GPT_OSS = "openai/gpt-oss-20b"


@pytest.fixture(autouse=True)
def attestation_files(tmp_path):
    """Signed PDFs go to a temporary folder (the field's storage is bound when the models load)."""
    field = Attestation._meta.get_field("pdf")
    saved = field.storage
    field.storage = FileSystemStorage(location=tmp_path / "attestations")
    yield field.storage
    field.storage = saved


def _resolved(name, publisher, *, license="", datasets=()):
    return factories.AIModelFactory(
        name=name, publisher=publisher, status="resolved", fetched_at=timezone.now(), license=license,
        datasets=list(datasets),
    )  # fmt: skip


@pytest.fixture
def portfolio(db):
    """Two products of one vendor (and a retired third): a quantized fine-tune of a Chinese root served from
    Germany, and a US model; the lineage as a refresh would have stored it (no hub needed)."""
    vendor = factories.VendorFactory(name="Northwind Legal AI, Inc.")
    qwen = factories.PublisherFactory(name="Qwen (Alibaba Cloud)", country="CN")
    northwind = factories.PublisherFactory(name="Northwind", country="US")
    root = _resolved(QWEN_ROOT, qwen, license="apache-2.0", datasets=["HuggingFaceFW/fineweb"])
    tuned = _resolved("northwind-ai/contract-copilot-7b", northwind, license="mit")
    gguf = _resolved(QWEN_GGUF, northwind, license="mit")
    now = timezone.now()
    LineageEdge.objects.create(child=gguf, parent=tuned, relation="quantized", source="gguf", observed_at=now)
    LineageEdge.objects.create(child=tuned, parent=root, relation="finetune", source="card", observed_at=now)
    host = factories.HostFactory(name="Groq", operator="Groq, Inc.", country="US")
    region = factories.HostRegionFactory(host=host, code="eu-central", name="Frankfurt", country="DE")
    on_qwen = factories.ModelUsageFactory(
        product__vendor=vendor, product__name="Contract Copilot", model=gguf, host=host, region=region
    )
    openai = factories.PublisherFactory(name="OpenAI", country="US")
    on_openai = factories.ModelUsageFactory(
        product__vendor=vendor, product__name="Helpdesk", model=_resolved(GPT_OSS, openai, license="apache-2.0")
    )
    factories.ProductFactory(vendor=vendor, name="Old bot", status=Product.Status.RETIRED)
    services.ratings_refresh()
    return {"vendor": vendor, "qwen": on_qwen, "openai": on_openai}


def _due(days=30):
    return timezone.now().date() + dt.timedelta(days=days)


def _all_confirmed(request, **changes):
    claims = claim_list(snapshot_from_json(request.claims))
    return {c.id: changes.get(c.id) or Response(c.id, confirmed=True) for c in claims}


def _factor_codes(usage):
    return {f["code"] for f in RiskRating.objects.get(usage=usage, is_current=True).counted_factors}


def test_claims_come_from_the_stored_lineage_for_every_active_product(portfolio, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):  # two per lineage generation, not per usage
        claims = selectors.attestation_claims(vendor=portfolio["vendor"])

    assert [p.name for p in claims.products] == ["Contract Copilot", "Helpdesk"]  # the retired one is left out
    usage = claims.products[0].usages[0]
    assert usage.id == portfolio["qwen"].pk and usage.model == QWEN_GGUF
    assert usage.roots == (QWEN_ROOT,) and usage.chains[0][0] == QWEN_GGUF and usage.chains[0][-1] == QWEN_ROOT
    root = usage.node(QWEN_ROOT)
    assert (root.country, root.country_name, root.license) == ("CN", "China", "apache-2.0")
    assert usage.datasets == ("HuggingFaceFW/fineweb",)
    assert usage.host.name == "Groq" and (usage.host.region, usage.host.region_country) == ("eu-central", "DE")
    texts = " ".join(c.text for c in claim_list(claims))
    assert f"{QWEN_ROOT} is published by" in texts and "(China (CN))" in texts
    assert "in region Frankfurt (Germany (DE))" in texts


def test_a_request_keeps_its_claims_and_covers_its_usages(portfolio, analyst):
    request = services.attestation_request_create(vendor=portfolio["vendor"], deadline=_due(), by=analyst)

    assert request.reference == f"AR-{request.pk:05d}" and request.status == AttestationRequest.Status.OPEN
    assert set(request.coverage.values_list("usage_id", flat=True)) == {portfolio["qwen"].pk, portfolio["openai"].pk}
    assert request.claim_count == len(claim_list(snapshot_from_json(request.claims)))
    one = services.attestation_request_create(product=portfolio["qwen"].product, deadline=_due(), by=analyst)
    assert one.scope == "product" and list(one.coverage.values_list("usage_id", flat=True)) == [portfolio["qwen"].pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"deadline_days": 0}, "deadline"), ({"deadline_days": 400}, "deadline"), ({"message": "x" * 2001}, "message")],
)
def test_a_request_needs_a_future_deadline_and_a_short_note(portfolio, kwargs, field):
    days = kwargs.pop("deadline_days", 30)
    with pytest.raises(ValidationError) as error:
        services.attestation_request_create(vendor=portfolio["vendor"], deadline=_due(days), **kwargs)
    assert field in error.value.message_dict
    assert not AttestationRequest.objects.exists()


def test_nothing_to_attest_is_refused(db):
    empty = factories.ProductFactory()
    retired = factories.ModelUsageFactory(product__status=Product.Status.RETIRED).product
    for kwargs in ({"product": empty}, {"vendor": empty.vendor}, {"product": retired}):
        with pytest.raises(ValidationError):
            services.attestation_request_create(deadline=_due(), **kwargs)


def test_the_command_writes_the_request_pdf(portfolio, tmp_path, capsys):
    out = tmp_path / "request.pdf"

    call_command("attestation_request", "--vendor", str(portfolio["vendor"].pk), "--out", str(out))

    request = AttestationRequest.objects.get()
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith(f"{request.reference}: {request.claim_count} claims") and str(out) in last_line
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Attestation of the AI model supply chain" in text and "Contract Copilot" in text and "Helpdesk" in text
    assert QWEN_ROOT in text and request.deadline.strftime("%-d %B %Y") in text
    assert f"Page 1 of {len(reader.pages)}" in reader.pages[0].extract_text()
    assert list(reader.attachments) == ["claims.json"]
    assert reader.metadata.title == f"Attestation request {request.reference}: Northwind Legal AI, Inc."
    assert attestation_request_pdf(request) == out.read_bytes()  # the same request, the same bytes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vendor", "999999"], "no vendor with id 999999"),
        (["--product", "999999"], "no product with id 999999"),
        (["--vendor", "{vendor}", "--deadline", "2020-01-01"], "after today"),
        (["--vendor", "{vendor}", "--deadline", "tomorrow"], "YYYY-MM-DD"),
    ],
)
def test_the_command_explains_bad_input_and_records_nothing(portfolio, tmp_path, args, message):
    args = [a.format(vendor=portfolio["vendor"].pk) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("attestation_request", *args, "--out", str(tmp_path / "x.pdf"))
    assert not AttestationRequest.objects.exists() and not (tmp_path / "x.pdf").exists()


def test_signing_stores_the_statement_its_hash_and_the_signed_pdf(
    portfolio, analyst, django_capture_on_commit_callbacks
):
    request = services.attestation_request_create(product=portfolio["qwen"].product, deadline=_due(), by=analyst)
    correction = Response("x", False, "Served from our own cluster in Germany.", countries=("DE",))
    responses = _all_confirmed(request)
    hosting = next(cid for cid in responses if cid.endswith(".hosting"))
    responses[hosting] = Response(hosting, False, correction.correction, countries=("DE",))

    with django_capture_on_commit_callbacks(execute=True):
        attestation = services.attestation_sign(
            request=request, responses=responses, name="Nora Vance", title="CISO", address="192.0.2.7"
        )

    attestation.refresh_from_db()
    assert attestation.statement_sha256 == hashlib.sha256(attestation.statement.encode()).hexdigest()
    pdf = attestation.pdf.read()
    assert attestation.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert attestation.statement_sha256 in text.replace("\n", "") and "Nora Vance" in text
    assert "Served from our own cluster in Germany." in text
    assert reader.attachments["statement.txt"] == [attestation.statement.encode()]
    # The product's MBOM as it stood at the signature travels in the signed PDF (its hash covers it).
    product = portfolio["qwen"].product
    (mbom,) = [json.loads(data[0]) for name, data in reader.attachments.items() if name.startswith("mbom-")]
    assert mbom["metadata"]["component"]["name"] == product.name
    assert mbom["metadata"]["timestamp"] == attestation.signed_at.isoformat().replace("+00:00", "Z")
    assert portfolio["qwen"].model.name in {c["name"] for c in mbom["components"]}
    assert attestation.corrected_count == 1 and attestation.signed_from == "192.0.2.7"
    assert AttestationRequest.objects.get(pk=request.pk).status == "signed"
    with pytest.raises(ValidationError, match="signed"):
        services.attestation_sign(request=request, responses=responses, name="Someone", title="Else")
    assert Attestation.objects.count() == 1
    # The analyst who asked hears about it.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [analyst.email]
    assert "(1 correction)" in mail.outbox[0].subject and attestation.statement_sha256 in mail.outbox[0].body


def test_every_claim_needs_a_response_and_a_correction_says_what_is_wrong(portfolio):
    request = services.attestation_request_create(product=portfolio["qwen"].product, deadline=_due())
    responses = _all_confirmed(request)
    first, second = list(responses)[:2]
    del responses[first]
    responses[second] = Response(second, False, "")

    with pytest.raises(ValidationError) as error:
        services.attestation_sign(request=request, responses=responses, name=" ", title="CISO")

    assert set(error.value.message_dict) == {first, second, "name"}
    assert not Attestation.objects.exists() and AttestationRequest.objects.get(pk=request.pk).status == "open"


def test_a_signature_clears_attestation_missing_and_a_contradicting_correction_opens_a_finding(
    portfolio, django_capture_on_commit_callbacks
):
    usage = portfolio["qwen"]
    assert "attestation.missing" in _factor_codes(usage)
    request = services.attestation_request_create(product=usage.product, deadline=_due())
    lineage_claim = f"u{usage.pk}.lineage"
    responses = _all_confirmed(
        request,
        **{lineage_claim: Response(lineage_claim, False, "Fine-tuned from Llama 3.1", ("meta-llama/Llama-3.1-8B",))},
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.attestation_sign(request=request, responses=responses, name="Nora Vance", title="CISO")

    codes = _factor_codes(usage)
    assert "attestation.missing" not in codes and "attestation.expired" not in codes
    assert "discrepancy.answer_contradicts_lineage" in codes
    finding = Finding.objects.get(usage=usage, code="discrepancy.answer_contradicts_lineage")
    assert finding.trigger == Finding.Trigger.DISCREPANCY
    assert "meta-llama/Llama-3.1-8B" in finding.title and QWEN_ROOT in finding.title
    # The other product was not asked about: still missing.
    assert "attestation.missing" in _factor_codes(portfolio["openai"])


def test_confirming_the_lineage_opens_no_discrepancy_and_an_old_signature_expires(
    portfolio, django_capture_on_commit_callbacks
):
    usage = portfolio["qwen"]
    request = services.attestation_request_create(product=usage.product, deadline=_due())
    long_ago = timezone.now() - dt.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        services.attestation_sign(
            request=request, responses=_all_confirmed(request), name="Nora Vance", title="CISO", now=long_ago
        )

    codes = _factor_codes(usage)
    assert "attestation.expired" in codes and "attestation.missing" not in codes
    assert "discrepancy.answer_contradicts_lineage" not in codes


def test_requests_and_signed_attestations_are_never_deleted_or_changed(portfolio, postgres):
    request = services.attestation_request_create(product=portfolio["qwen"].product, deadline=_due())
    attestation = services.attestation_sign(
        request=request, responses=_all_confirmed(request), name="Nora Vance", title="CISO"
    )

    with pytest.raises(ProtectedError):
        request.delete()
    with pytest.raises(ProtectedError):
        portfolio["qwen"].product.vendor.delete()
    # The database itself refuses, whatever writes the row.
    for statement in (
        lambda: Attestation.objects.filter(pk=attestation.pk).update(signer_name="Someone else"),
        lambda: Attestation.objects.filter(pk=attestation.pk)._raw_delete(connection.alias),
        lambda: AttestationRequest.objects.filter(pk=request.pk).update(claims={}),
    ):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            statement()
    AttestationRequest.objects.filter(pk=request.pk).update(status="signed")  # status may still move
    assert Attestation.objects.get().signer_name == "Nora Vance"


def test_an_open_request_can_be_cancelled_once(portfolio, analyst):
    request = services.attestation_request_create(vendor=portfolio["vendor"], deadline=_due())

    services.attestation_request_cancel(request=request, by=analyst)

    request.refresh_from_db()
    assert request.status == "cancelled" and request.cancelled_by == analyst
    with pytest.raises(ValidationError):
        services.attestation_request_cancel(request=request, by=analyst)
    with pytest.raises(ValidationError, match="cancelled"):
        services.attestation_sign(request=request, responses=_all_confirmed(request), name="N", title="T")
