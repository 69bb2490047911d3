"""Safe attestation documents: hostile hub metadata and vendor text (``file:``, loopback ``http``, ``data:`` URLs,
markup, right-to-left overrides, CJK and Arabic) reach the request PDF, the signed PDF and the pages as text:
nothing is fetched or embedded. The PDFs are read back with pypdf; a loopback server counts requests."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments import services
from assessments.attestation import Response, claim_list, snapshot_from_json
from assessments.documents import attestation_request_pdf
from tests import factories
from tests.test_attestations import attestation_files  # noqa: F401 (the fixture: signed PDFs in tmp_path)
from tests.test_pdf import local_server  # noqa: F401 (the fixture: a loopback server that records requests)
from vendors.models import LineageEdge

pytestmark = pytest.mark.django_db


def _hostile(server: str, limit: int = 200) -> str:
    text = (
        "杭州深度求索 مرحبا \u202egnp.exe "
        f'<img src="{server}/img.png" alt="x"><link rel=attachment href="file:///etc/passwd">'
        f'<a href="data:text/html,hi">d</a><style>@import url({server}/i.css);</style>'
    )
    return text[:limit]


@pytest.fixture
def hostile_request(local_server):  # noqa: F811
    server, _ = local_server
    evil = _hostile(server)
    vendor = factories.VendorFactory(name=evil)
    publisher = factories.PublisherFactory(name=evil, country="CN")
    root = factories.AIModelFactory(
        name="evil/root", publisher=publisher, status="resolved", fetched_at=timezone.now(),
        license=_hostile(server, 100), datasets=[evil, f"{server}/dataset"],
    )  # fmt: skip
    child = factories.AIModelFactory(name="evil/child", status="resolved", fetched_at=timezone.now())
    LineageEdge.objects.create(child=child, parent=root, relation="finetune", source="card", observed_at=timezone.now())
    host = factories.HostFactory(name=evil, operator=evil)
    factories.ModelUsageFactory(product__vendor=vendor, product__name=evil, model=child, host=host)
    request = services.attestation_request_create(
        vendor=vendor, deadline=timezone.now().date() + dt.timedelta(days=10), message=evil
    )
    return request, evil


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _no_annotated_files(reader: PdfReader) -> bool:
    return not any(
        annotation.get_object().get("/Subtype") == "/FileAttachment"
        for page in reader.pages
        for annotation in page.get("/Annots") or ()
    )


def test_hostile_text_in_the_request_pdf_is_text_and_nothing_is_fetched(hostile_request, local_server):  # noqa: F811
    request, _ = hostile_request
    _, hits = local_server

    reader, text = _text(attestation_request_pdf(request))

    assert hits == []
    flat = text.replace("\n", "")
    assert '<img src="http://127.0.0.1:' in flat and "file:///etc/passwd" in flat and "data:text/html" in flat
    assert "杭州深度求索" in flat and "\u202e" not in flat  # a direction override cannot reorder a name
    assert list(reader.attachments) == ["claims.json"] and _no_annotated_files(reader)


def test_hostile_corrections_and_signer_in_the_signed_pdf_are_text(hostile_request, local_server):  # noqa: F811
    request, evil = hostile_request
    _, hits = local_server
    claims = claim_list(snapshot_from_json(request.claims))
    responses = {c.id: Response(c.id, confirmed=True) for c in claims}
    responses[claims[1].id] = Response(claims[1].id, False, evil + "\n<script>alert(1)</script>", (evil[:50],))

    attestation = services.attestation_sign(request=request, responses=responses, name=evil[:150], title=evil[:150])

    reader, text = _text(attestation.pdf.read())
    assert hits == []
    flat = text.replace("\n", "")
    assert "<script>alert(1)</script>" in flat and "file:///etc/passwd" in flat
    assert "\u202e" not in attestation.statement  # direction overrides are taken out of what is signed
    names = list(reader.attachments)
    assert names[0] == "statement.txt" and _no_annotated_files(reader)
    assert names[1:] and all(name.startswith("mbom-") for name in names[1:])  # the covered products' MBOMs


def test_the_pages_escape_hostile_text(hostile_request, analyst_client):
    request, _ = hostile_request

    for url in (request.get_absolute_url(), "/attestations/", f"/vendors/{request.vendor_id}/attestations/new/"):
        page = analyst_client.get(url).content.decode()
        assert "&lt;img src=" in page and '<img src="http://127.0.0.1' not in page
        assert "<style>@import" not in page
