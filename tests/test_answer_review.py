"""Reviewing a submission answer by answer: the analyst accepts answers or asks for changes with a note; returning
carries the marks to the vendor (email and portal show which answers to fix and why); a changed answer is back to
"not reviewed"; the assessment cannot be accepted while an answer needs changes; every mark is in the trail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment
from tests import factories
from tests.services import portal_enter
from tests.test_assessments_flow import _complete_mbom

pytestmark = pytest.mark.django_db

ROWS = [{"model": "Vendor Secret Model", "base_model": "", "relation": "none", "role": "primary"}]
HOSTING = "Countries it is served from"


@pytest.fixture
def submitted(client, analyst, django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Contract Copilot")
    contact = factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    assessment, url = services.assessment_send(
        product=product,
        questionnaire="ai-mbom",
        due_date=timezone.now().date() + timedelta(days=20),
        contacts=[contact],
        by=analyst,
    )
    page = portal_enter(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        data = {**_complete_mbom(ROWS), "q:hosting.countries": "US", "action": "submit"}
        assert client.post(page, data).status_code == 302
    mail.outbox.clear()
    return assessment, page


def _review(client, assessment, question_id, status, note=""):
    return client.post(
        f"/assessments/{assessment.pk}/review/", {"question_id": question_id, "status": status, "note": note}
    )


def test_marked_answers_go_back_to_the_vendor_and_block_acceptance_until_fixed(
    client, analyst, submitted, django_capture_on_commit_callbacks
):
    assessment, portal_page = submitted
    vendor, client = client, Client()  # the vendor keeps its portal session; the analyst signs in elsewhere
    client.force_login(analyst)
    detail = client.get(assessment.get_absolute_url()).content.decode()
    assert 'form="review-hosting.countries"' in detail and "0 accepted" in detail

    accepted = _review(client, assessment, "compliance.screening", "accepted")
    assert accepted.status_code == 302 and accepted["Location"].endswith("#q-compliance.screening")
    _review(client, assessment, "hosting.countries", "changes_requested", "List Ireland too: the DPA says IE.")

    answers = {a.question_id: a for a in Answer.objects.filter(assessment=assessment)}
    assert answers["compliance.screening"].review_status == "accepted"
    hosting = answers["hosting.countries"]
    assert (hosting.review_status, hosting.reviewed_by) == ("changes_requested", analyst)
    events = list(assessment.events.filter(action="question_reviewed").values_list("note", flat=True))
    assert events == [
        "compliance.screening: accepted",
        "hosting.countries: needs changes. List Ireland too: the DPA says IE.",
    ]
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert 'disabled aria-describedby="accept-blocked"' in page
    refused = client.post(f"/assessments/{assessment.pk}/accept/", follow=True).content.decode()
    assert "marked as needing changes (hosting.countries)" in refused
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/assessments/{assessment.pk}/return/", {"note": ""}).status_code == 302  # the marks say it
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.RETURNED
    assert (
        "1 answer(s) need changes: hosting.countries: List Ireland too" in assessment.events.get(action="returned").note
    )
    assert [m.to for m in mail.outbox] == [["compliance@vendor.example"]]
    assert "In which countries are the models served?" in mail.outbox[0].body
    assert "List Ireland too: the DPA says IE." in mail.outbox[0].body

    page = vendor.get(portal_page).content.decode()
    assert "please change 1 of them" in page and 'href="#q-hosting.countries"' in page
    assert page.count("List Ireland too: the DPA says IE.") == 2  # in the list and at the question
    assert "Answer accepted" not in page  # the vendor sees what to fix, not the analyst's bookkeeping

    data = {**_complete_mbom(ROWS), "q:hosting.countries": "US, IE", "action": "submit"}
    with django_capture_on_commit_callbacks(execute=True):
        assert vendor.post(portal_page, data).status_code == 302
    hosting.refresh_from_db()
    assert (hosting.value, hosting.review_status) == ("US, IE", "pending")  # changed: to be reviewed again
    assert Answer.objects.get(assessment=assessment, question_id="compliance.screening").review_status == "accepted"

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.ACCEPTED


def test_a_review_mark_needs_a_submitted_answer_and_a_note_to_ask_for_changes(analyst, submitted):
    assessment, _page = submitted
    with pytest.raises(ValidationError, match="Say what the vendor should change"):
        services.answer_review(
            assessment=assessment, question_id="hosting.countries", status="changes_requested", note=" ", by=analyst
        )
    with pytest.raises(ValidationError, match="no answer to review"):
        services.answer_review(assessment=assessment, question_id="models.notes", status="accepted", by=analyst)
    with pytest.raises(ValidationError, match="Say what the vendor should correct"):
        services.assessment_return(assessment=assessment, note="", by=analyst)
    services.assessment_cancel(assessment=assessment, note="Wrong product", by=analyst)
    with pytest.raises(ValidationError, match="once the vendor has submitted"):
        services.answer_review(assessment=assessment, question_id="hosting.countries", status="accepted", by=analyst)
    assert not assessment.events.filter(action="question_reviewed").exists()


def test_only_analysts_review_answers(client, viewer, submitted):
    assessment, _page = submitted
    assert _review(client, assessment, "hosting.countries", "accepted").status_code == 302  # to the sign-in page
    client.force_login(viewer)
    assert 'form="review-' not in client.get(assessment.get_absolute_url()).content.decode()
    assert _review(client, assessment, "hosting.countries", "accepted").status_code == 403
    assert client.get(f"/assessments/{assessment.pk}/review/").status_code in (403, 405)
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").review_status == "pending"
