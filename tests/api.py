"""What the REST API tests share: a small world with one of every object the API serves, and keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from assessments import services as assessment_services
from assessments.models import Exposure, Finding, RiskRating, ScoringPolicy
from reports.models import Report
from riskregistry import services
from tests import factories
from vendors import services as vendor_services
from vendors.models import ChangeEvent, LineageEdge, Product, Vendor
from webhooks import signing
from webhooks.models import WebhookEndpoint, WebhookMessage


@dataclass
class World:
    vendor: object
    contact: object
    product: object
    usage: object
    model: object
    parent: object
    edge: object
    publisher: object
    host: object
    rating: object
    finding: object
    change: object
    policy: object
    attestation_request: object
    report: object
    csv_import: object
    webhook: object
    webhook_message: object
    questionnaire: object
    assessment: object
    evidence: object
    model_files_upload: object

    def ids(self) -> dict[str, object]:
        """The lookup value of one object per API resource (the router's basename -> id)."""
        return {
            "vendor": self.vendor.pk,
            "contact": self.contact.pk,
            "product": self.product.pk,
            "model-usage": self.usage.pk,
            "model": self.model.pk,
            "lineage-edge": self.edge.pk,
            "publisher": self.publisher.pk,
            "host": self.host.pk,
            "change": self.change.pk,
            "rating": self.rating.pk,
            "finding": self.finding.pk,
            "policy-version": self.policy.version,
            "attestation-request": self.attestation_request.pk,
            "report": self.report.pk,
            "csv-import": self.csv_import.pk,
            "webhook": self.webhook.pk,
            "webhook-message": self.webhook_message.pk,
            "questionnaire": self.questionnaire.pk,
            "assessment": self.assessment.pk,
            "evidence": self.evidence.pk,
            "model-file-upload": self.model_files_upload.pk,
        }


def _attestation_request(model, suffix: str):
    """On a vendor of its own, archived once asked (a request is kept for good, so what it covers can no longer
    be deleted, and the walk deletes the world's vendor and product)."""
    attested = factories.ModelUsageFactory(model=model, product__vendor__name=f"Attested{suffix} Ltd").product
    request = assessment_services.attestation_request_create(
        product=attested, deadline=timezone.now().date() + dt.timedelta(days=30)
    )
    Product.objects.filter(pk=attested.pk).update(status=Product.Status.RETIRED)
    Vendor.objects.filter(pk=attested.vendor_id).update(status=Vendor.Status.ARCHIVED)
    return request


class _Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name, self.size = name, len(data)


def _assessment(product, analyst):
    """A questionnaire sent about the world's product, with an answer, a vendor's comment, an analyst's internal
    note and an evidence file."""
    assessment, _url = assessment_services.assessment_send(
        product=product, questionnaire="ai-mbom", due_date=timezone.now().date() + dt.timedelta(days=20), by=analyst
    )
    assessment_services.answers_save(
        assessment=assessment, answers={"origin.no_country_of_concern": assessment_services.RawAnswer(value="yes")}
    )
    question = "origin.derivation_file"
    assessment_services.answer_comment_add(assessment=assessment, question_id=question, body="Attached.")
    assessment_services.answer_comment_add(
        assessment=assessment, question_id=question, body="Check page 2.", by=analyst, internal=True
    )
    evidence = assessment_services.evidence_add(
        assessment=assessment, question_id=question, upload=_Upload(EVIDENCE_PDF, "derivation.pdf")
    )
    return assessment, evidence


#: A private model's config.json, as small as the checks accept.
PRIVATE_CONFIG = {
    "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 3584, "num_hidden_layers": 28,
    "num_attention_heads": 28, "num_key_value_heads": 4, "intermediate_size": 18944, "vocab_size": 152064,
}  # fmt: skip


def _model_files_upload(suffix: str, analyst):
    """A declared model with its config.json uploaded (the service's own path, as the page uploads it)."""
    from vendors import model_files
    from vendors.services.model_files import model_files_upload

    model = factories.AIModelFactory(kind="declared", name=f"acme-private-7b{suffix}", declared_source="vendor")
    checked = model_files.check_file(json.dumps(PRIVATE_CONFIG).encode(), model_files.CONFIG, limit=1024 * 1024)
    return model_files_upload(model=model, config=checked, tokenizer=None, channel="analyst", user=analyst)


EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world(suffix: str = "") -> World:
    publisher = factories.PublisherFactory(name=f"Alibaba Cloud{suffix}", country="CN")
    region = factories.HostRegionFactory(host__name=f"Groq{suffix}", country="US")
    parent = factories.AIModelFactory(name=f"Qwen/Qwen2.5-7B{suffix}", publisher=publisher, status="resolved")
    model = factories.AIModelFactory(name=f"acme/copilot-7b{suffix}", status="resolved")
    edge = LineageEdge.objects.create(
        child=model, parent=parent, relation="finetune", source="analyst", observed_at=timezone.now()
    )
    usage = factories.ModelUsageFactory(
        model=model, host=region.host, region=region, product__vendor__name=f"Acme AI{suffix}, Inc."
    )
    contact = factories.ContactFactory(vendor=usage.product.vendor)
    RiskRating.objects.create(usage=usage, score=30, tier="moderate", factors=[], policy_version=1, is_current=False)
    factor = {"code": "origin.country_of_concern", "points": 40, "reason": "CN ancestor", "evidence": ["a", "b"]}
    rating = RiskRating.objects.create(usage=usage, score=70, tier="high", factors=[factor], policy_version=1)
    Exposure.objects.create(usage=usage, model=model, depth=0, path=[model.name])
    Exposure.objects.create(usage=usage, model=parent, depth=1, is_root=True, path=[model.name, parent.name])
    finding = Finding.objects.create(
        usage=usage,
        code=factor["code"],
        trigger="critical_factor",
        title=factor["reason"],
        points=40,
        evidence=["a", "b"],
    )
    sender = factories.UserFactory(username=f"world-sender{suffix}".replace(" ", "-"), role="analyst")
    assessment, evidence = _assessment(usage.product, sender)
    change = ChangeEvent.objects.create(
        kind="usage_added", model=model, product=usage.product, summary="added", occurred_at=timezone.now()
    )
    webhook = WebhookEndpoint.objects.create(
        url=f"https://93.184.215.14/hooks/riskregistry{suffix.strip()}",
        event_types=["rating.changed", "finding.opened"],
        secret=signing.secret_generate(),
    )
    return World(
        csv_import=vendor_services.csv_import_stage(
            data=f"vendor,vendor_country\nImported{suffix} GmbH,DE\n".encode(), filename=f"world{suffix}.csv"
        ),
        webhook=webhook,
        webhook_message=WebhookMessage.objects.create(
            endpoint=webhook,
            message_id=signing.message_id_generate(),
            event_type="rating.changed",
            body='{"type":"rating.changed","timestamp":"2026-12-01T00:00:00Z","data":{}}',
            next_attempt_at=timezone.now(),
        ),
        report=_ready_report(),
        vendor=usage.product.vendor,
        contact=contact,
        product=usage.product,
        usage=usage,
        model=model,
        parent=parent,
        edge=edge,
        publisher=publisher,
        host=region.host,
        rating=rating,
        finding=finding,
        change=change,
        policy=ScoringPolicy.objects.order_by("-version").first(),
        attestation_request=_attestation_request(model, suffix),
        questionnaire=assessment.questionnaire,
        assessment=assessment,
        evidence=evidence,
        model_files_upload=_model_files_upload(suffix, sender),
    )


def _ready_report() -> Report:
    """A quarterly report with a (tiny) stored file, as if the workers had generated it (a vendor report would
    keep the world's vendor from being deleted)."""
    pdf = b"%PDF-1.7\n%%EOF\n"
    report = Report.objects.create(kind="quarterly", period="2026Q4", as_of=timezone.now())
    report.file.save(f"api-test-{report.pk}.pdf", ContentFile(pdf), save=False)
    report.sha256, report.size, report.status = hashlib.sha256(pdf).hexdigest(), len(pdf), "ready"
    report.save()
    return report


def key_client(user, scope: str = "read-write", **options) -> APIClient:
    """A client sending a fresh key of ``user`` as a bearer token."""
    _, raw = services.api_key_create(owner=user, scope=scope, **options)
    return bearer_client(raw)


def bearer_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def patch_current(client: APIClient, url: str, data: dict):
    """PATCH ``data`` as a client that has just read the record does: based on its current version (If-Match)."""
    read = client.get(url)
    assert read.status_code == 200, read.content
    return client.patch(url, data, format="json", HTTP_IF_MATCH=read["ETag"])
