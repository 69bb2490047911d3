"""Each fact the other apps announce becomes its webhook event, recorded in the transaction that records the fact,
for the endpoints subscribed to it (and only those): a rating changed, findings opened and updated, a supply-chain
change, an assessment submitted, an attestation signed, a report ready. Payloads carry ids and API URLs;
receivers verify them with the Standard Webhooks library."""

import datetime as dt
import hashlib

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from assessments import services as assessment_services
from assessments.attestation import Response, claim_list, snapshot_from_json
from assessments.models import Attestation, Finding, RiskRating
from assessments.services.answers import RawAnswer
from reports import services as report_services
from reports.models import Report
from tests import factories
from tests.webhook_receiver import WebhookReceiver
from vendors.models import LineageEdge, Vendor
from webhooks import services
from webhooks.models import EventType, WebhookMessage

pytestmark = pytest.mark.django_db
API = "http://127.0.0.1:8000/api/v1"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver() as receiver:
        _, secret = services.endpoint_create(url=receiver.url, event_types=EventType.values)
        receiver.secrets.append(secret)
        yield receiver


def _payloads(receiver, event_type):
    found = [r for r in receiver.received if r.payload and r.payload["type"] == event_type]
    assert all(r.verified_with for r in receiver.received)
    return [r.payload["data"] for r in found]


@pytest.fixture
def usage_on_a_chinese_root(db):
    """A usage whose model is a fine-tune of a CN root, as a lineage refresh would have stored it."""
    qwen = factories.PublisherFactory(name="Qwen (Alibaba Cloud)", country="CN")
    root = factories.AIModelFactory(
        name="Qwen/Qwen2.5-7B", publisher=qwen, status="resolved", fetched_at=timezone.now()
    )
    tuned = factories.AIModelFactory(name="acme/copilot-7b", status="resolved", fetched_at=timezone.now())
    LineageEdge.objects.create(child=tuned, parent=root, relation="finetune", source="card", observed_at=timezone.now())
    return factories.ModelUsageFactory(model=tuned, product__name="Contract Copilot")


def test_rescoring_announces_the_rating_and_the_findings_it_opened(
    receiver, usage_on_a_chinese_root, django_capture_on_commit_callbacks
):
    usage = usage_on_a_chinese_root
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.ratings_refresh(usage_ids=[usage.pk])

    rating = RiskRating.objects.get(usage=usage, is_current=True)
    (data,) = _payloads(receiver, "rating.changed")
    page = f"http://127.0.0.1:8000/usages/{usage.pk}/"
    assert data["rating"] == {"id": rating.pk, "url": f"{API}/ratings/{rating.pk}/", "page": page}
    assert data["usage"]["page"] == page and data["model"]["page"] == f"http://127.0.0.1:8000/models/{usage.model_id}/"
    assert data["tier"] == rating.tier and data["score"] == rating.score
    assert data["usage"]["url"] == f"{API}/model-usages/{usage.pk}/"
    assert data["product"]["name"] == "Contract Copilot" and data["vendor"]["id"] == usage.product.vendor_id
    finding = Finding.objects.get(usage=usage, code="origin.country_of_concern")
    opened = _payloads(receiver, "finding.opened")
    assert {d["finding"]["id"] for d in opened} == set(Finding.objects.filter(usage=usage).values_list("pk", flat=True))
    assert any(d["finding"]["url"] == f"{API}/findings/{finding.pk}/" and d["status"] == "open" for d in opened)

    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.finding_update(finding=finding, owner=None, due_date=dt.date(2027, 1, 31))
    (updated,) = _payloads(receiver, "finding.updated")
    assert updated["finding"]["id"] == finding.pk and updated["due_date"] == "2027-01-31"

    # Rescoring with nothing changed stores no snapshot: no new event.
    count = len(receiver.received)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.ratings_refresh(usage_ids=[usage.pk])
    assert len(receiver.received) == count


def test_only_subscribed_endpoints_get_a_message(receiver, usage_on_a_chinese_root, django_capture_on_commit_callbacks):
    with WebhookReceiver() as other:
        only_reports, _ = services.endpoint_create(url=other.url, event_types=["report.ready"])
        with django_capture_on_commit_callbacks(execute=True):
            assessment_services.ratings_refresh(usage_ids=[usage_on_a_chinese_root.pk])
        assert other.received == [] and not WebhookMessage.objects.filter(endpoint=only_reports).exists()
    assert _payloads(receiver, "rating.changed")


