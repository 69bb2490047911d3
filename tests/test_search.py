"""The navigation's search box: vendors, products, models, publishers and findings, grouped by kind with links,
PostgreSQL full-text search (with the plain fallback used on SQLite), bounded input, and only what the user may
see."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Finding
from riskregistry.filters import FILTER_TEXT_MAX_LENGTH
from riskregistry.search import MAX_WORDS, search_words, text_search
from tests import factories
from tests.services import require
from vendors.models import AIModel, Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    publisher = factories.PublisherFactory(name="Quokka Labs", key="quokka", legal_entity="Quokka Group")
    model = factories.AIModelFactory(name="quokka/Quokka2.5-7B-Instruct", publisher=publisher)
    vendor = factories.VendorFactory(name="Northwind Legal AI, Inc.", description="Contract review for lawyers")
    usage = factories.ModelUsageFactory(product__vendor=vendor, product__name="Contract Copilot", model=model)
    finding = Finding.objects.create(
        usage=usage,
        code="origin.country_of_concern",
        trigger="critical_factor",
        title="quokka/Quokka2.5-7B is from CN",
        points=30,
    )
    factories.VendorFactory(name="Unrelated Ltd")
    return {"vendor": vendor, "product": usage.product, "model": model, "publisher": publisher, "finding": finding}


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def database(request, monkeypatch):
    """Both ways of searching: full-text search on PostgreSQL (left out of the SQLite pass, required under CI), and
    the icontains fallback SQLite gets."""
    if request.param == "postgresql":
        require("PostgreSQL", connection.vendor == "postgresql", "full-text search needs DATABASE_URL=postgres://…")
    monkeypatch.setattr(connection, "vendor", request.param)
    return request.param


def _groups(response) -> dict[str, list[str]]:
    return {group.kind: [hit.label for hit in group.hits] for group in response.context["groups"] if group.hits}


def test_words_are_letters_and_digits_only_and_bounded():
    assert search_words("Qwen2.5-7B & !x:* 'a'|b") == ["qwen2", "5", "7b", "x", "a", "b"]
    assert len(search_words(" ".join(f"w{i}" for i in range(20)))) == MAX_WORDS
    assert search_words("&|!") == []


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("northwind", {"vendors": ["Northwind Legal AI, Inc."], "products": ["Contract Copilot"], "findings": [
            "quokka/Quokka2.5-7B is from CN"]}),
        ("north lawy", {"vendors": ["Northwind Legal AI, Inc."]}),  # every word, each a prefix, any field
        ("copilot", {"products": ["Contract Copilot"], "findings": ["quokka/Quokka2.5-7B is from CN"]}),
        ("quokka lab", {"models": ["quokka/Quokka2.5-7B-Instruct"], "publishers": ["Quokka Labs"]}),
        # A hub id as typed; the finding is on that model.
        ("quokka2.5-7b-instr", {"models": ["quokka/Quokka2.5-7B-Instruct"], "findings": [
            "quokka/Quokka2.5-7B is from CN"]}),
        ("country_of_concern", {"findings": ["quokka/Quokka2.5-7B is from CN"]}),
        ("zzzz", {}),
    ],
)  # fmt: skip
def test_the_box_finds_each_kind_by_its_names(client, viewer, portfolio, database, text, kinds):
    client.force_login(viewer)
    response = client.get("/search/", {"q": text})
    assert response.status_code == 200
    assert _groups(response) == kinds


def test_hits_link_to_their_pages_and_say_what_they_are(client, viewer, portfolio):
    client.force_login(viewer)
    page = client.get("/search/", {"q": "northwind"}).content.decode()
    assert f'href="{portfolio["vendor"].get_absolute_url()}"' in page
    assert f'href="{portfolio["product"].get_absolute_url()}"' in page
    assert f'href="{portfolio["finding"].get_absolute_url()}"' in page
    assert 'id="search-vendors">Vendors</h2>' in page and 'id="search-findings">Findings</h2>' in page
    page = client.get("/search/", {"q": "quokka labs"}).content.decode()
    assert f'href="/models/{portfolio["model"].pk}/"' in page and 'href="/models/?publisher=Quokka+Labs"' in page


def test_the_best_match_comes_first_and_a_long_list_says_there_is_more(client, viewer, database):
    for i in range(12):
        factories.VendorFactory(name=f"Acme subsidiary {i:02}", description="part of acme")
    factories.VendorFactory(name="Acme")
    client.force_login(viewer)
    (group,) = [g for g in client.get("/search/", {"q": "acme"}).context["groups"] if g.kind == "vendors"]
    assert len(group.hits) == 10 and group.more and group.more_url == "/vendors/?q=acme"
    assert group.hits[0].label == "Acme"  # the name is the whole text: first


def test_input_is_bounded_and_hostile_text_is_harmless(client, viewer, portfolio, database):
    client.force_login(viewer)
    response = client.get("/search/", {"q": "x" * (FILTER_TEXT_MAX_LENGTH + 1)})
    assert response.status_code == 200 and response.context["groups"] == []
    assert f"at most {FILTER_TEXT_MAX_LENGTH} characters" in response.content.decode()
    for text in ("'):* & !(", "<script>alert(1)</script>", "\\", "a:*|b", "%_"):
        response = client.get("/search/", {"q": text})
        assert response.status_code == 200, text
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert "Type a word" in client.get("/search/", {"q": "&&"}).content.decode()


def test_each_kind_only_for_those_allowed_to_see_it(client, portfolio):
    user = factories.UserFactory()
    client.force_login(user)
    assert client.get("/search/", {"q": "northwind"}).status_code == 403  # no role: nothing to search
    user.user_permissions.add(Permission.objects.get(codename="view_vendor"))
    client.force_login(user)
    assert _groups(client.get("/search/", {"q": "northwind"})) == {"vendors": ["Northwind Legal AI, Inc."]}


def test_anonymous_visitors_are_sent_to_sign_in(client, portfolio):
    response = client.get("/search/", {"q": "northwind"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_page_has_the_box_for_a_signed_in_user(client, viewer):
    client.force_login(viewer)
    assert 'role="search" method="get" action="/search/"' in client.get("/vendors/").content.decode()


def test_queries_do_not_grow_with_the_portfolio(client, viewer, portfolio, django_assert_num_queries):
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as small:
        client.get("/search/", {"q": "contract"})
    assert len(small.captured_queries) <= 12  # session, user, permissions, one query per kind
    for i in range(30):
        usage = factories.ModelUsageFactory(product__name=f"Contract tool {i}", model=portfolio["model"])
        Finding.objects.create(usage=usage, code="x.y", trigger="critical_factor", title=f"Contract finding {i}")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/search/", {"q": "contract"})
    assert response.context["found"] == 10 + 10 + 1  # products, findings (both capped), the vendor


def test_text_search_on_an_empty_text_finds_nothing(portfolio):
    assert not text_search(Vendor.objects.all(), fields=("name",), text="  ").exists()
    assert text_search(AIModel.objects.all(), fields=("name",), text="quokka").count() == 1
