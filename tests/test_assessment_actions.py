"""Cancelling an assessment and removing an evidence file from the analyst's pages: a confirmation page that asks
why (GET changes nothing), the action on POST only, for analysts only; the trail keeps who, when and why, the
answers and the file stay on record, and the vendor's link answers 410 after a cancel."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, Evidence
from tests import factories
from tests.test_assessments_flow import PDF
from tests.test_attestation_portal import _path

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(db, analyst):
    product = factories.ProductFactory(name="Contract Copilot")
    contact = factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    assessment, url = services.assessment_send(
        product=product,
        questionnaire="ai-mbom",
        due_date=timezone.now().date() + timedelta(days=20),
        contacts=[contact],
        by=analyst,
    )
    return assessment, url


@pytest.fixture
def evidence(sent):
    assessment, _url = sent
    services.answers_save(assessment=assessment, answers={"hosting.countries": services.RawAnswer("US")})
    return services.evidence_add(
        assessment=assessment, question_id="hosting.countries", upload=SimpleUploadedFile("dpa.pdf", PDF)
    )


def test_an_analyst_cancels_after_confirming_with_a_reason(client, analyst, sent):
    assessment, url = sent
    client.force_login(analyst)
    detail = client.get(assessment.get_absolute_url()).content.decode()
    assert f'href="/assessments/{assessment.pk}/cancel/"' in detail

    page = client.get(f"/assessments/{assessment.pk}/cancel/")
    assert page.status_code == 200 and "portal link stops working" in page.content.decode()
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.SENT  # a GET changes nothing

    refused = client.post(f"/assessments/{assessment.pk}/cancel/", {"reason": "  "})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.SENT

    done = client.post(f"/assessments/{assessment.pk}/cancel/", {"reason": "Product no longer bought"})
    assert done.status_code == 302 and done["Location"] == assessment.get_absolute_url()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.CANCELLED
    event = assessment.events.get(action="cancelled")
    assert (event.actor, event.note, event.from_status) == (analyst, "Product no longer bought", "sent")
    client.logout()
    assert client.get(_path(url)).status_code == 410  # the vendor's link no longer works

    client.force_login(analyst)
    again = client.get(f"/assessments/{assessment.pk}/cancel/").content.decode()
    assert "can no longer be done" in again
    assert client.post(f"/assessments/{assessment.pk}/cancel/", {"reason": "twice"}).status_code == 200
    assert assessment.events.filter(action="cancelled").count() == 1


def test_the_service_refuses_a_cancel_without_a_reason(sent, analyst):
    assessment, _url = sent
    with pytest.raises(ValidationError, match="Say why"):
        services.assessment_cancel(assessment=assessment, note=" ", by=analyst)
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.SENT


def test_an_analyst_removes_a_file_from_an_answer_and_it_stays_on_record(client, analyst, sent, evidence):
    assessment, _url = sent
    client.force_login(analyst)
    detail = client.get(assessment.get_absolute_url()).content.decode()
    retire = f"/assessments/{assessment.pk}/evidence/{evidence.pk}/retire/"
    assert f'href="{retire}"' in detail

    page = client.get(retire)
    assert page.status_code == 200 and "dpa.pdf" in page.content.decode()
    assert Evidence.objects.get(pk=evidence.pk).retired_at is None  # a GET changes nothing

    done = client.post(retire, {"reason": "The vendor attached the wrong contract"})
    assert done.status_code == 302
    evidence.refresh_from_db()
    assert evidence.retired_at is not None
    event = assessment.events.get(action="evidence_retired")
    assert event.actor == analyst and "dpa.pdf" in event.note and "wrong contract" in event.note
    assert f'href="{retire}"' not in client.get(assessment.get_absolute_url()).content.decode()
    download = client.get(f"/assessments/{assessment.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF  # kept on record
    assert client.post(retire, {"reason": "again"}).status_code == 200  # refused: already removed
    assert assessment.events.filter(action="evidence_retired").count() == 1


def test_a_file_question_loses_the_removed_file_from_its_answer(analyst, sent):
    assessment, _url = sent
    file_question = next(
        q["id"] for s in assessment.questionnaire.definition["sections"] for q in s["questions"] if q["type"] == "file"
    )
    upload = services.evidence_add(
        assessment=assessment, question_id=file_question, upload=SimpleUploadedFile("e.pdf", PDF), by=analyst
    )
    assert Answer.objects.get(assessment=assessment, question_id=file_question).value == [upload.pk]

    services.evidence_retire(evidence=upload, by=analyst, reason="Outdated")

    assert Answer.objects.get(assessment=assessment, question_id=file_question).value is None


def test_a_submitted_assessments_files_cannot_be_removed(client, analyst, sent, evidence):
    assessment, _url = sent
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
    client.force_login(analyst)
    retire = f"/assessments/{assessment.pk}/evidence/{evidence.pk}/retire/"
    assert f'href="{retire}"' not in client.get(assessment.get_absolute_url()).content.decode()
    assert "can no longer be done" in client.get(retire).content.decode()
    assert client.post(retire, {"reason": "late"}).status_code == 200
    assert Evidence.objects.get(pk=evidence.pk).retired_at is None


def test_viewers_and_strangers_cannot_cancel_or_remove(client, viewer, analyst, sent, evidence):
    assessment, _url = sent
    paths = [f"/assessments/{assessment.pk}/cancel/", f"/assessments/{assessment.pk}/evidence/{evidence.pk}/retire/"]
    for path in paths:
        assert client.get(path).status_code == 302  # to the sign-in page
        assert client.post(path, {"reason": "x"}).status_code == 302
    client.force_login(viewer)
    detail = client.get(assessment.get_absolute_url()).content.decode()
    assert "/cancel/" not in detail and "/retire/" not in detail
    for path in paths:
        assert client.get(path).status_code == 403
        assert client.post(path, {"reason": "x"}).status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.IN_PROGRESS  # as the vendor left it
    assert Evidence.objects.get(pk=evidence.pk).retired_at is None
    client.force_login(analyst)
    other = factories.ProductFactory()
    elsewhere, _ = services.assessment_send(
        product=other, questionnaire="ai-intake", due_date=timezone.now().date() + timedelta(days=5)
    )
    assert client.get(f"/assessments/{elsewhere.pk}/evidence/{evidence.pk}/retire/").status_code == 404


def test_the_vendor_removes_a_wrong_file_in_the_portal_and_it_stays_on_record(client, analyst, sent, evidence):
    assessment, url = sent
    other_product = factories.ProductFactory()
    other, _ = services.assessment_send(
        product=other_product, questionnaire="ai-intake", due_date=timezone.now().date() + timedelta(days=5)
    )
    foreign = services.evidence_add(
        assessment=other, question_id="intake.policy", upload=SimpleUploadedFile("theirs.pdf", PDF)
    )
    page = client.get(_path(url))["Location"]
    body = client.get(page).content.decode()
    assert f'name="retire" value="{evidence.pk}"' in body and "data-confirm=" in body
    assert "/retire/" not in body  # the analysts' page is not offered to the vendor

    kept = {"shown": ["hosting.countries"], "q:hosting.countries": "US, DE"}
    assert client.post(page, {**kept, "retire": str(foreign.pk)}).status_code == 302
    assert Evidence.objects.get(pk=foreign.pk).retired_at is None  # another assessment's file: untouched
    removed = client.post(page, {**kept, "retire": str(evidence.pk)})

    assert removed.status_code == 302
    evidence.refresh_from_db()
    assert evidence.retired_at is not None
    event = assessment.events.get(action="evidence_retired")
    assert event.actor_label == "vendor portal" and "dpa.pdf" in event.note
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").value == "US, DE"  # saved too
    assert f'name="retire" value="{evidence.pk}"' not in client.get(page).content.decode()
    client.force_login(analyst)
    download = client.get(f"/assessments/{assessment.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200  # kept on record for the analysts
