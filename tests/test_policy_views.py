"""The scoring policy pages: everyone with view permission reads the policy and its history; only admins edit it,
as a new version, after an optional what-if preview that saves nothing."""

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.forms_policy import PolicyForm, weight_field_name
from assessments.models import RiskRating, ScoringPolicy
from assessments.scoring import FACTOR_CODES, Policy
from assessments.scoring.labels import FACTOR_DESCRIPTIONS, FACTOR_LABELS
from assessments.scoring.policy import policy_diff
from assessments.selectors import policy_current
from tests import factories
from tests.services import tasks_enqueued
from vendors.models import LineageRefresh
from vendors.services import lineage

pytestmark = pytest.mark.django_db

DETAIL = "/policy/"
EDIT = "/policy/edit/"
MINUS = "\N{MINUS SIGN}"


def _form_data(policy: Policy, action: str = "preview", **overrides) -> dict:
    """What the edit form posts when opened on ``policy`` and submitted unchanged, with ``overrides``."""
    data = {}
    for name, value in PolicyForm.initial_from(policy).items():
        if name in ("countries_of_concern", "approved_regions"):
            value = ", ".join(sorted(value))
        data[name] = value
    data.update({"action": action, "note": "", **overrides})
    return data


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def portfolio(fake_hub, knowledge):
    """Rated usages: two critical (a Chinese root served from China), one high, one low."""
    host = factories.HostFactory(name="Shanghai Cloud", country="CN")
    region = factories.HostRegionFactory(host=host, code="cn-east-1", country="CN")
    served_in_cn = {"host": host, "region": region}
    names = {
        "deepseek-ai/DeepSeek-R1": served_in_cn,
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF": served_in_cn,
        "northwind-ai/contract-copilot-7b-GGUF": {},
        "openai/gpt-oss-20b": {},
    }
    usages = {name: factories.ModelUsageFactory(model__name=name, **extra) for name, extra in names.items()}
    refresh = LineageRefresh.objects.create(scope="models", model_names=list(names))
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    services.ratings_refresh()
    tiers = {name: RiskRating.objects.get(usage=usage, is_current=True).tier for name, usage in usages.items()}
    assert tiers == {
        "deepseek-ai/DeepSeek-R1": "critical",
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF": "critical",
        "northwind-ai/contract-copilot-7b-GGUF": "high",
        "openai/gpt-oss-20b": "low",
    }
    return usages


