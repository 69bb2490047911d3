"""Every page that answers GET, under hostile and oversized query parameters (its FilterSet's, its search and filter
forms', and the usual ``page``/``ordering``/``format``): never a 5xx, never an error logged, nothing written.

Pages are found by walking the URL resolver (tests/fuzz.py); the vendor portal's pages are opened as the vendor,
through a live link, and the others as an analyst and as an admin.
"""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tests.fuzz import (
    FUZZ_SETTINGS,
    ErrorLog,
    counts,
    describe,
    encode_pairs,
    forms_on,
    fuzz_each,
    fuzz_world_build,
    fuzzed_routes,
    hostile_text,
    in_rollback,
    portal_client,
    signed_in,
)

# GET requests read the same on both databases: fuzzed in the PostgreSQL pass only (the forms run in both).
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

#: Parameters any page might read besides its filters.
COMMON_PARAMETERS = ("page", "per_page", "ordering", "sort", "format", "q", "as_of", "next", "version")


def _get_targets(world) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, path, parameter names) of each page that can be opened on this world."""
    targets = []
    for route in fuzzed_routes():
        if not route.answers_get:
            continue
        kwargs = world.kwargs_for(route.name)
        if kwargs is None:
            continue
        names = set(COMMON_PARAMETERS) | set(getattr(route.filterset_class, "base_filters", {}))
        targets.append((route.name, reverse(route.name, kwargs=kwargs), tuple(sorted(names))))
    return targets


def _fuzz_pages(client_for, world, targets):
    def run(target):
        name, path, parameters = target
        client = client_for(name)
        page = client.get(path)
        assert page.status_code < 500, f"GET {path} -> {page.status_code}"
        if page.status_code == 200 and "html" in page.get("Content-Type", ""):
            for form in forms_on(path, page.content.decode()):
                if form.method == "get":
                    parameters = tuple(sorted(set(parameters) | set(form.fields)))
        pairs = st.lists(st.tuples(st.sampled_from(parameters), hostile_text()), min_size=1, max_size=8)

        @settings(FUZZ_SETTINGS, max_examples=max(3, settings().max_examples // 2))  # a GET is cheaper to get right
        @given(pairs=pairs)
        def fuzz(pairs):
            def check():
                before = counts()
                with ErrorLog() as errors:
                    response = client.get(f"{path}?{encode_pairs(pairs)}")
                what = describe("GET", path, response, pairs)
                assert response.status_code < 500 and not errors.records, f"{what}: logged {errors.describe()}"
                assert counts() == before, f"{what}: a GET wrote rows"

            in_rollback(check, client)

        fuzz()

    return fuzz_each(targets, run)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_every_page_under_hostile_query_parameters(role):
    world = fuzz_world_build()
    user = factories.UserFactory(role=role)
    targets = [t for t in _get_targets(world) if not t[0].startswith("portal:")]
    assert len(targets) > 40, "the resolver walk found too few pages"

    failures = _fuzz_pages(lambda name: signed_in(user), world, targets)

    assert not failures, "\n".join(failures)


def test_every_portal_page_under_hostile_query_parameters():
    world = fuzz_world_build()
    targets = [t for t in _get_targets(world) if t[0].startswith("portal:")]
    entries = {"portal:assessment": world.assessment_token, "portal:attestation": world.attestation_token}

    def client_for(name):
        if name.endswith("_enter"):
            return Client(raise_request_exception=False)
        kind = "attestation" if "attestation" in name else "assessment"
        prefix = "a" if kind == "assessment" else "t"
        return portal_client(f"/portal/{prefix}/{entries[f'portal:{kind}']}/")

    failures = _fuzz_pages(client_for, world, targets)

    assert not failures, "\n".join(failures)
