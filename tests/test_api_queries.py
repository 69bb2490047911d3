"""Every list endpoint issues the same number of queries whatever the page size (no query per row), measured with
a real key (as an integration calls)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.schemas.generators import EndpointEnumerator

from assessments.models import QuestionnaireVersion, ScoringPolicy
from tests.api import build_world, key_client

pytestmark = pytest.mark.django_db


def _list_urls() -> list[str]:
    return sorted(
        path
        for path, method, _ in EndpointEnumerator().get_api_endpoints()
        if path.startswith("/api/v1/") and method == "GET" and "{" not in path and path != "/api/v1/"
    )


def test_list_endpoints_query_count_does_not_depend_on_the_page_size(admin_user):
    worlds = [build_world(f" {i}") for i in range(3)]
    first = ScoringPolicy.objects.get()
    for version in (2, 3):
        ScoringPolicy.objects.create(version=version, document=first.document, note=f"v{version}")
    mbom = QuestionnaireVersion.objects.get(key="ai-mbom")
    QuestionnaireVersion.objects.create(
        key="ai-mbom", version=2, title=mbom.title, definition=mbom.definition, sha256=mbom.sha256,
        note="v2", published_at=mbom.published_at,
    )  # fmt: skip
    client = key_client(admin_user, scope="read")  # an admin reads every list, the webhooks' included
    urls = _list_urls()
    assert len(urls) >= 15
    for url in urls:
        counts, sizes = [], []
        for page_size in (2, 20):
            client.get(url, {"page_size": page_size})  # warm: the key's last use, permission caches
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, {"page_size": page_size, "include_retired": "true"})
            assert response.status_code == 200, url
            counts.append(len(queries))
            sizes.append(len(response.json()["results"]))
        assert sizes[0] < sizes[1], (url, sizes, "add rows to the world so the two pages differ")
        assert counts[0] == counts[1], (url, counts)
    assert worlds


def test_a_list_counts_the_rows_its_filters_select_whatever_the_order(admin_user):
    """Products are counted without their roll-ups (``count_selector``): the count still matches the rows."""
    for i in range(3):
        build_world(f" {i}")
    client = key_client(admin_user, scope="read")
    orders = ({}, {"ordering": "-risk"}, {"ordering": "-risk", "q": "1"}, {"criticality": "high", "ordering": "risk"})
    for params in orders:
        body = client.get("/api/v1/products/", {**params, "page_size": 500}).json()
        assert body["count"] == len(body["results"]), params
        if not params or params == {"ordering": "-risk"}:
            assert body["count"] >= 3


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # the key with its owner's permissions (one query on PostgreSQL, two elsewhere), the count, the page (and
        # what the page prefetches)
        ("/api/v1/products/?ordering=-risk", 4),  # + the data categories
        ("/api/v1/model-usages/", 4),  # + the current ratings
        ("/api/v1/findings/", 3),
        ("/api/v1/changes/", 2),  # a feed has no count
    ],
)
def test_the_main_lists_read_their_page_in_a_fixed_number_of_queries(admin_user, url, expected):
    build_world()
    client = key_client(admin_user, scope="read")
    client.get(url)  # the key's last use is written at most once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # The owner's permissions ride on the key's query as an array subquery on PostgreSQL only.
    expected += connection.vendor != "postgresql"
    assert len(queries) == expected, [q["sql"][:120] for q in queries]
