"""The findings pages: the list and its filters, the detail beside the usage's rating, the workflow actions through
the services (errors on the form, nothing saved), permissions, escaping and a fixed number of queries."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.models import Finding, RiskRating
from riskregistry.roles import ADMIN
from riskregistry.versions import version_of
from tests import factories
from vendors.models import LineageRefresh
from vendors.services import lineage

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)
CODE = "origin.country_of_concern"
HOSTILE = "<script>alert(1)</script>"


def _resolve(*names):
    refresh = LineageRefresh.objects.create(scope="models", model_names=list(names))
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


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


@pytest.fixture
def qwen_finding(fake_hub, knowledge):
    """A real finding: rescoring a usage whose model descends from a Chinese root opens it."""
    usage = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    _resolve(QWEN_GGUF)
    services.ratings_refresh()
    return Finding.objects.get(usage=usage, code=CODE)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def _current(finding) -> RiskRating:
    return RiskRating.objects.get(usage=finding.usage, is_current=True)


def _titles(response) -> set[str]:
    return set(re.findall(r'<a href="/findings/\d+/">([^<]+)</a>', response.content.decode()))


# ---------------------------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------------------------
def test_the_list_shows_live_findings_by_default_with_their_usage(analyst_client):
    live = _finding(title="Open one")
    accepted = _finding(title="Accepted one", status=Finding.Status.ACCEPTED)
    _finding(title="Closed one", status=Finding.Status.CLOSED, resolution="Reviewed.")

    response = analyst_client.get("/findings/")
    body = response.content.decode()

    assert response.status_code == 200
    assert _titles(response) == {"Open one", "Accepted one"}
    usage = live.usage
    assert f'href="/vendors/{usage.product.vendor.pk}/"' in body
    assert f'href="/products/{usage.product.pk}/"' in body
    assert f'href="/models/{usage.model.pk}/"' in body
    assert "Risk accepted" in body and accepted.title in body
    # The default shows as ticked boxes, so the reader sees what is filtered.
    assert re.search(r'value="open"[^>]*checked', body) and not re.search(r'value="closed"[^>]*checked', body)
    # A page number alone keeps the default.
    assert _titles(analyst_client.get("/findings/?page=1")) == {"Open one", "Accepted one"}


def test_the_list_is_ordered_by_due_date_then_opened(analyst_client):
    _finding(title="Due later", due_date=_today() + dt.timedelta(days=20))
    _finding(title="No due date", due_date=None)
    _finding(title="Due sooner", due_date=_today() + dt.timedelta(days=2))
    body = analyst_client.get("/findings/").content.decode()
    assert body.index("Due sooner") < body.index("Due later") < body.index("No due date")


def test_the_list_filters_by_status_code_trigger_vendor_product_owner_and_search(analyst_client, analyst):
    qwen = _finding(title="Qwen root", owner=analyst)
    sanctioned = _finding(code="origin.sanctioned_publisher", title="Sanctioned publisher")
    discrepancy = _finding(
        code="discrepancy.answer_contradicts_lineage", trigger=Finding.Trigger.DISCREPANCY, title="Contradiction"
    )
    closed = _finding(title="Closed one", status=Finding.Status.CLOSED, resolution="Reviewed.")

    def titles(query):
        response = analyst_client.get(f"/findings/?{query}")
        assert response.status_code == 200
        return _titles(response)

    assert titles("status=closed") == {"Closed one"}
    assert titles("status=open&status=closed") == {"Qwen root", "Sanctioned publisher", "Contradiction", "Closed one"}
    assert titles("live=false") == {"Closed one"}
    assert titles("code=origin.sanctioned_publisher") == {"Sanctioned publisher"}
    assert titles("trigger=discrepancy") == {"Contradiction"}
    assert titles(f"vendor={sanctioned.usage.product.vendor.pk}") == {"Sanctioned publisher"}
    assert titles(f"product={discrepancy.usage.product.pk}") == {"Contradiction"}
    assert titles(f"owner={analyst.pk}") == {"Qwen root"}
    assert titles(f"q={qwen.usage.product.name}") == {"Qwen root"}
    assert titles(urlencode({"q": closed.usage.product.vendor.name})) == {"Closed one"}
    assert titles("q=sanctioned") == {"Sanctioned publisher"}
    # An unknown choice is a filter error: nothing listed, the error shown.
    response = analyst_client.get("/findings/?code=not.a.factor")
    assert _titles(response) == set() and "not one of the available choices" in response.content.decode()


def test_the_overdue_filter_and_badge_concern_open_findings_past_their_due_date(analyst_client):
    yesterday = _today() - dt.timedelta(days=1)
    _finding(title="Late", due_date=yesterday)
    _finding(title="On time", due_date=_today())
    _finding(title="Accepted late", due_date=yesterday, status=Finding.Status.ACCEPTED)

    response = analyst_client.get("/findings/?overdue=true")
    assert _titles(response) == {"Late"}
    assert response.content.decode().count(">overdue</span>") == 1
    assert _titles(analyst_client.get("/findings/?overdue=false")) == {"On time", "Accepted late"}
    assert analyst_client.get("/findings/").content.decode().count(">overdue</span>") == 1


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_page_size(
    analyst_client, analyst, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert analyst_client.get("/findings/").status_code == 200
        return len(queries)

    for _ in range(2):
        _finding(owner=analyst)
    few = count()
    for _ in range(23):
        _finding(owner=analyst, status=Finding.Status.ACCEPTED)
    assert count() == few
    with django_assert_max_num_queries(15):
        analyst_client.get("/findings/")


def test_an_empty_list_says_so(analyst_client):
    assert "No live finding" in analyst_client.get("/findings/").content.decode()
    assert "No finding matches these filters" in analyst_client.get("/findings/?status=closed").content.decode()


# ---------------------------------------------------------------------------------------------------------------
# The detail
# ---------------------------------------------------------------------------------------------------------------
def test_the_detail_shows_evidence_the_rating_beside_it_and_the_history(analyst_client, qwen_finding):
    response = analyst_client.get(f"/findings/{qwen_finding.pk}/")
    body = response.content.decode()

    assert response.status_code == 200
    assert qwen_finding.title in body.replace("&#x27;", "'")
    evidence = body[body.index('id="evidence"') : body.index("</ul>", body.index('id="evidence"'))]
    assert qwen_finding.evidence and all(line in evidence for line in qwen_finding.evidence)
    assert "Qwen/Qwen2.5-7B" in evidence and "→" in evidence
    rating = _current(qwen_finding)
    assert f"{rating.get_tier_display()} · {rating.score}" in body
    assert "this finding" in body
    assert qwen_finding.get_trigger_display() in body.replace("&#x27;", "'")
    history = body[body.index('id="history"') :]
    assert "Opened by rescoring" in history and "system" in history
    # An analyst gets the forms, with the policy's longest acceptance in the help text.
    assert 'id="assign"' in body and 'id="accept"' in body and 'id="resolve"' in body
    assert "at most 365 days" in body
    assert 'id="revoke"' not in body  # nothing accepted yet


def test_an_expired_acceptance_is_marked(analyst_client):
    finding = _finding(status=Finding.Status.ACCEPTED, accepted_until=_today() - dt.timedelta(days=1))
    body = analyst_client.get(f"/findings/{finding.pk}/").content.decode()
    assert ">expired</span>" in body and "Runs on-premises." in body


def test_hostile_text_in_a_finding_and_its_rating_is_escaped(analyst_client):
    finding = _finding(title=f"Title {HOSTILE}", evidence=[f"a → {HOSTILE} [x]"], justification="")
    RiskRating.objects.create(
        usage=finding.usage,
        score=40,
        tier="moderate",
        policy_version=1,
        factors=[{"code": CODE, "points": 40, "reason": f"Reason {HOSTILE}", "evidence": []}],
    )
    for url in ("/findings/", f"/findings/{finding.pk}/"):
        body = analyst_client.get(url).content.decode()
        assert HOSTILE not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# ---------------------------------------------------------------------------------------------------------------
# The actions
# ---------------------------------------------------------------------------------------------------------------
def test_accepting_the_risk_lowers_the_rating(
    analyst_client, analyst, qwen_finding, django_capture_on_commit_callbacks
):
    before = _current(qwen_finding).score
    until = _today() + dt.timedelta(days=90)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            f"/findings/{qwen_finding.pk}/accept/",
            {
                "justification": "Runs on-premises; no data leaves.",
                "accepted_until": until.isoformat(),
                "based_on": version_of(qwen_finding),
            },
        )
    assert response.status_code == 302 and response["Location"] == f"/findings/{qwen_finding.pk}/"
    qwen_finding.refresh_from_db()
    # A factor the policy marks critical: the acceptance waits for a second approver, the factor still counts.
    assert qwen_finding.status == Finding.Status.OPEN and qwen_finding.acceptance_pending
    assert (qwen_finding.accepted_until, qwen_finding.acceptance_requested_by) == (until, analyst)
    assert _current(qwen_finding).score == before
    page = analyst_client.get(response["Location"]).content.decode()
    assert "second approver" in page and 'id="approve"' in page

    approver = factories.UserFactory(username="ada", role=ADMIN)
    analyst_client.force_login(approver)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(f"/findings/{qwen_finding.pk}/approve/", {"based_on": version_of(qwen_finding)})
    qwen_finding.refresh_from_db()
    assert qwen_finding.status == Finding.Status.ACCEPTED
    assert (qwen_finding.accepted_by, qwen_finding.approved_by) == (analyst, approver)
    assert _current(qwen_finding).score == before - qwen_finding.points

    page = analyst_client.get(response["Location"]).content.decode()
    assert "Risk acceptance approved." in page and 'id="revoke"' in page and "ana-analyst" in page


def test_an_acceptance_beyond_the_policy_shows_the_error_on_the_date_and_saves_nothing(analyst_client, qwen_finding):
    score = _current(qwen_finding).score
    response = analyst_client.post(
        f"/findings/{qwen_finding.pk}/accept/",
        {
            "justification": "Because of a compensating control.",
            "accepted_until": (_today() + dt.timedelta(days=400)).isoformat(),
            "based_on": version_of(qwen_finding),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in body
    errors = body[body.index('id="id_accepted_until-errors"') :]
    assert errors.index("at most 365 days") < errors.index("</div>")
    assert re.search(r'name="accepted_until"[^>]*class="[^"]*is-invalid[^>]*aria-invalid="true"', body)
    assert not re.search(r'name="justification"[^>]*is-invalid', body)
    assert "Because of a compensating control." in body  # what was typed is kept
    qwen_finding.refresh_from_db()
    assert qwen_finding.status == Finding.Status.OPEN and qwen_finding.justification == ""
    assert _current(qwen_finding).score == score and qwen_finding.history.count() == 1


def test_an_acceptance_needs_a_justification(analyst_client, qwen_finding):
    response = analyst_client.post(
        f"/findings/{qwen_finding.pk}/accept/",
        {
            "justification": "  ",
            "accepted_until": (_today() + dt.timedelta(days=5)).isoformat(),
            "based_on": version_of(qwen_finding),
        },
    )
    assert response.status_code == 200
    assert re.search(r'name="justification"[^>]*aria-invalid="true"', response.content.decode())
    qwen_finding.refresh_from_db()
    assert qwen_finding.status == Finding.Status.OPEN


def test_revoking_an_acceptance_counts_the_factor_again(
    analyst_client, analyst, qwen_finding, django_capture_on_commit_callbacks
):
    full = _current(qwen_finding).score
    with django_capture_on_commit_callbacks(execute=True):
        factories.finding_accept_approved(
            finding=qwen_finding,
            justification="Pilot, no personal data.",
            accepted_until=_today() + dt.timedelta(days=7),
            by=analyst,
        )
    assert _current(qwen_finding).score < full

    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(f"/findings/{qwen_finding.pk}/revoke/", {"based_on": version_of(qwen_finding)})
    assert response.status_code == 302
    qwen_finding.refresh_from_db()
    assert qwen_finding.status == Finding.Status.OPEN
    assert _current(qwen_finding).score == full
    assert "Risk acceptance revoked" in analyst_client.get(response["Location"]).content.decode()

    # Nothing left to revoke: an error message, nothing changes.
    response = analyst_client.post(
        f"/findings/{qwen_finding.pk}/revoke/", {"based_on": version_of(qwen_finding)}, follow=True
    )
    assert "Only an accepted finding" in response.content.decode()
    assert analyst_client.get(f"/findings/{qwen_finding.pk}/revoke/").status_code == 405


def test_the_owner_list_offers_only_people_who_can_work_findings(analyst_client, analyst, admin_user, viewer):
    from django.contrib.auth.models import Permission

    finding = _finding()
    no_role = factories.UserFactory(username="nora-norole")
    boss = factories.UserFactory(username="sue-superuser", is_superuser=True)
    direct = factories.UserFactory(username="dan-direct")
    direct.user_permissions.add(Permission.objects.get(codename="change_finding"))
    factories.UserFactory(username="ian-inactive", role="analyst", is_active=False)

    page = analyst_client.get(f"/findings/{finding.pk}/").content.decode()
    select = page[page.index('name="owner"') : page.index("</select>", page.index('name="owner"'))]
    offered = set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select))
    assert offered == {analyst.username, admin_user.username, boss.username, direct.username}

    # The service refuses the others, whatever the form posted.
    for person in (viewer, no_role):
        with pytest.raises(ValidationError) as error:
            services.finding_update(finding=finding, owner=person, due_date=None)
        assert "cannot work findings" in str(error.value)
    response = analyst_client.post(
        f"/findings/{finding.pk}/edit/", {"owner": viewer.pk, "due_date": "", "based_on": version_of(finding)}
    )
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    finding.refresh_from_db()
    assert finding.owner is None


def test_assigning_an_owner_and_due_date_is_recorded_with_who(analyst_client, analyst, admin_user):
    finding = _finding()
    due = dt.date(2031, 3, 1)
    response = analyst_client.post(
        f"/findings/{finding.pk}/edit/",
        {"owner": admin_user.pk, "due_date": due.isoformat(), "based_on": version_of(finding)},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.owner, finding.due_date) == (admin_user, due)
    entry = finding.history.first()
    assert (entry.history_user, entry.history_change_reason) == (analyst, "Owner or due date changed")

    page = analyst_client.get(f"/findings/{finding.pk}/").content.decode()
    assert "Owner and due date saved." in page
    history = page[page.index('id="history"') :]
    assert "ana-analyst" in history and "Owner or due date changed" in history

    # The form page (GET) shows the current values; an inactive user is not offered.
    admin_user.is_active = False
    admin_user.save()
    form = analyst_client.get(f"/findings/{finding.pk}/edit/").content.decode()
    assert 'value="2031-03-01"' in form
    assert f'<option value="{admin_user.pk}"' not in form and f'<option value="{analyst.pk}"' in form


def test_resolving_while_the_factor_is_in_the_rating_is_refused_and_changes_nothing(analyst_client, qwen_finding):
    for status in (Finding.Status.REMEDIATED, Finding.Status.CLOSED):
        response = analyst_client.post(
            f"/findings/{qwen_finding.pk}/resolve/",
            {"status": status, "resolution": "Done.", "based_on": version_of(qwen_finding)},
        )
        body = response.content.decode().replace("&#x27;", "'")
        assert response.status_code == 200
        assert "still in the usage's current rating" in body and "Nothing was saved" in body
        qwen_finding.refresh_from_db()
        assert qwen_finding.status == Finding.Status.OPEN and qwen_finding.resolution == ""
    assert qwen_finding.history.count() == 1


def test_a_remediated_finding_can_be_closed_with_a_reason(analyst_client):
    finding = _finding(status=Finding.Status.REMEDIATED, resolved_at=timezone.now())
    response = analyst_client.post(
        f"/findings/{finding.pk}/resolve/", {"status": "closed", "resolution": "", "based_on": version_of(finding)}
    )
    assert response.status_code == 200
    assert re.search(r'name="resolution"[^>]*aria-invalid="true"', response.content.decode())

    response = analyst_client.post(
        f"/findings/{finding.pk}/resolve/",
        {"status": "closed", "resolution": "Vendor moved off Qwen.", "based_on": version_of(finding)},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED and finding.resolution == "Vendor moved off Qwen."
    page = analyst_client.get(f"/findings/{finding.pk}/").content.decode()
    assert "Finding marked closed." in page and 'id="resolve"' not in page and 'id="accept"' not in page


# ---------------------------------------------------------------------------------------------------------------
# Permissions and missing findings
# ---------------------------------------------------------------------------------------------------------------
def _actions(pk):
    today = _today()
    return [
        (f"/findings/{pk}/edit/", {"owner": "", "due_date": today.isoformat()}),
        (f"/findings/{pk}/accept/", {"justification": "x", "accepted_until": today.isoformat()}),
        (f"/findings/{pk}/revoke/", {}),
        (f"/findings/{pk}/resolve/", {"status": "closed", "resolution": "x"}),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    finding = _finding()
    for url in ("/findings/", f"/findings/{finding.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url, data in _actions(finding.pk):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Finding.objects.get().history.count() == 1


def test_a_viewer_reads_but_cannot_act(viewer_client):
    finding = _finding(status=Finding.Status.ACCEPTED)
    assert viewer_client.get("/findings/").status_code == 200
    body = viewer_client.get(f"/findings/{finding.pk}/").content.decode()
    assert finding.title in body
    assert '<form method="post" action="/findings/' not in body
    for url, data in _actions(finding.pk):
        assert viewer_client.post(url, data).status_code == 403, url
    assert viewer_client.get(f"/findings/{finding.pk}/edit/").status_code == 403
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ACCEPTED and finding.history.count() == 1


def test_missing_findings_are_404(analyst_client):
    assert analyst_client.get("/findings/999999/").status_code == 404
    assert analyst_client.get("/findings/999999/accept/").status_code == 404
    for url, data in _actions(999999):
        assert analyst_client.post(url, data).status_code == 404, url


def test_an_oversized_justification_is_refused_and_nothing_is_saved(analyst_client, fake_hub, knowledge):
    from assessments.forms import TEXT_LIMIT

    usage = factories.ModelUsageFactory(model__name="northwind-ai/contract-copilot-7b-GGUF")
    refresh = LineageRefresh.objects.create(scope="models", model_names=[usage.model.name])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    services.ratings_refresh()
    finding = Finding.objects.get(usage=usage, code="origin.country_of_concern")

    response = analyst_client.post(
        f"/findings/{finding.pk}/accept/",
        {"justification": "x" * (TEXT_LIMIT + 1), "accepted_until": "2099-01-01", "based_on": version_of(finding)},
    )

    assert response.status_code == 200 and "at most 4000 characters" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and finding.justification == ""
