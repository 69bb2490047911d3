"""manage.py load_demo and load_knowledge: a realistic portfolio, offline, idempotent."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from vendors.models import AIModel, ChangeEvent, Host, LineageEdge, ModelUsage, Product, Publisher, Vendor

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Vendor, Product, ModelUsage, AIModel, LineageEdge, Publisher, Host, ChangeEvent)
    }


def test_demo_portfolio_is_realistic_and_loading_it_twice_changes_nothing():
    call_command("load_demo", verbosity=0)
    first = _counts()
    call_command("load_demo", verbosity=0)

    assert _counts() == first
    assert first["Vendor"] >= 15 and first["Product"] >= 40
    kinds = set(AIModel.objects.filter(usages__isnull=False).values_list("kind", flat=True))
    assert kinds == {"hub", "closed", "declared"}
    assert ModelUsage.objects.values("host").distinct().count() >= 5
    # US SaaS products built on Qwen and DeepSeek derivatives, several layers down.
    us_on_chinese_bases = ModelUsage.objects.filter(
        product__vendor__country="US", model__kind="hub", model__name__iregex=r"(qwen|deepseek)"
    )
    assert us_on_chinese_bases.values("product__vendor").distinct().count() >= 4


def test_hub_models_are_linked_to_publishers_and_re_packagers_are_marked():
    call_command("load_demo", verbosity=0)
    qwen = AIModel.objects.get(name="Qwen/Qwen2.5-7B-Instruct")
    assert qwen.publisher.country.code == "CN"
    gguf = AIModel.objects.get(name="bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    assert gguf.publisher.is_repackager
    assert AIModel.objects.get(kind="closed", name="gpt-4o").publisher.country.code == "US"


def test_a_demo_vendor_publishes_its_own_models_under_its_hub_organisation():
    call_command("load_demo", verbosity=0)
    vendor = Vendor.objects.get(name="Northwind Legal AI, Inc.")
    own = AIModel.objects.get(name="northwind-ai/contract-copilot-7b-GGUF")
    assert own.publisher.vendor == vendor and own.publisher.country.code == "US"
    assert Publisher.objects.filter(vendor=vendor).count() == 1  # a publisher row of its own, once


def test_knowledge_base_rows_carry_their_sources():
    call_command("load_knowledge", verbosity=0)
    assert Publisher.objects.count() > 50
    for publisher in Publisher.objects.all():
        assert publisher.sources and all(s["url"].startswith("http") for s in publisher.sources), publisher.key
    assert Publisher.objects.get(orgs__org_id__iexact="thudm").key == Publisher.objects.get(orgs__org_id="zai-org").key


def test_loading_the_knowledge_base_twice_leaves_rows_and_history_untouched():
    call_command("load_knowledge", verbosity=0)
    history = Publisher.history.count()
    call_command("load_knowledge", verbosity=0)
    assert Publisher.history.count() == history


def test_demo_users_are_created_only_on_request_and_never_in_production(settings):
    settings.DEBUG = True  # development mode (pytest-django runs tests with DEBUG off)
    call_command("load_demo", verbosity=0)
    assert not User.objects.exists()
    call_command("load_demo", "--with-users", verbosity=0)
    analyst = User.objects.get(username="analyst")
    assert analyst.check_password("riskregistry-demo") and analyst.groups.get().name == "analyst"
    settings.DEBUG = False
    with pytest.raises(CommandError, match="not created when DEBUG=false"):
        call_command("load_demo", "--with-users", verbosity=0)


def test_a_broken_portfolio_file_loads_nothing(tmp_path):
    bad = tmp_path / "portfolio.toml"
    bad.write_text('[[vendor]]\nname = "X"\ncountry = "XX"\ntier = "high"\nstatus = "active"\n')
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_demo", "--file", str(bad), verbosity=0)
    assert not Vendor.objects.exists()
