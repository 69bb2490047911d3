"""One vocabulary with human labels: no internal node-id prefixes on pages (the API keeps them), criticality named
one way with the risk tiers' words, a clear retired-products filter, model kinds counted in proper plurals."""

import re

import pytest

from assessments.models import Finding
from assessments.scoring.labels import plain_ids
from tests import factories
from vendors.models import AIModel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("closed:deepseek-reasoner (DeepSeek, CN) is a root", "deepseek-reasoner (DeepSeek, CN) is a root"),
        ("acme/bot → declared:acme-internal-7b", "acme/bot → acme-internal-7b"),
        ("Qwen/Qwen2.5-7B (Alibaba Cloud, CN)", "Qwen/Qwen2.5-7B (Alibaba Cloud, CN)"),
        ("org/closed:odd-but-a-hub-name", "org/closed:odd-but-a-hub-name"),  # inside a hub id: left alone
        ("Answer: closed", "Answer: closed"),
    ],
)
def test_plain_ids(text, shown):
    assert plain_ids(text) == shown


def test_finding_pages_drop_the_prefix_and_the_api_keeps_it(analyst_client):
    model, _ = AIModel.objects.get_or_create(name="deepseek-reasoner", kind=AIModel.Kind.CLOSED)
    finding = Finding.objects.create(
        usage=factories.ModelUsageFactory(model=model),
        code="origin.country_of_concern",
        trigger=Finding.Trigger.CRITICAL_FACTOR,
        title="closed:deepseek-reasoner (DeepSeek, CN) is a root",
        evidence=["closed:deepseek-reasoner [root]"],
        points=40,
    )
    for url in ("/findings/", finding.get_absolute_url()):
        body = analyst_client.get(url).content.decode()
        assert "deepseek-reasoner (DeepSeek, CN) is a root" in body
        assert "closed:" not in body
    api = analyst_client.get(f"/api/v1/findings/{finding.pk}/")
    assert api.json()["title"] == "closed:deepseek-reasoner (DeepSeek, CN) is a root"


def test_criticality_is_one_word_with_the_tiers_words(analyst_client):
    vendor = factories.VendorFactory(name="Acme", tier="medium")
    body = analyst_client.get(vendor.get_absolute_url()).content.decode()
    assert "Moderate criticality" in body and "Medium" not in body and " tier<" not in body
    listing = analyst_client.get("/vendors/").content.decode()
    assert ">Criticality</a>" in listing and ">Tier<" not in listing


def test_the_retired_products_filter_says_what_it_does(analyst_client):
    body = analyst_client.get("/exposure/").content.decode()
    select = re.search(r'<select name="include_retired".*?</select>', body, re.S).group(0)
    assert "Left out" in select and "Included" in select and "Unknown" not in select


def test_model_kinds_are_counted_in_proper_plurals(analyst_client):
    AIModel.objects.filter(kind=AIModel.Kind.CLOSED).exclude(usages__isnull=False).delete()
    for name in ("a/one", "b/two"):
        factories.AIModelFactory(name=name)
    factories.AIModelFactory(name="acme-closed-x", kind=AIModel.Kind.CLOSED)
    hub = AIModel.objects.filter(kind=AIModel.Kind.HUB).count()
    closed = AIModel.objects.filter(kind=AIModel.Kind.CLOSED).count()
    body = analyst_client.get("/").content.decode()
    assert f"{hub} hub repositories" in body and "0 declared models" in body
    assert f"{closed} closed API model{'s' if closed != 1 else ''}" in body


def test_the_model_page_lists_chains_without_prefixes(analyst_client):
    from django.utils import timezone

    from vendors.models import LineageEdge

    now = timezone.now()
    child = factories.AIModelFactory(name="acme/bot-7b", status=AIModel.Status.RESOLVED, fetched_at=now)
    parent = AIModel.objects.create(name="acme-internal-base", kind=AIModel.Kind.DECLARED)
    LineageEdge.objects.create(child=child, parent=parent, relation="finetune", source="vendor", observed_at=now)
    body = analyst_client.get(f"/models/{child.pk}/").content.decode()
    assert "acme/bot-7b → acme-internal-base" in body
    assert "declared:acme-internal-base" not in body
