"""Every API endpoint and method, walked from the router (an uncovered route fails): no key, an expired key, a
revoked key, a read-scope key writing, and each role, by key and by session."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.schemas.generators import EndpointEnumerator
from rest_framework.test import APIClient

from riskregistry import services
from riskregistry.models import ApiKey
from tests import factories
from tests.api import bearer_client, build_world, key_client

pytestmark = pytest.mark.django_db

SAFE = ("GET", "HEAD", "OPTIONS")
#: What the analyst role may not do (the roles' permissions: only admins delete vendors).
ANALYST_DENIED = {("vendor", "DELETE")}
#: Resources only admins read or write (webhook endpoints carry target URLs and signing secrets).
ADMIN_ONLY = {"webhook", "webhook-message"}


def _endpoints(world) -> list[tuple[str, str, str]]:
    """(basename, method, url) for every API route, ids filled in from the world; reads first, deletes last."""
    ids = world.ids()
    found = []
    for path, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith("/api/v1/"):
            continue
        basename = callback.initkwargs.get("basename", "api-root")
        if "{" in path:
            assert basename in ids, f"no object for {path}: add one to tests.api.World"
            path = re.sub(r"\{[^}]+\}", str(ids[basename]), path)
        found.append((basename, method, path))
    order = {"GET": 0, "POST": 1, "PATCH": 1, "PUT": 1, "DELETE": 2}
    return sorted(found, key=lambda e: (order[e[1]], e[2]))


def _call(client, method, url):
    return getattr(client, method.lower())(url, {}, format="json") if method != "GET" else client.get(url)


def test_every_route_is_walked(db):
    world = build_world()
    endpoints = _endpoints(world)
    assert {b for b, _, _ in endpoints} >= set(world.ids())
    assert len(endpoints) > 30


def test_without_a_valid_key_everything_is_401(analyst):
    world = build_world()
    expired, expired_raw = services.api_key_create(owner=analyst, scope="read-write")
    ApiKey.objects.filter(pk=expired.pk).update(expiry_date=timezone.now() - dt.timedelta(minutes=1))
    revoked, revoked_raw = services.api_key_create(owner=analyst, scope="read-write")
    services.api_key_revoke(key=revoked)
    clients = {"none": APIClient(), "expired": bearer_client(expired_raw), "revoked": bearer_client(revoked_raw)}
    for _basename, method, url in _endpoints(world):
        for name, client in clients.items():
            response = _call(client, method, url)
            assert response.status_code == 401, (name, method, url, response.status_code)


def test_a_read_scope_key_reads_everything_and_writes_nothing(admin_user):
    world = build_world()
    client = key_client(admin_user, scope="read")
    for _basename, method, url in _endpoints(world):
        response = _call(client, method, url)
        if method in SAFE:
            assert response.status_code == 200, (method, url, response.content[:300])
        else:
            assert response.status_code == 403, (method, url, response.status_code)


@pytest.mark.parametrize("via", ["key", "session"])
@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_each_role_does_what_its_permissions_allow(role, via):
    world = build_world()
    user = factories.UserFactory(username=f"api-{role}", role=role)
    if via == "key":
        client = key_client(user, scope="read-write")
    else:
        client = APIClient(enforce_csrf_checks=False)
        client.force_login(user)
    for basename, method, url in _endpoints(world):
        response = _call(client, method, url)
        if basename in ADMIN_ONLY and role != "admin":
            assert response.status_code == 403, (role, method, url, response.status_code)
            continue
        if method in SAFE:
            assert response.status_code in (200, 410), (role, method, url, response.content[:300])
            continue
        denied = role == "viewer" or (role == "analyst" and (basename, method) in ANALYST_DENIED)
        if denied:
            assert response.status_code == 403, (role, method, url, response.status_code)
        else:
            # A PATCH without the version it is based on is refused for that (428), after the permission check.
            allowed = (200, 201, 204, 400, 428) if method == "PATCH" else (200, 201, 204, 400)
            assert response.status_code in allowed, (role, method, url, response.content[:300])
            assert "code" in response.json() if response.status_code in (400, 428) else True


def test_a_key_acts_with_its_owners_role_as_it_is_at_each_request(db):
    """The key's query reads its owner's permissions too (one query for both): a role given or taken away
    applies from the next request, and a superuser without a role reads everything."""
    from django.contrib.auth.models import Group

    user = factories.UserFactory(username="api-changing", role="viewer")
    client = key_client(user, scope="read-write")
    vendor = {"name": "Role Change Ltd", "country": "DE"}
    assert client.get("/api/v1/vendors/").status_code == 200
    assert client.post("/api/v1/vendors/", vendor, format="json").status_code == 403
    user.groups.set([Group.objects.get(name="analyst")])
    assert client.post("/api/v1/vendors/", vendor, format="json").status_code == 201
    user.groups.clear()
    assert client.get("/api/v1/vendors/").status_code == 403
    boss = factories.UserFactory(username="api-superuser", is_superuser=True)
    assert key_client(boss, scope="read").get("/api/v1/webhooks/").status_code == 200


def test_a_method_a_route_does_not_have_is_405_with_allow_for_everyone(admin_user):
    """Never 403 or 401 for a method no one could use (records are never deleted, uploads never changed): the
    route says it has no such method and which ones it has, whoever asks, before any permission is checked."""
    world = build_world()
    routes: dict[str, set[str]] = {}
    for _basename, method, url in _endpoints(world):
        routes.setdefault(url, set()).add(method)
    clients = {
        "admin key": key_client(admin_user, scope="read-write"),
        "read key": key_client(admin_user, scope="read"),
        "no key": APIClient(),
    }
    refused = 0
    for url, methods in routes.items():
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            for name, client in clients.items():
                response = _call(client, method, url)
                assert response.status_code == 405, (name, method, url, response.status_code)
                allowed = {m.strip() for m in response["Allow"].split(",")}
                assert methods <= allowed and method not in allowed, (url, response["Allow"])
                assert response.json()["code"] == "method_not_allowed", response.content[:200]
            refused += 1
    assert refused > 50  # most routes lack some method: deletes above all
