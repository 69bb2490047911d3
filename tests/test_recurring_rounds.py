"""The next round of a recurring assessment starts from the last accepted answers: carried over (with their files),
marked so in the portal and the analyst's page, and the vendor confirms each one or changes it before it can
submit; the accepted round keeps its own answers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, Evidence
from tests import factories
from tests.services import portal_enter
from tests.test_assessments_flow import PDF

pytestmark = pytest.mark.django_db

SHOWN = ["intake.uses_ai", "intake.criticality", "intake.data_categories", "intake.policy"]


@pytest.fixture
def accepted(client, analyst, django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Contract Copilot")
    contact = factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    assessment, _url = services.assessment_send(
        product=product,
        questionnaire="ai-intake",
        due_date=timezone.now().date() + timedelta(days=5),
        contacts=[contact],
        recurrence=Assessment.Recurrence.QUARTERLY,
        by=analyst,
    )
    client.force_login(analyst)
    data = {"shown": SHOWN, "q:intake.uses_ai": "yes", "q:intake.criticality": "high",
            "q:intake.data_categories": ["personal"], "q:intake.policy": "yes", "action": "submit"}  # fmt: skip
    assert client.post(f"/assessments/{assessment.pk}/answer/", data).status_code == 302
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 302
    return assessment


def test_the_next_round_arrives_with_the_accepted_answers_to_confirm(
    accepted, analyst, django_capture_on_commit_callbacks
):
    following = Assessment.objects.get(previous=accepted)
    answers = {a.question_id: a for a in following.answers.select_related("carried_from")}

    assert {qid: a.value for qid, a in answers.items()} == {
        "intake.uses_ai": "yes", "intake.criticality": "high", "intake.data_categories": ["personal"],
        "intake.policy": "yes",
    }  # fmt: skip
    assert {a.carried_state for a in answers.values()} == {"to_confirm"}
    assert answers["intake.criticality"].carried_from.assessment == accepted
    assert following.status == Assessment.Status.SENT  # nothing confirmed yet: the vendor has not started
    assert "4 answer(s) carried over" in following.events.get(action="answers_carried_over").note

    vendor = Client()
    url = mail.outbox[-1].body.split("http://", 1)[1].split()[0]
    page = portal_enter(vendor, "http://" + url)
    body = vendor.get(page).content.decode()
    assert "This is a new round: 4 answers are filled in" in body and body.count('name="keep:') == 4

    base = {"shown": SHOWN, "q:intake.uses_ai": "yes", "q:intake.criticality": "critical",
            "q:intake.data_categories": ["personal"], "q:intake.policy": "yes"}  # fmt: skip
    refused = vendor.post(page, {**base, "keep:intake.uses_ai": "on", "action": "submit"})
    assert refused.status_code == 400
    assert "2 answer(s) carried over from the last round still need your confirmation" in refused.content.decode()
    assert Assessment.objects.get(pk=following.pk).status == Assessment.Status.IN_PROGRESS  # the draft is kept
    states = dict(following.answers.values_list("question_id", "carried_state"))
    assert states == {"intake.uses_ai": "confirmed", "intake.criticality": "changed",
                      "intake.data_categories": "to_confirm", "intake.policy": "to_confirm"}  # fmt: skip

    keep = {"keep:intake.data_categories": "on", "keep:intake.policy": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert vendor.post(page, {**base, **keep, "action": "submit"}).status_code == 302
    assert Assessment.objects.get(pk=following.pk).status == Assessment.Status.SUBMITTED
    assert set(following.answers.values_list("carried_state", flat=True)) == {"confirmed", "changed"}
    assert accepted.answers.get(question_id="intake.criticality").value == "high"  # the accepted round is kept

    staff = Client()
    staff.force_login(analyst)
    detail = staff.get(following.get_absolute_url()).content.decode()
    assert "Carried over from the last round and confirmed." in detail and "Changed since the last round." in detail


def test_carrying_over_skips_what_no_longer_fits_and_copies_evidence(analyst):
    product = factories.ProductFactory()
    due = timezone.now().date() + timedelta(days=10)
    source, _ = services.assessment_send(product=product, questionnaire="ai-mbom", due_date=due, by=analyst)
    services.answers_save(
        assessment=source,
        answers={
            "hosting.countries": services.RawAnswer("US, IE"),
            "origin.derivation_documented": services.RawAnswer("yes"),
            "compliance.screening": services.RawAnswer("yes"),
        },
        by=analyst,
    )
    file_question = "origin.derivation_file"
    evidence = services.evidence_add(
        assessment=source, question_id=file_question, upload=SimpleUploadedFile("card.pdf", PDF), by=analyst
    )
    Answer.objects.filter(assessment=source, question_id="compliance.screening").update(value="perhaps")
    target, _ = services.assessment_send(product=product, questionnaire="ai-mbom", due_date=due, by=analyst)

    carried = services.answers_carry_over(assessment=target, source=source)

    assert carried == 3  # the screening answer no longer fits its question: asked afresh
    assert not target.answers.filter(question_id="compliance.screening").exists()
    copy = Evidence.objects.get(assessment=target)
    assert (copy.sha256, copy.original_name, copy.file.name) == (evidence.sha256, "card.pdf", evidence.file.name)
    assert target.answers.get(question_id=file_question).value == [copy.pk]
    assert Evidence.objects.get(pk=evidence.pk).assessment == source  # the earlier round keeps its own


def test_confirming_a_carried_answer_needs_no_value_posted_again(accepted):
    following = Assessment.objects.get(previous=accepted)

    result = services.answers_save(
        assessment=following,
        answers={"intake.policy": services.RawAnswer("no")},
        confirmed=["intake.uses_ai", "intake.criticality", "intake.data_categories", "no.such.question"],
    )

    assert result.saved == 4 and not result.errors
    states = dict(following.answers.values_list("question_id", "carried_state"))
    assert states == {"intake.uses_ai": "confirmed", "intake.criticality": "confirmed",
                      "intake.data_categories": "confirmed", "intake.policy": "changed"}  # fmt: skip
    services.assessment_submit(assessment=following)
    assert Assessment.objects.get(pk=following.pk).status == Assessment.Status.SUBMITTED
