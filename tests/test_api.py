"""The REST API: reads through the selectors with the pages' FilterSets, writes through the services, the one
error shape, keys (scope, expiry, revocation, last use), throttling, the change feed's cursor and the lineage
contract."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assessments.models import Finding
from riskregistry import services
from riskregistry.models import ApiKey
from riskregistry.roles import ADMIN
from tests import factories
from tests.api import bearer_client, build_world, key_client, patch_current
from vendors.models import ChangeEvent, ModelUsage, Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(analyst):
    return key_client(analyst)


# ---------------------------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------------------------
def test_api_key_create_prints_the_key_once_on_its_last_line_and_stores_only_a_hash(analyst, world):
    out, err = StringIO(), StringIO()
    call_command(
        "api_key_create", "--user", analyst.username, "--scope", "read", "--expires", "30", stdout=out, stderr=err
    )
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert raw.startswith(key.prefix + ".") and raw not in key.hashed_key and raw != key.pk
    assert key.owner == analyst and key.scope == "read"
    assert dt.timedelta(days=29) < key.expiry_date - timezone.now() <= dt.timedelta(days=30)
    assert key.prefix in err.getvalue() and raw not in err.getvalue()
    response = bearer_client(raw).get("/api/v1/vendors/")
    assert response.status_code == 200, response.content
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_api_key_create_refuses_an_unknown_user_or_scope(analyst):
    with pytest.raises(CommandError, match="No user named"):
        call_command("api_key_create", "--user", "nobody", "--scope", "read")
    with pytest.raises(CommandError):
        call_command("api_key_create", "--user", analyst.username, "--scope", "admin")
    with pytest.raises(CommandError, match="at least one day"):
        call_command("api_key_create", "--user", analyst.username, "--scope", "read", "--expires", "0")


def test_missing_bad_expired_and_revoked_keys_answer_401_with_a_bearer_challenge(analyst, world):
    _key, raw = services.api_key_create(owner=analyst, scope="read")
    expired, expired_raw = services.api_key_create(owner=analyst, scope="read")
    ApiKey.objects.filter(pk=expired.pk).update(expiry_date=timezone.now() - dt.timedelta(seconds=1))
    revoked, revoked_raw = services.api_key_create(owner=analyst, scope="read")
    services.api_key_revoke(key=revoked)
    from rest_framework.test import APIClient

    cases = {
        "none": APIClient(),
        "garbage": bearer_client("nonsense"),
        "wrong secret": bearer_client(raw[:-2] + "xx"),
        "expired": bearer_client(expired_raw),
        "revoked": bearer_client(revoked_raw),
    }
    for name, client in cases.items():
        response = client.get("/api/v1/vendors/")
        assert response.status_code == 401, name
        assert response["WWW-Authenticate"].startswith("Bearer"), name
        body = response.json()
        assert set(body) == {"detail", "code", "fields"}, name
    assert bearer_client(raw).get("/api/v1/vendors/").status_code == 200


def test_a_read_scope_key_cannot_write_even_for_an_admin(admin_user, world):
    client = key_client(admin_user, scope="read")
    response = client.post("/api/v1/vendors/", {"name": "New", "country": "FR"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key is read-only."
    response = client.post(f"/api/v1/findings/{world.finding.pk}/revoke-acceptance/")
    assert response.status_code == 403
    assert not Vendor.objects.filter(name="New").exists()


def test_the_browsable_api_works_with_the_session(client, viewer, world):
    client.force_login(viewer)
    response = client.get("/api/v1/vendors/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Acme AI" in response.content


def test_requests_over_the_budget_get_429_with_retry_after(settings, analyst, world):
    settings.API_THROTTLE_RATE = "3/minute"
    from django.core.cache import cache

    cache.clear()
    client = key_client(analyst)
    assert [client.get("/api/v1/vendors/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/vendors/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    # The budget is per key: another key of the same user has its own.
    assert key_client(analyst).get("/api/v1/vendors/").status_code == 200
    cache.clear()


# ---------------------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------------------
def test_vendors_list_with_roll_ups_and_the_pages_filters(api, world):
    factories.VendorFactory(name="Zeta Archive", status=Vendor.Status.ARCHIVED, country="FR")
    body = api.get("/api/v1/vendors/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [v["name"] for v in body["results"]] == ["Acme AI, Inc."]  # archived ones only when asked for
    row = body["results"][0]
    assert row["risk_tier"] == "high" and row["risk_score"] == 70
    assert row["product_count"] == 1 and row["usage_count"] == 1
    archived = api.get("/api/v1/vendors/", {"status": "archived"}).json()["results"]
    assert [v["name"] for v in archived] == ["Attested Ltd", "Zeta Archive"]  # the world's attested vendor too
    assert api.get("/api/v1/vendors/", {"country": "FR"}).json()["count"] == 0
    detail = api.get(f"/api/v1/vendors/{world.vendor.pk}/").json()
    assert detail == row


def test_an_invalid_filter_is_a_400_naming_the_field(api, world):
    response = api.get("/api/v1/vendors/", {"tier": "bogus"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_choice" or body["code"] == "invalid"
    assert "tier" in body["fields"]


def test_model_usages_show_the_current_rating_and_filter_like_the_page(api, world):
    other = factories.ModelUsageFactory()
    rows = api.get("/api/v1/model-usages/").json()["results"]
    by_id = {r["id"]: r for r in rows}
    assert by_id[world.usage.pk]["rating"]["score"] == 70 and by_id[other.pk]["rating"] is None
    assert by_id[world.usage.pk]["product"]["vendor"]["name"] == "Acme AI, Inc."
    filtered = api.get("/api/v1/model-usages/", {"vendor": world.vendor.pk}).json()["results"]
    assert [r["id"] for r in filtered] == [world.usage.pk]


def test_ratings_current_and_history_with_factors(api, world):
    history = api.get("/api/v1/ratings/", {"usage": world.usage.pk}).json()["results"]
    assert [r["score"] for r in history] == [70, 30]
    current = api.get("/api/v1/ratings/", {"current": "true"}).json()["results"]
    assert [r["id"] for r in current] == [world.rating.pk]
    assert current[0]["factors"][0] == {
        "code": "origin.country_of_concern", "points": 40, "reason": "CN ancestor", "evidence": ["a", "b"],
    }  # fmt: skip


def test_model_lineage_follows_the_cli_contract(api, world):
    body = api.get(f"/api/v1/models/{world.model.pk}/lineage/").json()
    assert body["subject"] == world.model.name
    assert body["roots"] == [world.parent.name]
    assert body["countries"] == ["CN"]
    assert body["edges"] == [
        {"child": world.model.name, "parent": world.parent.name, "relation": "finetune", "source": "analyst"}
    ]
    assert {"id", "status", "publisher", "country", "license", "sha", "redirected_from"} <= set(body["nodes"][0])


def test_exposure_lists_the_usages_on_a_root_with_the_path(api, world):
    factories.ModelUsageFactory()
    rows = api.get("/api/v1/exposure/", {"root": world.parent.name}).json()["results"]
    assert [r["id"] for r in rows] == [world.usage.pk]
    assert rows[0]["matches"][0]["path"] == [world.model.name, world.parent.name]


def test_the_change_feed_never_misses_or_repeats_and_ends_with_a_cursor(api, world):
    for i in range(4):
        ChangeEvent.objects.create(kind="usage_added", model=world.model, summary=f"e{i}", occurred_at=timezone.now())
    seen, url = [], "/api/v1/changes/?page_size=2"
    for _ in range(3):
        body = api.get(url).json()
        seen += [e["id"] for e in body["results"]]
        assert body["next"], "a cursor on every page, the last one too"
        url = body["next"]
    assert seen == sorted(ChangeEvent.objects.values_list("id", flat=True))
    assert api.get(url).json()["results"] == []  # nothing new yet, and the cursor still works
    late = ChangeEvent.objects.create(kind="usage_added", model=world.model, summary="late", occurred_at=timezone.now())
    body = api.get(url).json()
    assert [e["id"] for e in body["results"]] == [late.pk]


# ---------------------------------------------------------------------------------------------------------------
# Writes through the services
# ---------------------------------------------------------------------------------------------------------------
def test_vendor_create_update_and_delete_follow_the_services(api, analyst, world):
    response = api.post("/api/v1/vendors/", {"name": "Globex", "country": "DE", "tier": "high"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Globex" and created["risk_tier"] is None and created["product_count"] == 0
    response = patch_current(api, f"/api/v1/vendors/{created['id']}/", {"website": "https://globex.example"})
    assert response.status_code == 200 and response.json()["website"] == "https://globex.example"
    assert Vendor.history.filter(id=created["id"]).count() == 2
    duplicate = api.post("/api/v1/vendors/", {"name": "globex", "country": "DE"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["detail"] == "A vendor with this name already exists."
    # Analysts do not delete vendors; admins do, with a reason, and one with products is archived instead.
    assert api.delete(f"/api/v1/vendors/{created['id']}/?reason=typo").status_code == 403
    admin_api = key_client(factories.UserFactory(username="root", role="admin"))
    refused = admin_api.delete(f"/api/v1/vendors/{world.vendor.pk}/")
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    archived = admin_api.delete(f"/api/v1/vendors/{world.vendor.pk}/?reason=Contract%20ended")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    world.vendor.refresh_from_db()
    assert world.vendor.retirement_reason == "Contract ended"
    # Afterwards a deleted vendor's id answers 410, not 404.
    assert admin_api.delete(f"/api/v1/vendors/{created['id']}/?reason=typo").status_code == 204
    gone = admin_api.get(f"/api/v1/vendors/{created['id']}/")
    assert gone.status_code == 410 and gone.json()["code"] == "gone"
    assert admin_api.get("/api/v1/vendors/999999/").status_code == 404


def test_registering_a_usage_records_the_change_and_the_declaring_user(
    api, analyst, world, django_capture_on_commit_callbacks
):
    payload = {"product": world.product.pk, "model_kind": "declared", "model_name": "Acme internal", "role": "fallback"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/model-usages/", payload, format="json")
    assert response.status_code == 201, response.content
    usage = ModelUsage.objects.get(pk=response.json()["id"])
    assert usage.declared_by_user == analyst
    assert ChangeEvent.objects.filter(kind="usage_added", product=world.product, model=usage.model).exists()
    # Only the fields sent change.
    response = patch_current(api, f"/api/v1/model-usages/{usage.pk}/", {"notes": "checked"})
    assert response.status_code == 200, response.content
    usage.refresh_from_db()
    assert (usage.notes, usage.role, usage.model.name) == ("checked", "fallback", "Acme internal")
    bad = api.post("/api/v1/model-usages/", {**payload, "share": 30}, format="json")
    assert bad.status_code == 400 and bad.json()["fields"]["share"]


def test_declaring_and_removing_a_parent(api, world):
    response = api.post(
        "/api/v1/lineage-edges/",
        {"child": world.parent.pk, "parent_kind": "declared", "parent_name": "Base X", "relation": "finetune"},
        format="json",
    )
    assert response.status_code == 201, response.content
    edge = response.json()
    assert edge["parent"]["name"] == "Base X" and edge["source"] == "analyst"
    assert ChangeEvent.objects.filter(kind="parent_added", model=world.parent).exists()
    assert api.delete(f"/api/v1/lineage-edges/{edge['id']}/").status_code == 204


def test_the_findings_workflow(api, analyst, world):
    url = f"/api/v1/findings/{world.finding.pk}/"
    response = patch_current(api, url, {"owner": analyst.username, "due_date": "2030-01-31"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == analyst.username
    until = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    refused = api.post(url + "accept/", {"justification": "  ", "accepted_until": until}, format="json")
    assert refused.status_code == 400 and "justification" in refused.json()["fields"]
    accepted = api.post(
        url + "accept/", {"justification": "compensating control", "accepted_until": until}, format="json"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "open", accepted.content
    assert accepted.json()["acceptance_pending"] is True  # a critical factor waits for a second approver
    refused = api.post(url + "approve-acceptance/")
    assert refused.status_code == 400 and "someone other" in refused.json()["detail"]
    world.finding.refresh_from_db()
    approver = key_client(factories.UserFactory(role=ADMIN))
    stale = approver.post(url + "approve-acceptance/", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    read = approver.get(url)["ETag"]
    assert approver.post(url + "approve-acceptance/", HTTP_IF_MATCH=read).status_code == 200
    assert api.get(url).json()["status"] == "accepted"
    revoked = api.post(url + "revoke-acceptance/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "open"
    closed = api.post(url + "resolve/", {"status": "closed", "resolution": "done"}, format="json")
    assert closed.status_code == 400 and "still in the usage's current rating" in closed.json()["detail"]
    assert Finding.objects.get(pk=world.finding.pk).status == "open"


def test_an_admin_creates_a_key_in_the_admin_and_sees_it_once(client, analyst, world):
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/riskregistry/apikey/add/",
        {"name": "ServiceNow", "owner": analyst.pk, "scope": "read"},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="ServiceNow")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(word for m in shown for word in m.split() if word.startswith(key.prefix + "."))
    assert bearer_client(raw).get("/api/v1/vendors/").status_code == 200
    assert raw not in client.get(f"/admin/riskregistry/apikey/{key.pk}/change/").content.decode()


def test_ended_records_stay_readable_with_who_ended_them_and_why(api, analyst, world):
    from vendors import services as vendor_services

    usage = world.usage
    vendor_services.model_usage_retire(usage=usage, reason="Replaced by the in-house model", user=analyst)
    row = api.get(f"/api/v1/model-usages/{usage.pk}/").json()
    assert row["retired_by"] == analyst.username and row["retirement_reason"] == "Replaced by the in-house model"
    assert row["retired_at"] is not None
    listed = {r["id"]: r for r in api.get("/api/v1/model-usages/", {"page_size": 500}).json()["results"]}
    assert listed[usage.pk]["retired_by"] == analyst.username
    vendor = api.get(f"/api/v1/vendors/{world.vendor.pk}/").json()
    assert vendor["retired_at"] is None and vendor["retired_by"] is None and vendor["retirement_reason"] == ""
