"""Findings people can read: severity and the factor's label (one label map for every page), what caused it (the
question and answer, or the chain), a comment thread kept in the history, due-date and expiring-acceptance notices
by email (idempotent, read from the outbox), and "My findings"."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import services
from assessments.models import Finding, FindingComment
from assessments.scoring import FACTOR_CODES, Policy
from assessments.scoring.labels import FACTOR_LABELS, factor_label, finding_severity
from riskregistry.roles import ADMIN, ANALYST
from tests import factories
from vendors.models import LineageEdge

pytestmark = pytest.mark.django_db

CODE = "origin.country_of_concern"
HOSTILE = "<script>alert(1)</script>"


def _today():
    return timezone.now().astimezone(dt.UTC).date()


def _finding(usage=None, **fields) -> Finding:
    values = {
        "usage": usage or factories.ModelUsageFactory(),
        "code": CODE,
        "trigger": Finding.Trigger.CRITICAL_FACTOR,
        "title": "Qwen/Qwen2.5-7B (Alibaba Cloud, CN) is an ancestor",
        "evidence": ["acme/copilot → Qwen/Qwen2.5-7B [root]"],
        "points": 40,
        "due_date": _today() + dt.timedelta(days=30),
        **fields,
    }
    if values.get("status") == Finding.Status.ACCEPTED:
        values.setdefault("justification", "Runs on-premises.")
        values.setdefault("accepted_until", _today() + dt.timedelta(days=30))
    return Finding.objects.create(**values)


# --- labels and severity (pure) ------------------------------------------------------------------------------------


def test_every_factor_has_a_label_and_an_unknown_code_reads_as_itself():
    assert set(FACTOR_LABELS) == set(FACTOR_CODES)
    assert all(label and "." not in label and "_" not in label for label in FACTOR_LABELS.values())
    assert factor_label("origin.country_of_concern") == "Origin in a country of concern"
    assert factor_label("gone.since") == "gone.since"


@pytest.mark.parametrize(
    ("code", "points", "critical_tier", "expected"),
    [
        ("license.drift", 5, False, "low"),  # few points, not a factor that opens a finding
        ("opacity.incomplete", 30, False, "moderate"),  # the tier its points alone reach (25/50/75)
        ("origin.country_of_concern", 25, False, "high"),  # a factor the policy marks critical: at least high
        ("origin.sanctioned_publisher", 80, False, "critical"),  # its points alone reach critical
        ("license.unknown", 10, True, "critical"),  # the largest factor of a critical rating
        ("discrepancy.answer_contradicts_lineage", 5, False, "high"),  # a discrepancy always opens a finding
    ],
)
def test_severity_follows_points_and_policy(code, points, critical_tier, expected):
    assert finding_severity(code=code, points=points, critical_tier=critical_tier, policy=Policy.default()) == expected


def test_severity_follows_the_policy_in_force():
    policy = Policy.default().with_changes(critical_factors=frozenset())
    assert finding_severity(code=CODE, points=25, critical_tier=False, policy=policy) == "moderate"


# --- pages ---------------------------------------------------------------------------------------------------------


def _shown(response) -> str:
    """The page without attribute values (a code may be an option's value, never text people read)."""
    return re.sub(r'="[^"]*"', '=""', response.content.decode())


def test_list_and_detail_show_severity_and_label_not_the_code(analyst_client):
    finding = _finding()
    body = _shown(analyst_client.get("/findings/"))
    assert "Origin in a country of concern" in body and ">High<" in body
    assert CODE not in body
    body = _shown(analyst_client.get(finding.get_absolute_url()))
    assert "Origin in a country of concern" in body and ">High<" in body
    assert CODE not in body


def test_the_factor_filter_offers_labels(analyst_client):
    body = analyst_client.get("/findings/").content.decode()
    assert f'<option value="{CODE}">Origin in a country of concern</option>' in body


def test_a_discrepancy_shows_the_question_and_answer_and_the_chain(analyst_client):
    finding = _finding(
        code="discrepancy.answer_contradicts_lineage",
        trigger=Finding.Trigger.DISCREPANCY,
        title="The questionnaire answer says no models from countries of concern, but Qwen/Qwen2.5-7B is a root",
        evidence=[
            "The questionnaire answer says no models from countries of concern, but Qwen/Qwen2.5-7B is a root",
            "AI supply chain (assessment #4), Q3 Do any models come from a country of concern? → No",
            "resolved chain: acme/contract-7b → Qwen/Qwen2.5-7B",
        ],
    )
    body = analyst_client.get(finding.get_absolute_url()).content.decode()
    qa = body[body.index('id="question-answer"') :]
    assert "Do any models come from a country of concern? → No" in qa[: qa.index("</ul>")]
    chains = body[body.index('id="chains"') :]
    assert "acme/contract-7b → Qwen/Qwen2.5-7B" in chains[: chains.index("</ul>")]
    contradictions = body[body.index('id="contradictions"') :]
    assert "but Qwen/Qwen2.5-7B is a root" in contradictions[: contradictions.index("</ul>")]


def test_a_lineage_finding_shows_the_chain_to_the_roots(analyst_client):
    now = timezone.now()
    root = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", status="resolved", fetched_at=now)
    tuned = factories.AIModelFactory(name="acme/contract-7b", status="resolved", fetched_at=now)
    LineageEdge.objects.create(child=tuned, parent=root, relation="finetune", source="card", observed_at=now)
    finding = _finding(usage=factories.ModelUsageFactory(model=tuned), evidence=["Qwen/Qwen2.5-7B is a root"])
    body = analyst_client.get(finding.get_absolute_url()).content.decode()
    chains = body[body.index('id="chains"') :]
    assert "acme/contract-7b → Qwen/Qwen2.5-7B" in chains[: chains.index("</ul>")]


# --- comments ------------------------------------------------------------------------------------------------------


def test_a_comment_is_kept_shown_escaped_and_in_the_history(analyst_client, analyst):
    finding = _finding()
    response = analyst_client.post(f"/findings/{finding.pk}/comment/", {"body": f"Asked the vendor. {HOSTILE}"})
    assert response.status_code == 302
    comment = FindingComment.objects.get(finding=finding)
    assert comment.author == analyst
    body = analyst_client.get(finding.get_absolute_url()).content.decode()
    assert HOSTILE not in body and "Asked the vendor. &lt;script&gt;" in body
    history = body[body.index('id="history"') :]
    assert "Commented" in history and "ana-analyst" in history
    # Nothing deletes a comment: the finding (and its comments) are protected.
    with pytest.raises(Exception, match="protected"):
        finding.delete()


def test_an_empty_comment_is_refused_and_nothing_saved(analyst_client):
    finding = _finding()
    response = analyst_client.post(f"/findings/{finding.pk}/comment/", {"body": "   "})
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert not FindingComment.objects.exists()
    with pytest.raises(ValidationError):
        services.finding_comment_add(finding=finding, body=" ", author=None)


def test_viewers_and_anonymous_cannot_comment(client, viewer):
    finding = _finding()
    assert client.post(f"/findings/{finding.pk}/comment/", {"body": "x"}).status_code == 302  # to sign in
    client.force_login(viewer)
    assert client.post(f"/findings/{finding.pk}/comment/", {"body": "x"}).status_code == 403
    body = client.get(finding.get_absolute_url()).content.decode()
    assert 'id="comment"' not in body
    assert not FindingComment.objects.exists()


# --- my findings ---------------------------------------------------------------------------------------------------


def test_my_findings_lists_only_mine_and_filters(analyst_client, analyst):
    other = factories.UserFactory(username="oli-other", role=ANALYST)
    _finding(owner=analyst, title="Mine, open")
    _finding(owner=analyst, title="Mine, remediated", status=Finding.Status.REMEDIATED, code="license.unknown")
    _finding(owner=other, title="Theirs", code="opacity.incomplete")
    body = analyst_client.get("/findings/mine/").content.decode()
    assert "Mine, open" in body and "Theirs" not in body and "Mine, remediated" not in body
    body = analyst_client.get("/findings/mine/?status=remediated").content.decode()
    assert "Mine, remediated" in body and "Mine, open" not in body
    body = analyst_client.get(f"/findings/mine/?owner={other.pk}").content.decode()
    assert "Theirs" not in body  # the owner is always the one signed in
    csv = analyst_client.get("/findings/mine/?format=csv")
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "Mine, open" in text and "Theirs" not in text
    assert CODE in text  # integrators read the code


def test_my_findings_permissions(client, viewer):
    assert client.get("/findings/mine/").status_code == 302
    client.force_login(viewer)
    assert client.get("/findings/mine/").status_code == 200  # a viewer may own nothing, but may look


# --- notices -------------------------------------------------------------------------------------------------------


def test_due_date_notices_go_once_to_the_owner(mailoutbox, django_capture_on_commit_callbacks):
    owner = factories.UserFactory(username="oona", email="oona@example.com", role=ANALYST)
    today = _today()
    finding = _finding(owner=owner, due_date=today + dt.timedelta(days=6))
    _finding(owner=None, due_date=today + dt.timedelta(days=6), code="license.unknown")  # nobody to tell
    _finding(owner=owner, due_date=today + dt.timedelta(days=20), code="opacity.incomplete")  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.findings_notify(today=today) == 2
    assert [m.to for m in mailoutbox] == [["oona@example.com"]]
    assert "Finding due" in mailoutbox[0].subject and "Origin in a country of concern" in mailoutbox[0].subject
    assert finding.get_absolute_url() in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert services.findings_notify(today=today) == 0  # a rerun the same day sends nothing
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.findings_notify(today=today + dt.timedelta(days=7))  # overdue now
    assert "overdue" in mailoutbox[-1].subject.lower() and len(mailoutbox) == 2
    finding.refresh_from_db()
    assert "Overdue notice emailed" in [h.history_change_reason for h in finding.history.all()]
    # A new due date is announced afresh.
    services.finding_update(finding=finding, owner=owner, due_date=today + dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        services.findings_notify(today=today + dt.timedelta(days=9))
    assert len(mailoutbox) == 3


def test_expiring_acceptance_notice_goes_to_owner_and_approver(mailoutbox, django_capture_on_commit_callbacks):
    owner = factories.UserFactory(username="oona", email="oona@example.com", role=ANALYST)
    approver = factories.UserFactory(username="abe", email="abe@example.com", role=ANALYST)
    today = _today()
    _finding(
        owner=owner,
        status=Finding.Status.ACCEPTED,
        accepted_by=approver,
        accepted_until=today + dt.timedelta(days=10),
        justification="On-premises, no data leaves.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.findings_notify(today=today)
        services.findings_notify(today=today)
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["abe@example.com", "oona@example.com"]
    assert "Risk acceptance ends" in mailoutbox[0].subject
    assert "On-premises, no data leaves." in mailoutbox[0].body


def test_the_notices_run_daily_from_beat():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["findings-notify"]
    assert entry["task"] == "assessments.tasks.findings_notify"
    from assessments import tasks

    assert tasks.findings_notify.name == entry["task"]


# --- item 2: risk acceptance needs a long enough justification and, for critical factors, a second approver ----


@pytest.fixture
def critical_finding():
    return _finding(status=Finding.Status.OPEN)


def _accept(finding, by, justification="Weights run on our own hardware, no data leaves.", days=30):
    return services.finding_accept(
        finding=finding, justification=justification, accepted_until=_today() + dt.timedelta(days=days), by=by
    )


def test_a_short_justification_is_refused_with_the_policy_minimum(critical_finding, analyst):
    with pytest.raises(ValidationError) as raised:
        _accept(critical_finding, analyst, justification="x")
    assert "at least 20 characters (1 written)" in raised.value.message_dict["justification"][0]
    critical_finding.refresh_from_db()
    assert critical_finding.justification == "" and not critical_finding.acceptance_pending


def test_a_critical_factor_waits_for_a_distinct_approver_whose_role_may_approve(critical_finding, analyst):
    pending = _accept(critical_finding, analyst)
    assert pending.status == Finding.Status.OPEN and pending.acceptance_pending
    # Not the one who asked, not a role the policy leaves out (analysts: the default allows admins only).
    with pytest.raises(ValidationError, match="someone other than who asked"):
        services.finding_acceptance_approve(finding=pending, by=analyst)
    other_analyst = factories.UserFactory(role=ANALYST)
    with pytest.raises(ValidationError, match="only these roles may approve a risk acceptance: admin"):
        services.finding_acceptance_approve(finding=pending, by=other_analyst)
    approver = factories.UserFactory(username="ada", role=ADMIN)
    approved = services.finding_acceptance_approve(finding=pending, by=approver)
    assert approved.status == Finding.Status.ACCEPTED and not approved.acceptance_pending
    assert (approved.accepted_by, approved.approved_by) == (analyst, approver)
    reasons = [h.history_change_reason for h in approved.history.all()]
    assert any("approved" in (r or "") for r in reasons) and any("second approver" in (r or "") for r in reasons)
    with pytest.raises(ValidationError, match="No risk acceptance waits"):
        services.finding_acceptance_approve(finding=approved, by=approver)


def test_a_pending_acceptance_is_not_counted_by_the_rating(critical_finding, analyst):
    from assessments.selectors import usage_facts_for

    _accept(critical_finding, analyst)
    facts = usage_facts_for([critical_finding.usage], now=timezone.now())[critical_finding.usage_id]
    assert facts.acceptances == ()
    services.finding_acceptance_approve(finding=critical_finding, by=factories.UserFactory(role=ADMIN))
    facts = usage_facts_for([critical_finding.usage], now=timezone.now())[critical_finding.usage_id]
    assert [a.code for a in facts.acceptances] == [CODE]


def test_a_pending_request_can_be_withdrawn(critical_finding, analyst):
    _accept(critical_finding, analyst)
    withdrawn = services.finding_acceptance_revoke(finding=critical_finding, by=analyst)
    assert not withdrawn.acceptance_pending and withdrawn.status == Finding.Status.OPEN
    with pytest.raises(ValidationError):
        services.finding_acceptance_approve(finding=withdrawn, by=factories.UserFactory(role=ADMIN))


def test_the_policy_sets_the_minimum_the_approver_roles_and_can_turn_the_second_approver_off(analyst):
    from assessments.models import ScoringPolicy

    policy = Policy.default().with_changes(
        version=2, min_justification_chars=5, second_approver=False, approver_roles=frozenset({"analyst", "admin"})
    )
    ScoringPolicy.objects.create(version=2, document=policy.to_document(), note="Smaller team")
    accepted = _accept(_finding(), analyst, justification="Pilot")
    assert accepted.status == Finding.Status.ACCEPTED and accepted.approved_by is None
    # Stored documents of older versions read with the defaults.
    old = Policy.from_document(1, {"max_acceptance_days": 90})
    assert (old.min_justification_chars, old.second_approver, old.approver_roles) == (20, True, {"admin"})


def test_a_non_critical_factor_is_accepted_at_once(analyst):
    finding = _finding(code="license.unknown", trigger=Finding.Trigger.CRITICAL_TIER)
    assert _accept(finding, analyst).status == Finding.Status.ACCEPTED


def test_only_analysts_and_admins_reach_the_approve_page(client, viewer, critical_finding):
    assert client.post(f"/findings/{critical_finding.pk}/approve/").status_code == 302
    client.force_login(viewer)
    assert client.post(f"/findings/{critical_finding.pk}/approve/").status_code == 403
