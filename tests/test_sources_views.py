"""Where sources are shown, a secondary one says so and names the primary it reports on; everything is escaped and
only http(s) links are made."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests import factories
from vendors.models import AIModel, Host, Publisher

pytestmark = pytest.mark.django_db


def _text(body: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split())).replace(" )", ")").replace("( ", "(")


def test_the_policy_page_labels_each_source_and_what_was_read_only_secondhand(client, viewer):
    client.force_login(viewer)
    body = client.get("/policy/").content.decode()
    text = _text(body)
    curated = text[text.index("Curated data and sources") : text.index("Version history")]
    # The default country list was read only through a copy of the eCFR text, and says which.
    adversaries = curated[curated.index("US foreign adversaries, 15 CFR 791.4") :]
    assert adversaries.index("read only through a secondary copy") < adversaries.index("Wikiwand")
    assert "(secondary, reporting on 15 CFR 791.4 Determination of foreign adversaries (eCFR))" in curated
    assert 'href="https://www.ecfr.gov/current/title-15/subtitle-A/part-791/subpart-A/section-791.4"' in body
    # An evaluation cited at the evaluator's own page is primary, with its issuer.
    nist = curated[curated.index("NIST CAISI: DeepSeek R1 / V3.1") : curated.index("NIST CAISI: Kimi K2 Thinking")]
    assert "CAISI Evaluation of DeepSeek AI Models Finds Shortcomings and Risks" in nist
    assert "NIST, Center for AI Standards and Innovation (CAISI) primary" in nist and "secondary" not in nist
    kimi = curated[curated.index("NIST CAISI: Kimi K2 Thinking") :]
    assert "(secondary, reporting on CAISI Evaluation of Kimi K2 Thinking (NIST, December 2025))" in kimi
    assert "geekflare" not in body and "ainews247" not in body


def test_the_model_page_shows_the_publishers_sources_escaped(analyst_client):
    publisher = factories.PublisherFactory(
        name="Northwind",
        sources=[
            {"title": "Northwind <b>site</b>", "url": "https://northwind.example/", "issuer": "Northwind",
             "kind": "primary"},
            {"title": "A blog <script>x</script>", "url": "javascript:alert(1)", "issuer": "Blog",
             "kind": "secondary", "reports_on": "Northwind <i>filing</i>", "reports_on_url": "https://gov.example/f"},
            {"title": "Legacy entry", "url": "https://old.example/"},
            {"title": "Our vendor record", "url": "/vendors/1/"},
            {"title": "Elsewhere", "url": "//evil.example/x"},
        ],
    )  # fmt: skip
    model = factories.AIModelFactory(name="northwind/model-1", publisher=publisher)
    body = analyst_client.get(f"/models/{model.pk}/").content.decode()
    assert "<script>x</script>" not in body and "<b>site</b>" not in body and "<i>filing</i>" not in body
    assert "A blog &lt;script&gt;x&lt;/script&gt;" in body and "javascript:" not in body
    text = _text(body)
    assert "(secondary, reporting on Northwind <i>filing</i>)" in text
    assert 'href="https://gov.example/f"' in body and 'href="https://old.example/"' in body
    assert 'href="/vendors/1/"' in body and "evil.example" not in body  # a path on this site, not another host


def test_the_api_exposes_the_kind_of_each_knowledge_base_source(analyst_client):
    deepseek = Publisher.objects.get(key="deepseek")
    response = analyst_client.get(f"/api/v1/publishers/{deepseek.pk}/")
    assert response.status_code == 200, response.content
    kinds = {source["url"].split("/")[2]: source["kind"] for source in response.json()["sources"]}
    assert kinds["www.congress.gov"] == "primary" and kinds["www.garanteprivacy.it"] == "primary"
    tencent = Publisher.objects.get(key="tencent")
    (copy,) = [s for s in tencent.sources if s["kind"] == "secondary"]
    assert copy["issuer"] == "Arab News" and "1260H" in copy["reports_on"]
    assert AIModel.objects.filter(kind="closed").exists()


def test_the_usage_page_says_where_the_hosts_facts_come_from(analyst_client):
    groq = Host.objects.get(key="groq")
    usage = factories.ModelUsageFactory(host=groq)
    body = analyst_client.get(reverse("assessments:usage_detail", args=[usage.pk])).content.decode()
    hosted = _text(body[body.index('id="host-sources"') :])
    assert "Where the host's facts come from" in hosted
    assert (
        "(secondary, reporting on Groq's announcement of its Helsinki data centre with Equinix (July 2025))" in hosted
    )
