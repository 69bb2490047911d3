"""Exposure: the blast-radius FilterSet and page (with CSV), roll-ups to products and vendors, the dashboard's
exposure figures, and the page of one model usage."""

import csv
import io

import pytest

from assessments import selectors, services
from assessments.filters import ExposureFilterSet
from assessments.models import RiskRating
from tests import factories
from vendors.models import LineageRefresh, ModelUsage, Product, Publisher, Vendor
from vendors.selectors import model_usage_queryset
from vendors.services import lineage

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)
GPT_OSS = "openai/gpt-oss-20b"


@pytest.fixture
def portfolio(fake_hub, knowledge):
    on_qwen = factories.ModelUsageFactory(model__name=QWEN_GGUF, product__name="Contract copilot")
    on_openai = factories.ModelUsageFactory(model__name=GPT_OSS, product__name="Helpdesk bot")
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF, GPT_OSS])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    services.ratings_refresh()
    return {"qwen": on_qwen, "openai": on_openai}


def _matching(**params) -> set[str]:
    filterset = ExposureFilterSet(params, queryset=model_usage_queryset())
    assert filterset.is_valid(), filterset.errors
    return {usage.model.name for usage in filterset.qs}


def test_the_filterset_answers_which_usages_depend_on_what(portfolio):
    qwen = Publisher.objects.get(orgs__org_id="Qwen")

    assert _matching(country="CN") == {QWEN_GGUF}
    assert _matching(country="US") == {GPT_OSS}
    assert _matching(publisher=qwen.pk) == {QWEN_GGUF}
    assert _matching(model="qwen/qwen2.5-7b") == {QWEN_GGUF}  # an ancestor, any case
    assert _matching(root="Qwen/Qwen2.5-7B") == {QWEN_GGUF}
    assert _matching(root=QWEN_GGUF) == set()  # the product's model is not a root
    assert _matching(model=GPT_OSS) == {GPT_OSS}
    assert _matching(country="CN", publisher=qwen.pk) == {QWEN_GGUF}
    assert _matching(country="CN", model=GPT_OSS) == set()
    assert _matching() == {QWEN_GGUF, GPT_OSS}
    tier = RiskRating.objects.get(usage=portfolio["qwen"], is_current=True).tier
    assert QWEN_GGUF in _matching(tier=tier)


def test_retired_products_leave_the_blast_radius_unless_asked_for(portfolio):
    Product.objects.filter(pk=portfolio["qwen"].product_id).update(status=Product.Status.RETIRED)
    assert _matching(country="CN") == set()
    assert _matching(country="CN", include_retired=True) == {QWEN_GGUF}


def test_invalid_filters_are_reported_not_ignored():
    filterset = ExposureFilterSet({"country": "XX", "publisher": "999999"}, queryset=model_usage_queryset())
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"country", "publisher"}


def test_the_exposure_page_shows_why_a_usage_is_listed(portfolio, client, viewer, django_assert_max_num_queries):
    client.force_login(viewer)
    with django_assert_max_num_queries(20):
        page = client.get("/exposure/?country=CN").content.decode()

    assert "Contract copilot" in page and "Helpdesk bot" not in page
    assert "Qwen/Qwen2.5-7B</span>" not in page  # the path is shown as text, whole
    assert f"{QWEN_GGUF} → " in page and "→ Qwen/Qwen2.5-7B" in page
    assert "1</strong> model usage" in page


def test_the_exposure_csv_lists_every_match_and_defuses_formulas(portfolio, analyst_client):
    Product.objects.filter(pk=portfolio["qwen"].product_id).update(name='=HYPERLINK("http://x","y")')

    response = analyst_client.get("/exposure/?country=CN&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["vendor", "product", "model"]
    assert len(rows) == 2
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")' and rows[1][2] == QWEN_GGUF
    assert rows[1][-1].startswith(f"{QWEN_GGUF} → ")  # the closest ancestor from a country of concern


def test_roll_ups_take_the_riskiest_current_rating(portfolio):
    qwen_rating = RiskRating.objects.get(usage=portfolio["qwen"], is_current=True)
    factories.ModelUsageFactory(product=portfolio["qwen"].product, model=portfolio["openai"].model)
    services.ratings_refresh()

    product = selectors.with_worst_rating(Product.objects.filter(pk=portfolio["qwen"].product_id), "model_usages").get()
    assert (product.worst_tier, product.worst_score) == (qwen_rating.tier, qwen_rating.score)
    vendor = selectors.with_worst_rating(
        Vendor.objects.filter(pk=portfolio["qwen"].product.vendor_id), "products__model_usages"
    ).get()
    assert vendor.worst_tier == qwen_rating.tier
    unrated = factories.ProductFactory()
    assert selectors.with_worst_rating(Product.objects.filter(pk=unrated.pk), "model_usages").get().worst_tier == ""


def test_dashboard_figures_count_products_by_origin_root_and_tier(portfolio):
    by_country = dict(selectors.exposure_by_country())
    assert by_country["CN"] == 1 and by_country["US"] == 1
    roots = {model.name: n for model, n in selectors.exposure_by_root()}
    assert roots["Qwen/Qwen2.5-7B"] == 1
    tiers = selectors.products_by_tier()
    assert sum(tiers.values()) == Product.objects.filter(status="active").count()


def test_the_usage_page_shows_the_rating_its_history_and_findings(portfolio, analyst_client):
    usage = portfolio["qwen"]
    page = analyst_client.get(f"/usages/{usage.pk}/").content.decode()

    assert "Current rating" in page and "first rating" in page
    assert "Origin in a country of concern" in page  # its finding, by the factor's label
    assert "→ Qwen/Qwen2.5-7B" in page  # evidence and chains
    assert analyst_client.get("/usages/999999/").status_code == 404


def test_exposure_and_usage_pages_need_a_sign_in(client, portfolio):
    for url in ("/exposure/", f"/usages/{ModelUsage.objects.first().pk}/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_hostile_model_names_reach_the_dashboard_and_exposure_pages_escaped(knowledge, analyst_client):
    from vendors.services import model_usage_register

    product = factories.ProductFactory(name="Widget <b>bold</b>")
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    model_usage_register(product=product, model_kind="declared", model_name=hostile, role="primary")
    services.ratings_refresh()
    assert {m.name: n for m, n in selectors.exposure_by_root()}[hostile] == 1

    for url in ("/", "/exposure/", f"/exposure/?root={hostile}"):
        page = analyst_client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_vendor_and_product_lists_sort_by_risk_with_the_unrated_last(portfolio, analyst_client):
    from vendors.filters import ProductFilterSet, VendorFilterSet

    unrated = factories.ProductFactory(name="Nothing rated yet")
    qwen_product, openai_product = portfolio["qwen"].product, portfolio["openai"].product
    assert (
        RiskRating.objects.get(usage=portfolio["qwen"], is_current=True).score
        > RiskRating.objects.get(usage=portfolio["openai"], is_current=True).score
    )

    products = ProductFilterSet({"ordering": "-risk"}, queryset=Product.objects.all()).qs  # bare: it annotates
    assert list(products)[:2] == [qwen_product, openai_product] and list(products)[-1] == unrated
    vendors = list(VendorFilterSet({"ordering": "-risk"}, queryset=Vendor.objects.all()).qs)
    assert vendors[0] == qwen_product.vendor and vendors[-1] == unrated.vendor

    page = analyst_client.get("/vendors/?ordering=-risk").content.decode()
    assert (
        page.index(qwen_product.vendor.name) < page.index(openai_product.vendor.name) < page.index(unrated.vendor.name)
    )
