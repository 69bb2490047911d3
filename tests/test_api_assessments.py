"""Questionnaires and assessments through the REST API: versions, an assessment's answers with comments and
evidence, the download, and the workflow's verbs through the services (send, remind, reissue, return with
comments, accept, cancel)."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import AnswerComment, Assessment, AssessmentEvent, AssessmentLink
from tests.api import EVIDENCE_PDF, build_world, key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(analyst):
    return key_client(analyst)


def _due(days: int = 20) -> str:
    return (timezone.now().date() + dt.timedelta(days=days)).isoformat()


def test_questionnaire_versions_list_the_current_one_and_a_detail_has_the_document(api, world):
    listed = api.get("/api/v1/questionnaires/", {"key": "ai-mbom"}).json()["results"]
    assert [q["key"] for q in listed] == ["ai-mbom"] and listed[0]["is_current"] is True
    assert "definition" not in listed[0] and listed[0]["question_count"] > 5
    current = api.get("/api/v1/questionnaires/", {"current": "true"}).json()["results"]
    assert {q["key"] for q in current} == {"ai-mbom", "ai-intake"}
    detail = api.get(f"/api/v1/questionnaires/{world.questionnaire.pk}/").json()
    assert detail["definition"]["id"] == "ai-mbom" and detail["definition"]["sections"]


def test_an_assessment_shows_every_question_with_answer_comments_and_evidence(api, world):
    response = api.get(f"/api/v1/assessments/{world.assessment.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress" and body["questionnaire"] == "ai-mbom"
    rows = {row["question_id"]: row for row in body["answers"]}
    answered = rows["origin.no_country_of_concern"]
    assert answered["answered"] and answered["value"] == "yes" and answered["channel"] == "portal"
    assert not answered["on_behalf"] and answered["text"].startswith("Do all models")
    assert rows["models.inventory"]["answered"] is False and rows["models.inventory"]["value"] is None
    file_row = rows["origin.derivation_file"]
    assert [(c["author_kind"], c["internal"]) for c in file_row["comments"]] == [("vendor", False), ("analyst", True)]
    [evidence] = file_row["evidence"]
    assert evidence["sha256"] == hashlib.sha256(EVIDENCE_PDF).hexdigest()
    assert evidence["download"].endswith(f"/api/v1/evidence/{world.evidence.pk}/download/")
    assert [e["action"] for e in body["events"]][:2] == ["sent", "link_send"]


def test_each_answer_carries_its_review_and_whether_it_was_carried_over(api, world, analyst):
    from assessments.models import Answer

    Answer.objects.filter(assessment=world.assessment, question_id="origin.no_country_of_concern").update(
        review_status=Answer.Review.CHANGES_REQUESTED,
        review_note="Name the base model's publisher.",
        reviewed_by=analyst,
        reviewed_at=timezone.now(),
    )
    rows = {r["question_id"]: r for r in api.get(f"/api/v1/assessments/{world.assessment.pk}/").json()["answers"]}
    reviewed = rows["origin.no_country_of_concern"]
    assert reviewed["review_status"] == "changes_requested" and reviewed["reviewed_by"] == analyst.username
    assert reviewed["review_note"] == "Name the base model's publisher." and reviewed["reviewed_at"]
    assert reviewed["carried_state"] == ""  # answered in this round
    unanswered = rows["models.inventory"]
    assert unanswered["review_status"] is None and unanswered["carried_state"] is None


def test_evidence_downloads_as_an_attachment_for_signed_in_users_only(api, world, client, viewer):
    url = f"/api/v1/evidence/{world.evidence.pk}/download/"
    response = api.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == EVIDENCE_PDF
    assert response["Content-Disposition"].startswith("attachment") and response["Content-Type"] == "application/pdf"
    assert client.get(url).status_code in (401, 403)
    client.force_login(viewer)
    assert client.get(url).status_code == 200


def test_assessments_list_with_the_pages_filters(api, world):
    other = build_world(" 2")
    services.assessment_cancel(assessment=other.assessment, note="Sent to the wrong product.", by=None)
    listed = api.get("/api/v1/assessments/", {"status": "in_progress"}).json()["results"]
    assert [a["id"] for a in listed] == [world.assessment.pk]
    assert api.get("/api/v1/assessments/", {"status": "bogus"}).status_code == 400
    by_vendor = api.get("/api/v1/assessments/", {"vendor": other.vendor.pk}).json()["results"]
    assert [(a["id"], a["status"]) for a in by_vendor] == [(other.assessment.pk, "cancelled")]


def test_send_returns_the_portal_link_once_and_refuses_a_past_due_date(api, world, mailoutbox):
    contact = world.contact
    sent = api.post(
        "/api/v1/assessments/send/",
        {"product": world.product.pk, "questionnaire": "ai-intake", "due_date": _due(), "contacts": [contact.pk]},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["status"] == "sent" and body["questionnaire"] == "ai-intake" and "/portal/" in body["portal_url"]
    assert Assessment.objects.get(pk=body["id"]).sent_by.username == "ana-analyst"
    before = Assessment.objects.count()
    refused = api.post(
        "/api/v1/assessments/send/",
        {"product": world.product.pk, "questionnaire": "ai-intake", "due_date": "2020-01-01"},
        format="json",
    )
    assert refused.status_code == 400 and "due_date" in refused.json()["fields"]
    unknown = api.post(
        "/api/v1/assessments/send/",
        {"product": world.product.pk, "questionnaire": "nope", "due_date": _due()},
        format="json",
    )
    assert unknown.status_code == 400 and "questionnaire" in unknown.json()["fields"]
    assert Assessment.objects.count() == before


def test_remind_and_reissue_mint_a_new_link_and_retire_the_old_one(api, world):
    first = AssessmentLink.objects.get(assessment=world.assessment, superseded_at__isnull=True)
    reminded = api.post(f"/api/v1/assessments/{world.assessment.pk}/remind/")
    assert reminded.status_code == 200 and "/portal/" in reminded.json()["portal_url"]
    first.refresh_from_db()
    assert first.superseded_at is not None
    live = AssessmentLink.objects.get(assessment=world.assessment, superseded_at__isnull=True)
    assert live.reason == AssessmentLink.Reason.REMINDER
    reissued = api.post(f"/api/v1/assessments/{world.assessment.pk}/reissue-link/")
    assert reissued.status_code == 200 and reissued.json()["portal_url"] != reminded.json()["portal_url"]


def _submitted(world):
    assessment = world.assessment
    raw = services.RawAnswer
    answers = {
        "models.inventory": raw(value=[{"model": world.model.name, "role": "primary"}]),
        "origin.derivation_documented": raw(value="no"),
        "data.training_datasets": raw(na=True, na_reason="We only call a hosted API."),
        "data.customer_data_training": raw(value="never"),
        "hosting.countries": raw(value="US, IE"),
        "hosting.subprocessors": raw(value="2"),
        "change.notice_days": raw(value="no_notice"),
        "compliance.screening": raw(value="no"),
        "compliance.evaluations": raw(value=["red_team"]),
    }
    result = services.answers_save(assessment=assessment, answers=answers)
    assert not result.errors, result.errors
    return services.assessment_submit(assessment=assessment)


def test_return_adds_the_comments_and_refuses_all_of_it_when_one_is_wrong(api, world):
    assessment = _submitted(world)
    url = f"/api/v1/assessments/{assessment.pk}/return/"
    comments_before = AnswerComment.objects.count()
    bad = api.post(
        url,
        {
            "note": "Please fix",
            "comments": [
                {"question_id": "models.inventory", "body": "Which host?"},
                {"question_id": "no.such", "body": "?"},
            ],
        },
        format="json",
    )
    assert bad.status_code == 400 and "question_id" in bad.json()["fields"]
    assert AnswerComment.objects.count() == comments_before
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert api.post(url, {"comments": []}, format="json").status_code == 400  # a note is required
    good = api.post(
        url, {"note": "Please name the host", "comments": [{"question_id": "models.inventory", "body": "Host?"}]},
        format="json",
    )  # fmt: skip
    assert good.status_code == 200, good.content
    body = good.json()
    assert body["status"] == "returned" and body["round"] == 2
    row = next(r for r in body["answers"] if r["question_id"] == "models.inventory")
    assert [c["body"] for c in row["comments"]] == ["Host?"]


def test_accept_a_submission_and_cancel_only_what_is_open(api, world):
    assert api.post(f"/api/v1/assessments/{world.assessment.pk}/accept/").status_code == 400  # not submitted
    assessment = _submitted(world)
    accepted = api.post(f"/api/v1/assessments/{assessment.pk}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_by"] == "ana-analyst"
    refused = api.post(f"/api/v1/assessments/{assessment.pk}/cancel/", {"note": "late"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    other = build_world(" 2").assessment
    cancelled = api.post(f"/api/v1/assessments/{other.pk}/cancel/", {"note": "Replaced"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert AssessmentEvent.objects.filter(assessment=other, action="cancelled", note="Replaced").exists()


def test_viewers_and_read_keys_read_assessments_but_cannot_act(world, viewer, analyst):
    for client in (key_client(viewer), key_client(analyst, scope="read")):
        assert client.get(f"/api/v1/assessments/{world.assessment.pk}/").status_code == 200
        for verb in ("remind", "reissue-link", "return", "accept", "cancel"):
            response = client.post(f"/api/v1/assessments/{world.assessment.pk}/{verb}/", {}, format="json")
            assert response.status_code == 403, verb
        send = client.post(
            "/api/v1/assessments/send/",
            {"product": world.product.pk, "questionnaire": "ai-mbom", "due_date": _due()},
            format="json",
        )
        assert send.status_code == 403
    world.assessment.refresh_from_db()
    assert world.assessment.status == "in_progress"
    assert AssessmentLink.objects.filter(assessment=world.assessment).count() == 1
    assert Assessment.objects.count() == 1