def test_a_ready_report_is_announced_with_its_download_url(
    receiver, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    report = report_services.report_record(kind=Report.Kind.QUARTERLY)
    pdf = b"%PDF-1.7\n%%EOF\n"
    with django_capture_on_commit_callbacks(execute=True):
        report_services.report_store(report=report, pdf=pdf)
    (data,) = _payloads(receiver, "report.ready")
    assert data["report"]["url"] == f"{API}/reports/{report.pk}/"
    assert data["report"]["download_url"] == f"{API}/reports/{report.pk}/download/"
    assert data["sha256"] == hashlib.sha256(pdf).hexdigest() and data["kind"] == "quarterly"
    assert data["period"] == report.period and data["vendor"] is None


def test_a_submitted_assessment_is_announced(receiver, analyst, django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Helpdesk")
    assessment, _ = assessment_services.assessment_send(
        product=product, questionnaire="ai-intake", due_date=timezone.now().date() + dt.timedelta(days=10), by=analyst
    )
    assessment_services.answers_save(
        assessment=assessment, answers={"intake.uses_ai": RawAnswer("no"), "intake.policy": RawAnswer("yes")}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.assessment_submit(assessment=assessment)
    (data,) = _payloads(receiver, "assessment.submitted")
    assert data["assessment"]["id"] == assessment.pk and data["questionnaire"] == "ai-intake"
    assert data["product"]["url"] == f"{API}/products/{product.pk}/"
    assert data["assessment"]["page"].endswith(assessment.get_absolute_url())


def test_a_signed_attestation_is_announced(
    receiver, usage_on_a_chinese_root, analyst, django_capture_on_commit_callbacks, tmp_path
):
    field = Attestation._meta.get_field("pdf")
    saved, field.storage = field.storage, FileSystemStorage(location=tmp_path)
    try:
        request = assessment_services.attestation_request_create(
            product=usage_on_a_chinese_root.product, deadline=timezone.now().date() + dt.timedelta(days=30), by=analyst
        )
        responses = {c.id: Response(c.id, confirmed=True) for c in claim_list(snapshot_from_json(request.claims))}
        with django_capture_on_commit_callbacks(execute=True):
            attestation = assessment_services.attestation_sign(
                request=request, responses=responses, name="Nora Vance", title="CISO"
            )
    finally:
        field.storage = saved
    (data,) = _payloads(receiver, "attestation.signed")
    assert data["attestation"] == {"id": attestation.pk, "statement_sha256": attestation.statement_sha256}
    assert data["attestation_request"]["url"] == f"{API}/attestation-requests/{request.pk}/"
    assert data["vendor"]["id"] == request.vendor_id and data["corrected_claims"] == 0


def test_a_declared_parent_is_a_lineage_change(receiver, usage_on_a_chinese_root, django_capture_on_commit_callbacks):
    from vendors.services import lineage

    factories.AIModelFactory(name="meta-llama/Llama-3.1-8B", status="resolved", fetched_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        lineage.lineage_parent_declare(
            child=usage_on_a_chinese_root.model, parent_kind="hub", parent_name="meta-llama/Llama-3.1-8B",
            relation="merge", source="analyst",
        )  # fmt: skip
    changes = [d for d in _payloads(receiver, "lineage.changed") if d["kind"] == "parent_added"]
    assert len(changes) == 1 and changes[0]["model"]["name"] == "acme/copilot-7b"
    assert changes[0]["change"]["url"].startswith(f"{API}/changes/")


def test_without_a_subscriber_an_announcement_costs_one_query(
    usage_on_a_chinese_root, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from assessments.signals import ratings_changed

    with django_assert_num_queries(1):
        ratings_changed.send(sender="assessments", rating_ids=[1, 2, 3])
    assert WebhookMessage.objects.count() == 0


def test_a_failing_subscriber_leaves_the_write_and_records_nothing(caplog):
    from django.db import transaction
    from django.dispatch import Signal

    from riskregistry.signals import announce

    signal = Signal()

    def records_then_fails(sender, **facts):
        factories.VendorFactory(name="Recorded by the subscriber")
        raise RuntimeError("the subscriber breaks")

    signal.connect(records_then_fails, weak=False)
    with transaction.atomic():
        written = factories.VendorFactory(name="The write that announced")
        announce(signal, sender="tests", ids=[written.pk])
    names = set(Vendor.objects.values_list("name", flat=True))
    assert "The write that announced" in names and "Recorded by the subscriber" not in names
    assert "records_then_fails failed on tests" in caplog.text
