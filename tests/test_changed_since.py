"""``?changed_since=`` on vendors, products, model usages, findings and ratings (pages and API share the
FilterSets): what counts as a change for each list, at or after the moment given, and a bad value refused."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Finding, RiskRating
from tests import factories
from tests.api import build_world, key_client
from vendors import services
from vendors.models import AIModel, ChangeEvent, Contact, ModelUsage, Product, Vendor

pytestmark = pytest.mark.django_db

LISTS = ("vendors", "products", "model-usages", "findings", "ratings")


def _age_everything():
    """Every row and history entry as of two days ago, so only what the test does next is a change."""
    past = timezone.now() - dt.timedelta(days=2)
    for model in (Vendor, Product, ModelUsage, AIModel, Finding):
        model.objects.update(updated_at=past)
    for model in (Vendor, Contact, Product, ModelUsage, Finding):
        model.history.update(history_date=past)
    RiskRating.objects.update(created_at=past)
    ChangeEvent.objects.update(occurred_at=past)
    return timezone.now()


def _changed(api, since) -> dict[str, set[int]]:
    found = {}
    for name in LISTS:
        response = api.get(f"/api/v1/{name}/", {"changed_since": since.isoformat(), "page_size": 100})
        assert response.status_code == 200, (name, response.content)
        found[name] = {row["id"] for row in response.json()["results"]}
    return found


@pytest.fixture
def worlds():
    return build_world(), build_world(" 2")


@pytest.fixture
def api(analyst):
    return key_client(analyst, scope="read")


def test_nothing_changed_lists_nothing(api, worlds):
    since = _age_everything()
    assert _changed(api, since) == {key: set() for key in LISTS}
    earlier = _changed(api, since - dt.timedelta(days=3))
    assert earlier["vendors"] == {w.vendor.pk for w in worlds}


def test_a_vendor_edit_reaches_the_vendor_its_products_and_usages(api, worlds):
    world, _other = worlds
    since = _age_everything()
    services.vendor_update(vendor=world.vendor, description="Now with a new description")
    changed = _changed(api, since)
    assert changed["vendors"] == {world.vendor.pk}
    assert changed["products"] == {world.product.pk}
    assert changed["model-usages"] == {world.usage.pk}
    assert changed["findings"] == changed["ratings"] == set()


def test_a_new_rating_reaches_the_usage_its_product_and_vendor(api, worlds):
    _world, other = worlds
    since = _age_everything()
    RiskRating.objects.filter(usage=other.usage).update(is_current=False)
    rating = RiskRating.objects.create(usage=other.usage, score=10, tier="low", factors=[], policy_version=1)
    changed = _changed(api, since)
    assert changed["ratings"] == {rating.pk}
    assert changed["model-usages"] == {other.usage.pk}
    assert changed["products"] == {other.product.pk}
    assert changed["vendors"] == {other.vendor.pk}


def test_a_change_event_reaches_the_usages_of_its_model_and_its_product(api, worlds):
    world, other = worlds
    since = _age_everything()
    ChangeEvent.objects.create(kind="new_sha", model=world.model, product=None, summary="new sha",
                               occurred_at=timezone.now())  # fmt: skip
    changed = _changed(api, since)
    on_the_model = set(ModelUsage.objects.filter(model=world.model).values_list("pk", flat=True))
    assert len(on_the_model) == 2  # the world's usage and the attested product's
    assert changed["model-usages"] == on_the_model and changed["products"] == set()
    ChangeEvent.objects.create(kind="usage_added", product=other.product, summary="x", occurred_at=timezone.now())
    assert _changed(api, since)["products"] == {other.product.pk}


def test_a_contact_or_a_removed_product_reaches_the_vendor(api, worlds):
    world, other = worlds
    since = _age_everything()
    services.contact_create(vendor=other.vendor, name="Pat", email="pat@vendor.example")
    assert _changed(api, since)["vendors"] == {other.vendor.pk}
    since = _age_everything()
    spare = factories.ProductFactory(vendor=world.vendor, name="Spare")
    since = _age_everything()
    services.product_remove(product=spare, reason="Never used")
    assert not Product.objects.filter(pk=spare.pk).exists()
    assert _changed(api, since)["vendors"] == {world.vendor.pk}


def test_a_finding_step_lists_the_finding(api, worlds, analyst):
    _world, other = worlds
    since = _age_everything()
    assessment_services.finding_update(finding=other.finding, owner=analyst, due_date=None, by=analyst)
    changed = _changed(api, since)
    assert changed["findings"] == {other.finding.pk}
    assert changed["vendors"] == set()


def test_a_bad_value_is_a_clear_error_on_the_api_and_the_page(api, worlds, analyst_client):
    response = api.get("/api/v1/vendors/", {"changed_since": "yesterday"})
    assert response.status_code == 400 and "changed_since" in response.json()["fields"]
    page = analyst_client.get("/vendors/", {"changed_since": "yesterday"})
    assert page.status_code == 200 and b'id="id_changed_since-errors"' in page.content
    since = _age_everything()
    services.vendor_update(vendor=worlds[0].vendor, description="Edited")
    page = analyst_client.get("/vendors/", {"changed_since": since.strftime("%Y-%m-%dT%H:%M:%S")})
    assert worlds[0].vendor.name.encode() in page.content
    assert worlds[1].vendor.name.encode() not in page.content


@pytest.mark.parametrize(
    ("value", "status"),
    [("0773-10-20T00:26:54-22:24", 200), ("0001-01-01T00:00:00+05:00", 400), ("2026-12-01T00:00:00Z", 200)],
)
def test_any_iso_offset_is_read_in_utc_or_refused_never_a_server_error(api, value, status):
    asked = [(name, "changed_since") for name in LISTS] + [("changes", "since"), ("ratings", "since")]
    for name, parameter in asked:
        response = api.get(f"/api/v1/{name}/", {parameter: value})
        assert response.status_code == status, (name, parameter, response.content[:200])