# ---------------------------------------------------------------------------------------------------------------
# Reading the policy
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_read_the_policy_but_get_no_edit_button(client, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(DETAIL)
    body = response.content.decode()

    assert response.status_code == 200
    assert "version 1" in body
    assert "China (CN)" in body and "Russia (RU)" in body  # countries by name with their codes
    assert "origin.country_of_concern" in body and FACTOR_DESCRIPTIONS["license.drift"] in body
    assert 'rel="noopener noreferrer"' in body and "https://www.ecfr.gov/" in body  # the curated data's sources
    assert "The default policy shipped with riskregistry." in body  # version 1's note in the history
    assert "Edit policy" not in body and EDIT not in body


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_may_not_edit_the_policy(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(EDIT).status_code == 403
    data = _form_data(Policy.default(), action="save", threshold_critical=90, note="Because.")
    assert client.post(EDIT, data).status_code == 403
    assert ScoringPolicy.objects.count() == 1


def test_the_policy_pages_need_a_sign_in(client, db):
    assert client.get(DETAIL)["Location"].startswith(reverse("login"))
    assert client.get(EDIT)["Location"].startswith(reverse("login"))


def test_admins_get_the_edit_form_prefilled_from_the_policy_in_force(admin_client):
    body = admin_client.get(DETAIL).content.decode()
    assert "Edit policy" in body

    response = admin_client.get(EDIT)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="CN, CU, HK, IR, KP, MO, RU, VE"' in body
    assert 'name="based_on" value="1"' in body
    assert f'name="{weight_field_name("origin.sanctioned_publisher")}" value="50"' in body
    assert 'name="root_multiplier" value="1.6"' in body
    assert "Save as version 2" in body and 'value="preview"' in body


# ---------------------------------------------------------------------------------------------------------------
# Preview and save
# ---------------------------------------------------------------------------------------------------------------
def test_a_preview_lists_the_usages_whose_tier_would_change_and_saves_nothing(admin_client, portfolio):
    ratings_before = RiskRating.objects.count()
    response = admin_client.post(EDIT, _form_data(policy_current(), threshold_critical=95))
    body = response.content.decode()

    assert response.status_code == 200
    preview = response.context["preview"]
    moved = {change.usage.model.name: (change.before.tier, change.after.tier) for change in preview["rows"]}
    assert moved == {
        "deepseek-ai/DeepSeek-R1": ("critical", "high"),
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF": ("critical", "high"),
    }
    assert preview["what_if"].before["critical"] == 2 and preview["what_if"].after["critical"] == 0
    assert preview["what_if"].after["high"] == 3
    assert preview["changes"] == ["thresholds: 25/50/75 → 25/50/95"]
    assert 'id="preview"' in body and "deepseek-ai/DeepSeek-R1" in body
    assert "is served from a country of concern" in body  # the new policy's reasons
    assert 'name="threshold_critical" value="95"' in body  # the form keeps the values
    assert ScoringPolicy.objects.count() == 1 and RiskRating.objects.count() == ratings_before


def test_the_preview_leaves_retired_products_out_as_the_dashboard_does_and_says_so(admin_client, portfolio):
    from vendors.models import ModelUsage, Product

    retired = ModelUsage.objects.get(model__name="deepseek-ai/DeepSeek-R1").product
    Product.objects.filter(pk=retired.pk).update(status=Product.Status.RETIRED)
    response = admin_client.post(EDIT, _form_data(policy_current(), threshold_critical=95))
    what_if = response.context["preview"]["what_if"]
    assert (what_if.usages, what_if.retired_usages) == (3, 1)
    assert {c.usage.model.name for c in what_if.changes} == {"bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF"}
    body = response.content.decode()
    assert "Of 3 model usages in active products" in body
    assert "1 model usage of retired products is left out, as on the dashboard." in body

    dashboard = admin_client.get("/").content.decode()
    assert "Retired products are left out" in dashboard
    assert "3 model usages in active products" in " ".join(re.sub(r"<[^>]+>", " ", dashboard).split())


def test_a_preview_of_an_unchanged_form_says_so(admin_client, portfolio):
    response = admin_client.post(EDIT, _form_data(policy_current()))
    assert "Nothing changed yet" in response.content.decode()
    assert response.context["preview"]["rows"] == ()


def test_an_admin_saves_a_new_version_and_the_portfolio_is_rescored(
    admin_client, admin_user, portfolio, django_capture_on_commit_callbacks
):
    data = _form_data(
        policy_current(),
        action="save",
        threshold_critical=95,
        countries_of_concern="CN, CU, HK, IR, KP, MO, RU, SY",
        note="Critical only above 95 while the board reviews the thresholds.",
        **{weight_field_name("license.drift"): 0},
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(EDIT, data)

    assert response.status_code == 302 and response["Location"] == DETAIL
    row = ScoringPolicy.objects.get(version=2)
    assert row.note == "Critical only above 95 while the board reviews the thresholds."
    assert row.created_by == admin_user
    assert row.document["thresholds"] == [25, 50, 95]
    assert row.document["weights"]["license.drift"] == 0
    assert row.document["countries_of_concern"] == ["CN", "CU", "HK", "IR", "KP", "MO", "RU", "SY"]
    # The rescoring of the whole portfolio, after commit.
    assert tasks_enqueued(callbacks) == ["assessments.tasks.ratings_refresh"]
    current = RiskRating.objects.get(usage=portfolio["deepseek-ai/DeepSeek-R1"], is_current=True)
    assert (current.policy_version, current.tier) == (2, "high")

    page = admin_client.get(DETAIL)
    body = page.content.decode()
    assert "Policy version 2 saved; the portfolio is being rescored" in body
    assert "version 2" in body and "Syria (SY)" in body and "Venezuela" not in body
    history = page.context["history"]
    assert [item["row"].version for item in history] == [2, 1]
    assert history[0]["changes"] == [
        f"countries_of_concern: + SY, {MINUS} VE",
        "thresholds: 25/50/75 → 25/50/95",
        "weights.license.drift: 5 → 0",
    ]
    assert history[1]["changes"] is None
    assert "thresholds: 25/50/75 → 25/50/95" in body


def test_a_save_without_a_preview_and_without_usages_is_allowed(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            EDIT, _form_data(Policy.default(), action="save", finding_due_days=14, note="Faster remediation.")
        )
    assert response.status_code == 302
    assert ScoringPolicy.objects.get(version=2).document["finding_due_days"] == 14
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold_moderate": 60, "threshold_high": 50}, "The thresholds must rise"),
        ({"threshold_critical": 101}, "less than or equal to 100"),
        ({"countries_of_concern": "CN, XX, RU"}, "Unknown country code(s): XX"),
        ({"approved_regions": "US, Europe"}, "Unknown country code(s): EUROPE"),
        ({weight_field_name("license.drift"): -5}, "greater than or equal to 0"),
        ({weight_field_name("license.drift"): ""}, "This field is required"),
        ({"root_multiplier": "6"}, "less than or equal to 5"),
        ({"critical_factors": ["no.such_factor"]}, "Select a valid choice"),
        ({"sanction_flags": ["not_a_flag"]}, "Select a valid choice"),
        ({"note": "   "}, "Say why the policy changes"),
    ],
)
def test_invalid_input_shows_errors_and_saves_nothing(
    admin_client, overrides, message, django_capture_on_commit_callbacks
):
    data = _form_data(Policy.default(), action="save", note="A reason.", finding_due_days=14)
    data.update(overrides)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(EDIT, data)
    body = response.content.decode()

    assert response.status_code == 200
    assert message in body, body[body.find("alert") - 200 : body.find("alert") + 800]
    assert 'aria-invalid="true"' in body
    assert ScoringPolicy.objects.count() == 1 and not callbacks


def test_an_invalid_preview_shows_errors_and_no_preview(admin_client):
    data = _form_data(Policy.default(), threshold_high=80)
    response = admin_client.post(EDIT, data)
    assert response.status_code == 200 and "The thresholds must rise" in response.content.decode()
    assert "preview" not in response.context


def test_a_preview_needs_no_note(admin_client):
    response = admin_client.post(EDIT, _form_data(Policy.default(), finding_due_days=14))
    assert response.context["form"].errors == {}
    assert response.context["preview"]["changes"] == ["finding_due_days: 30 → 14"]


def test_saving_an_unchanged_policy_is_refused(admin_client):
    response = admin_client.post(EDIT, _form_data(Policy.default(), action="save", note="No reason."))
    assert response.status_code == 200
    assert "Nothing changed: the policy is the same as version 1." in response.content.decode()
    assert ScoringPolicy.objects.count() == 1


def _someone_else_saves_version_2(admin_user):
    services.policy_version_create(
        policy=Policy.default().with_changes(max_fact_age_days=60),
        note="Facts may be two months old.",
        based_on=1,
        created_by=admin_user,
    )


def test_a_save_based_on_a_stale_version_is_refused(admin_client, admin_user):
    data = _form_data(Policy.default(), action="save", finding_due_days=14, note="Faster remediation.")
    _someone_else_saves_version_2(admin_user)

    response = admin_client.post(EDIT, data)
    body = response.content.decode()

    assert response.status_code == 200
    assert "The policy changed to version 2 while you were editing version 1" in body
    assert ScoringPolicy.objects.count() == 2
    assert ScoringPolicy.objects.get(version=2).document["finding_due_days"] == 30


def test_a_preview_of_a_stale_form_warns_and_rebases_it_on_the_version_in_force(admin_client, admin_user):
    data = _form_data(Policy.default(), finding_due_days=14)
    _someone_else_saves_version_2(admin_user)

    response = admin_client.post(EDIT, data)
    body = response.content.decode()

    assert "The policy changed to version 2 while you were editing version 1" in body
    # The form would undo the other change: the preview says so, against the version in force.
    assert response.context["preview"]["changes"] == ["max_fact_age_days: 60 → 30", "finding_due_days: 30 → 14"]
    assert 'name="based_on" value="2"' in body and "Save as version 3" in body

    data.update(action="save", note="Faster remediation, and facts a month old again.", based_on=2)
    assert admin_client.post(EDIT, data).status_code == 302
    assert ScoringPolicy.objects.get(version=3).document["max_fact_age_days"] == 30


# ---------------------------------------------------------------------------------------------------------------
# The diff of two versions, and the form's parts
# ---------------------------------------------------------------------------------------------------------------
DEFAULT = Policy.default().to_document()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"thresholds": [30, 55, 80]}, ["thresholds: 25/50/75 → 30/55/80"]),
        (
            {"weights": {**DEFAULT["weights"], "origin.country_of_concern": 30, "license.drift": 0}},
            ["weights.origin.country_of_concern: 25 → 30", "weights.license.drift: 5 → 0"],
        ),
        (
            {"countries_of_concern": ["CN", "CU", "HK", "IR", "KP", "MO", "RU", "SY"]},
            [f"countries_of_concern: + SY, {MINUS} VE"],
        ),
        ({"approved_regions": ["DE", "US"]}, ["approved_regions: + DE, + US"]),
        ({"approved_regions": []}, []),
        ({"critical_factors": list(reversed(DEFAULT["critical_factors"]))}, []),  # same members, other order
        ({"root_multiplier": 2.0, "changes_cap": 10}, ["root_multiplier: 1.6 → 2.0", "changes_cap: 20 → 10"]),
        (
            {"sanction_flags": ["ofac_sdn"], "max_acceptance_days": 180},
            [
                f"sanction_flags: {MINUS} bis_entity_list, {MINUS} dod_1260h, {MINUS} ofac_ns_cmic",
                "max_acceptance_days: 365 → 180",
            ],
        ),
    ],
)
def test_policy_diff(changes, expected):
    assert policy_diff(DEFAULT, {**DEFAULT, **changes}) == expected


