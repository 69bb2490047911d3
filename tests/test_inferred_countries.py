"""``inferred_countries`` follows each inferred parent's own declared chain to its roots (every hop), so a parent
republished or fine-tuned in one country from a base published in another names both; the declared ``countries``
never include them."""

import pytest
from django.utils import timezone

from tests import factories
from vendors.models import InferredEdge, LineageEdge
from vendors.selectors import lineage_reports

pytestmark = pytest.mark.django_db


def _declared(child, parent, relation="finetune"):
    LineageEdge.objects.create(child=child, parent=parent, relation=relation, source="card", observed_at=timezone.now())


def test_inferred_countries_follow_the_inferred_parents_declared_chain_to_its_roots():
    us = factories.PublisherFactory(key="t-us", name="US Lab", country="US")
    fr = factories.PublisherFactory(key="t-fr", name="FR Lab", country="FR")
    cn = factories.PublisherFactory(key="t-cn", name="CN Lab", country="CN")
    root = factories.AIModelFactory(name="cn-lab/base", publisher=cn, status="resolved")
    middle = factories.AIModelFactory(name="fr-lab/instruct", publisher=fr, status="resolved")
    parent = factories.AIModelFactory(name="us-lab/chat", publisher=us, status="resolved")
    _declared(middle, root)
    _declared(parent, middle)
    child = factories.AIModelFactory(name="acme/silent", status="resolved")
    InferredEdge.objects.create(
        child=child, parent=parent, relation="finetune", source="inferred:config", confidence=0.9,
        evidence={"family": "cn-lab/base"}, observed_at=timezone.now(),
    )  # fmt: skip

    [report] = lineage_reports([child])
    assert report.as_json()["countries"] == []  # the declared keys keep their meaning
    assert report.as_json()["inferred_countries"] == ["CN", "FR", "US"]  # three hops: the parent and its chain
    assert report.inferred_parent_countries == {"us-lab/chat": ("CN", "FR", "US")}
