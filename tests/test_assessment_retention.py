"""What vendors told us outlives the products and usages it was about: a usage a vendor was asked to attest, a
product with an assessment (answers, evidence, comments) and a vendor with a signed attestation are retired on
every removal path, never deleted, and the database itself refuses to erase what points at them."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, AttestationCoverage, AttestationRequest, Evidence
from tests import factories
from vendors import services as vendor_services
from vendors.models import ModelUsage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _declared_usage(**kwargs) -> ModelUsage:
    return factories.ModelUsageFactory(model__kind="declared", model__status="resolved", **kwargs)


def test_a_usage_asked_about_in_an_attestation_request_is_retired_and_the_coverage_kept(analyst):
    usage = _declared_usage()
    assert not usage.ratings.exists()  # nothing but the attestation request depends on it
    request = services.attestation_request_create(
        product=usage.product, deadline=timezone.now().date() + dt.timedelta(days=10), by=analyst
    )

    removal = vendor_services.model_usage_remove(usage=usage, reason="Replaced by another model", user=analyst)

    assert removal.retired and removal.kept == {"attestation coverages": 1}
    assert ModelUsage.objects.get(pk=usage.pk).is_retired
    assert list(AttestationCoverage.objects.filter(request=request).values_list("usage_id", flat=True)) == [usage.pk]
    with pytest.raises(ProtectedError):
        usage.delete()


def test_a_product_with_an_assessment_keeps_answers_and_evidence_when_it_is_removed(analyst):
    usage = _declared_usage()
    product = usage.product
    assessment, _url = services.assessment_send(
        product=product, questionnaire="ai-intake", due_date=timezone.now().date() + dt.timedelta(days=10), by=analyst
    )
    question = next(q for q in services.questionnaire_current(key="ai-intake").definition["sections"][0]["questions"])
    services.answer_comment_add(assessment=assessment, question_id=question["id"], body="See the policy", by=analyst)
    evidence = services.evidence_add(
        assessment=assessment, question_id=question["id"], upload=SimpleUploadedFile("p.pdf", PDF), by=analyst
    )
    answers = Answer.objects.filter(assessment=assessment).count()

    removal = vendor_services.product_remove(product=product, reason="Contract ended", user=analyst)
    vendor_removal = vendor_services.vendor_remove(vendor=product.vendor, reason="Offboarded", user=analyst)

    assert removal.retired and removal.kept.get("assessments") == 1
    assert vendor_removal.retired
    assert Assessment.objects.filter(pk=assessment.pk, product=product).exists()
    assert Answer.objects.filter(assessment=assessment).count() == answers
    assert Evidence.objects.filter(pk=evidence.pk, retired_at__isnull=True).exists()
    assert assessment.comments.count() == 1
    with pytest.raises(ProtectedError):
        product.delete()


def test_a_vendor_with_an_attestation_request_is_archived_not_deleted(analyst):
    usage = _declared_usage()
    vendor = usage.product.vendor
    request = services.attestation_request_create(
        vendor=vendor, deadline=timezone.now().date() + dt.timedelta(days=10), by=analyst
    )

    removal = vendor_services.vendor_remove(vendor=vendor, reason="Offboarded", user=analyst)

    assert removal.retired
    assert AttestationRequest.objects.filter(pk=request.pk, vendor=vendor).exists()
    assert AttestationCoverage.objects.filter(request=request, usage=usage).exists()


def test_the_trail_keeps_who_was_asked_after_a_contact_is_deleted(analyst):
    product = factories.ProductFactory()
    contact = factories.ContactFactory(vendor=product.vendor, email="leaver@vendor.example")
    assessment, _url = services.assessment_send(
        product=product,
        questionnaire="ai-intake",
        due_date=timezone.now().date() + dt.timedelta(days=10),
        contacts=[contact],
        by=analyst,
    )

    vendor_services.contact_delete(contact=contact)

    assert not assessment.contacts.exists()
    assert "to leaver@vendor.example" in assessment.events.get(action="sent").note