def test_policy_diff_of_fields_one_document_lacks():
    old = {key: value for key, value in DEFAULT.items() if key != "max_acceptance_days"}
    assert policy_diff(old, DEFAULT) == ["max_acceptance_days: (not set) → 365"]
    weights = {code: w for code, w in DEFAULT["weights"].items() if code != "facts.stale"}
    assert policy_diff({**DEFAULT, "weights": weights}, DEFAULT) == ["weights.facts.stale: (not set) → 10"]


def test_every_factor_has_a_description_and_a_label():
    assert set(FACTOR_DESCRIPTIONS) == set(FACTOR_CODES) == set(FACTOR_LABELS)


def test_country_codes_are_read_in_any_case_and_separator():
    form = PolicyForm(_form_data(Policy.default(), countries_of_concern="cn ru;kp,  ", approved_regions=""))
    assert form.is_valid(), form.errors
    changes = form.policy_changes()
    assert changes["countries_of_concern"] == frozenset({"CN", "RU", "KP"})
    assert changes["approved_regions"] == frozenset()
    assert Policy.default().with_changes(**changes).to_document()["weights"] == DEFAULT["weights"]


@pytest.mark.parametrize("batch", [1, 3, 2000])
def test_the_what_if_in_batches_is_each_usage_scored_alone_under_both_policies(portfolio, settings, batch):
    """The what-if shares lineages, facts and scores between its batches: it must say what scoring each usage on
    its own would say, whatever the batch size."""
    from django.utils import timezone

    from assessments.scoring import TIERS, score
    from assessments.selectors import policy_what_if, usage_facts_for
    from vendors.selectors import model_usage_queryset

    for usage in list(portfolio.values())[:3]:  # more usages of the same models, in other products
        factories.ModelUsageFactory(model=usage.model, role="fallback")
    settings.RATINGS_BATCH_SIZE = batch
    current = policy_current()
    draft = current.with_changes(thresholds=(10, 30, 60))
    now = timezone.now()

    what_if = policy_what_if(draft=draft, now=now)

    alone = {}
    for usage in model_usage_queryset().order_by("pk"):
        facts = usage_facts_for([usage], now=now)[usage.pk]
        alone[usage.pk] = (score(facts, current), score(facts, draft))
    assert what_if.usages == len(alone) == 7 and what_if.changes  # some tiers move under the draft
    assert sum(what_if.before.values()) == sum(what_if.after.values()) == 7
    for tier in TIERS:
        assert what_if.before[tier] == sum(old.tier == tier for old, _ in alone.values())
        assert what_if.after[tier] == sum(new.tier == tier for _, new in alone.values())
    assert {c.usage.pk: (c.before, c.after) for c in what_if.changes} == {
        pk: pair for pk, pair in alone.items() if pair[0].tier != pair[1].tier
    }
    assert what_if.score_changes == sum(old.score != new.score for old, new in alone.values())
