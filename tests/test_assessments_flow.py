"""An assessment from send to acceptance through the portal: drafts, evidence checked on content, submit, the
read-only view, return, accept; model-table rows becoming declared usages and parents; a vendor's base model
that contradicts the resolved lineage opening a discrepancy finding; the emails; the assessment_send command."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, AssessmentEvent, Evidence, Finding, RiskRating
from tests import factories
from tests.services import portal_enter
from vendors.models import AIModel, LineageEdge

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def product(db):
    product = factories.ProductFactory(name="Contract Copilot")
    factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    return product


def _send(product, analyst, key="ai-mbom"):
    return services.assessment_send(
        product=product,
        questionnaire=key,
        due_date=timezone.now().date() + timedelta(days=20),
        contacts=list(product.vendor.contacts.all()),
        by=analyst,
    )


def _complete_mbom(rows):
    data = {
        "shown": [
            "models.inventory",
            "origin.no_country_of_concern",
            "origin.derivation_documented",
            "data.training_datasets",
            "data.customer_data_training",
            "hosting.countries",
            "hosting.subprocessors",
            "change.notice_days",
            "compliance.screening",
            "compliance.evaluations",
        ],
        "q:origin.no_country_of_concern": "yes",
        "q:origin.derivation_documented": "no",
        "na:data.training_datasets": "on",
        "nar:data.training_datasets": "We only call a hosted API.",
        "q:data.customer_data_training": "never",
        "q:hosting.countries": "US, IE",
        "q:hosting.subprocessors": "2",
        "q:change.notice_days": "no_notice",
        "q:compliance.screening": "no",
        "q:compliance.evaluations": ["red_team"],
    }
    for n, row in enumerate(rows):
        for column, value in row.items():
            data[f"t:models.inventory:{n}:{column}"] = value
    return data


def test_the_vendor_saves_a_draft_uploads_evidence_submits_and_sees_it_read_only(
    client, product, analyst, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessment, url = _send(product, analyst)
    assert len(mail.outbox) == 1 and url in mail.outbox[0].body
    assert mail.outbox[0].to == ["compliance@vendor.example"]
    page = portal_enter(client, url)

    draft = {"shown": ["hosting.countries", "hosting.subprocessors"], "q:hosting.countries": "US",
             "q:hosting.subprocessors": "many", "action": "save"}  # fmt: skip
    response = client.post(page, draft)
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert 'value="many"' in response.content.decode()  # what was typed comes back
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").value == "US"
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.IN_PROGRESS

    upload = io.BytesIO(PDF)
    upload.name = "derivation.pdf"
    response = client.post(page, {"shown": ["origin.derivation_file"], "f:origin.derivation_file": upload})
    assert response.status_code == 302
    evidence = Evidence.objects.get(assessment=assessment)
    assert evidence.content_type == "application/pdf" and evidence.size == len(PDF)
    assert client.get(f"{page}evidence/{evidence.pk}/")["Content-Disposition"].startswith("attachment")

    data = _complete_mbom([{"model": "acme/contract-7b", "base_model": "meta-llama/Llama-3.1-8B",
                            "relation": "finetune", "role": "primary"}])  # fmt: skip
    data["action"] = "submit"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.score is not None and assessment.score > 0
    assert [e.to_status for e in AssessmentEvent.objects.filter(assessment=assessment) if e.to_status] == [
        "in_progress",
        "submitted",
    ]
    body = client.get(page).content.decode()
    assert "can no longer be changed" in body and "acme/contract-7b" in body
    assert "points" not in body.lower()  # no risk points in the portal
    assert client.post(page, data).status_code == 409
    assert any("Submitted" in m.subject for m in mail.outbox)


def test_a_submit_with_required_questions_unanswered_is_refused_and_keeps_the_draft(client, product, analyst):
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    response = client.post(page, {"shown": ["hosting.countries"], "q:hosting.countries": "DE", "action": "submit"})
    assert response.status_code == 400
    assert "still need an answer" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.IN_PROGRESS
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").value == "DE"


def test_an_upload_is_checked_on_its_content_and_its_size(client, product, analyst, settings):
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    fake = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200)  # an executable under a PDF's name
    fake.name = "report.pdf"
    response = client.post(page, {"shown": ["origin.derivation_file"], "f:origin.derivation_file": fake})
    assert response.status_code == 400
    assert "whatever its name" in response.content.decode()
    settings.EVIDENCE_MAX_MB = 1
    big = io.BytesIO(PDF + b"0" * (1024 * 1024))
    big.name = "big.pdf"
    response = client.post(page, {"shown": ["origin.derivation_file"], "f:origin.derivation_file": big})
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()
    assert not Evidence.objects.filter(assessment=assessment).exists()


def test_accepting_declares_usages_and_parents_and_a_contradiction_opens_a_discrepancy(
    client, product, analyst, django_capture_on_commit_callbacks, fake_hub
):
    fetched = {"status": AIModel.Status.RESOLVED, "fetched_at": timezone.now()}
    qwen = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", **fetched)
    tuned = factories.AIModelFactory(name="acme/contract-7b", **fetched)
    LineageEdge.objects.create(child=tuned, parent=qwen, relation="finetune", source="card", observed_at=timezone.now())
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    rows = [
        {"model": "acme/contract-7b", "base_model": "meta-llama/Llama-3.1-8B", "relation": "finetune"},
        {"model": "Vendor Secret Model", "base_model": "mistralai/Mistral-7B-v0.1", "relation": "finetune"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page, {**_complete_mbom(rows), "action": "submit"}).status_code == 302
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/assessments/{assessment.pk}/accept/")
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.ACCEPTED
    usages = {u.model.name: u for u in product.model_usages.select_related("model")}
    assert set(usages) == {"acme/contract-7b", "Vendor Secret Model"}
    assert {u.declared_by for u in usages.values()} == {"vendor"}
    # The declared model had no parent: the vendor's base becomes a declared parent. The hub model has one.
    declared = usages["Vendor Secret Model"].model.parent_edges.select_related("parent")
    assert [(e.parent.name, e.source) for e in declared] == [("mistralai/Mistral-7B-v0.1", "vendor")]
    finding = Finding.objects.get(usage=usages["acme/contract-7b"], code="discrepancy.answer_contradicts_lineage")
    assert "Qwen/Qwen2.5-7B is a root" in finding.title
    text = " ".join(finding.evidence)
    assert "models.inventory" in text and "meta-llama/Llama-3.1-8B" in text
    assert "resolved chain: acme/contract-7b → Qwen/Qwen2.5-7B" in text
    rating = RiskRating.objects.get(usage=usages["acme/contract-7b"], is_current=True)
    assert "questionnaire.answer_points" in {f["code"] for f in rating.factors}
    detail = client.get(assessment.get_absolute_url()).content.decode()
    assert "Discrepancies with the resolved lineage" in detail
    page = client.get(finding.get_absolute_url()).content.decode()
    assert "The vendor's word" in page and assessment.get_absolute_url() in page  # beside the resolved chain


def test_an_analyst_answers_on_the_vendors_behalf_comments_and_returns(client, product, analyst):
    assessment, url = _send(product, analyst)
    client.force_login(analyst)
    response = client.post(f"/assessments/{assessment.pk}/answer/", {**_complete_mbom([{"model": "acme/x-7b"}]),
                                                                     "action": "submit"})  # fmt: skip
    assert response.status_code == 302
    answer = Answer.objects.get(assessment=assessment, question_id="hosting.countries")
    assert answer.on_behalf and answer.entered_by == analyst
    client.post(f"/assessments/{assessment.pk}/comment/", {"question_id": "hosting.countries", "body": "Internal",
                                                           "internal": "on"})  # fmt: skip
    client.post(f"/assessments/{assessment.pk}/comment/", {"question_id": "hosting.countries", "body": "Which DC?"})
    client.post(f"/assessments/{assessment.pk}/return/", {"note": "Name the data centres."})
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.RETURNED and assessment.round == 2
    client.logout()
    body = client.get(portal_enter(client, url)).content.decode()
    assert "Which DC?" in body and "Internal" not in body


def test_the_list_filters_by_status_vendor_and_overdue(client, product, analyst):
    _send(product, analyst)
    other, _ = _send(factories.ProductFactory(), analyst, key="ai-intake")
    Assessment.objects.filter(pk=other.pk).update(due_date=timezone.now().date() - timedelta(days=1))
    client.force_login(analyst)
    mine, theirs = f'href="/products/{product.pk}/"', f'href="/products/{other.product.pk}/"'
    body = client.get("/assessments/?overdue=true").content.decode()
    assert theirs in body and mine not in body
    body = client.get(f"/assessments/?vendor={product.vendor.pk}&status=sent").content.decode()
    assert mine in body and theirs not in body


@pytest.mark.parametrize("path", ["/assessments/", "/assessments/send/", "/assessments/{pk}/",
                                  "/assessments/{pk}/answer/"])  # fmt: skip
def test_analyst_pages_need_a_sign_in_and_the_permission(client, product, analyst, viewer, path):
    assessment, _url = _send(product, analyst)
    path = path.format(pk=assessment.pk)
    assert client.get(path).status_code == 302  # to the sign-in page
    client.force_login(viewer)
    expected = 200 if path in ("/assessments/", f"/assessments/{assessment.pk}/") else 403
    assert client.get(path).status_code == expected
    assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 403
    client.force_login(analyst)
    assert client.get(path).status_code == 200


def test_the_portal_pages_need_the_link(client, product, analyst):
    assessment, _url = _send(product, analyst)
    assert client.get(f"/portal/assessments/{assessment.pk}/").status_code == 403
    client.force_login(analyst)  # an analyst's sign-in does not open the portal either
    assert client.get(f"/portal/assessments/{assessment.pk}/").status_code == 403


def test_assessment_send_prints_the_portal_url_last(product, capsys, django_capture_on_commit_callbacks):
    due = (timezone.now().date() + timedelta(days=10)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("assessment_send", "--product", str(product.pk), "--questionnaire", "ai-intake", "--due", due,
                 "--contact", "new.person@vendor.example")  # fmt: skip
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("http://") and "/portal/a/" in last
    assert product.vendor.contacts.filter(email="new.person@vendor.example").exists()
    assert mail.outbox[-1].to == ["new.person@vendor.example"]


def test_reminders_go_out_once_before_the_due_date_and_once_overdue(
    client, product, analyst, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessment, url = _send(product, analyst)
    due = assessment.due_date
    for days, sent in ((-3, 1), (-2, 0), (1, 1), (2, 0)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.assessments_remind(today=due + timedelta(days=days)) == sent
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Questionnaire from us", "Reminder", "Overdue"]
    # Each reminder carries a new link; the first one answers 410 now.
    assert client.get("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 410
    assert "/portal/a/" in mail.outbox[-1].body


def test_accepting_a_recurring_assessment_sends_the_next_one(client, product, analyst):
    assessment, _url = services.assessment_send(
        product=product, questionnaire="ai-intake", due_date=timezone.now().date() + timedelta(days=5),
        recurrence=Assessment.Recurrence.QUARTERLY, by=analyst,
    )  # fmt: skip
    client.force_login(analyst)
    data = {"shown": ["intake.uses_ai", "intake.criticality", "intake.data_categories", "intake.policy"],
            "q:intake.uses_ai": "yes", "q:intake.criticality": "high", "q:intake.data_categories": ["personal"],
            "q:intake.policy": "yes", "action": "submit"}  # fmt: skip
    assert client.post(f"/assessments/{assessment.pk}/answer/", data).status_code == 302
    assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 302
    following = Assessment.objects.get(previous=assessment)
    assert following.status == Assessment.Status.SENT and following.recurrence == "quarterly"
    assert following.due_date > assessment.due_date
    product.refresh_from_db()
    assert product.criticality == "high"  # the intake sets the product's criticality and data categories
    assert list(product.data_categories.values_list("code", flat=True)) == ["personal"]


def test_a_portal_session_reaches_only_its_own_evidence(client, product, analyst):
    mine, my_url = _send(product, analyst)
    theirs, their_url = _send(factories.ProductFactory(), analyst)
    services.evidence_add(assessment=theirs, question_id="origin.derivation_file", upload=_Upload(PDF, "theirs.pdf"))
    evidence = Evidence.objects.get(assessment=theirs)
    page = portal_enter(client, my_url)
    assert client.get(f"{page}evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/portal/assessments/{theirs.pk}/evidence/{evidence.pk}/").status_code == 403
    assert mine.pk != theirs.pk and their_url != my_url


class _Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name, self.size = name, len(data)


def _form_versions(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'name="v:([^"]+)" value="([^"]*)"', page))


def test_an_answer_saved_meanwhile_is_never_overwritten_by_an_older_form(client, product, analyst):
    """The vendor (portal) and an analyst (on the vendor's behalf) both have the form open: the second save of the
    same question is refused with the first's value, the other questions are saved, and saving again then works."""
    assessment, url = _send(product, analyst)
    vendor_form = client.get(portal_enter(client, url)).content.decode()
    vendor_versions = _form_versions(vendor_form)
    assert vendor_versions["hosting.countries"] == "0"
    vendor = client
    staff = type(client)()
    staff.force_login(analyst)
    staff_versions = _form_versions(staff.get(f"/assessments/{assessment.pk}/answer/").content.decode())

    portal_path = f"/portal/assessments/{assessment.pk}/"
    first = {"shown": ["hosting.countries"], "q:hosting.countries": "US"}
    assert vendor.post(portal_path, {**first, **{f"v:{k}": v for k, v in vendor_versions.items()}}).status_code == 302
    second = {
        "shown": ["hosting.countries", "hosting.subprocessors"],
        "q:hosting.countries": "US, CN",
        "q:hosting.subprocessors": "3",
        **{f"v:{k}": v for k, v in staff_versions.items()},
    }
    refused = staff.post(f"/assessments/{assessment.pk}/answer/", second)
    page = refused.content.decode()
    assert refused.status_code == 400 and "Changed meanwhile by the vendor" in page and "to: US." in page
    answers = {a.question_id: a.value for a in Answer.objects.filter(assessment=assessment)}
    assert answers["hosting.countries"] == "US" and answers["hosting.subprocessors"] == 3  # the rest is saved

    again = {**second, **{f"v:{k}": v for k, v in _form_versions(page).items()}}
    assert staff.post(f"/assessments/{assessment.pk}/answer/", again).status_code == 302
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").value == "US, CN"


def test_a_version_sent_for_a_question_never_answered_saves_the_answer(client, product, analyst):
    assessment, _url = _send(product, analyst)
    client.force_login(analyst)
    form = {"shown": ["hosting.countries"], "q:hosting.countries": "US", "v:hosting.countries": "12345"}
    assert client.post(f"/assessments/{assessment.pk}/answer/", form).status_code == 302
    assert Answer.objects.get(assessment=assessment, question_id="hosting.countries").value == "US"
