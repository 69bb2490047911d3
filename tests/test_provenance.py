"""Every curated fact names its sources, each primary (the regulator's, evaluator's, publisher's or provider's own
document) or marked secondary with the primary it reports on; the rule is the maintained domain list in
``vendors.knowledge.provenance``, and the shipped files are checked against it here independently of the loaders."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from assessments.questionnaires import DIRECTORY as QUESTIONNAIRES
from assessments.scoring.data import DATA_DIR
from vendors.knowledge import DEFAULT_DIR, KnowledgeBaseError, load_knowledge_base
from vendors.knowledge.provenance import (
    KINDS,
    PRIMARY_DOMAINS,
    SECONDARY,
    Source,
    is_primary_domain,
    only_secondary,
    parse_sources,
)

#: (file, array of tables, fact type) for every curated file that carries sources.
CURATED = [
    (DEFAULT_DIR / "publishers.toml", "publisher", "publisher"),
    (DEFAULT_DIR / "hosts.toml", "host", "host"),
    (DEFAULT_DIR / "closed_models.toml", "model", "closed_model"),
    (DEFAULT_DIR / "region_groups.toml", "group", "region_group"),
    (DATA_DIR / "regulation.toml", "country_list", "country_list"),
    (DATA_DIR / "evaluations.toml", "evaluation", "evaluation"),
    (DATA_DIR / "licenses.toml", "non_commercial", "licence"),
    (DATA_DIR / "licenses.toml", "territory_exclusion", "licence"),
]

#: The copies the issue named as sources an auditor would not accept as the primary one.
UNACCEPTABLE_AS_PRIMARY = ("wikiwand.com", "geekflare.com", "cubatrade.org", "justinfreeman.dev", "ainews247.org")


def _facts() -> Iterator[tuple[str, str, list]]:
    """(where, fact type, raw sources) for every fact in the shipped files, read straight from the files."""
    for path, table, fact_type in CURATED:
        rows = tomllib.loads(path.read_text(encoding="utf-8"))[table]
        for index, row in enumerate(rows):
            name = row.get("key") or row.get("name") or row.get("code") or row.get("license")
            yield f"{path.name}: {table} {name or index}", fact_type, row.get("sources")
    frameworks = yaml.safe_load((QUESTIONNAIRES / "frameworks.yaml").read_text(encoding="utf-8"))["frameworks"]
    for key, framework in frameworks.items():
        yield f"frameworks.yaml: {key}", "framework", framework.get("sources")


FACTS = list(_facts())


def test_every_curated_file_has_facts_to_check():
    assert len(FACTS) > 150
    assert {fact_type for _, fact_type, _ in FACTS} == set(PRIMARY_DOMAINS)


@pytest.mark.parametrize(("where", "fact_type", "sources"), FACTS, ids=[where for where, _, _ in FACTS])
def test_every_fact_has_sources_classified_by_the_domain_list(where, fact_type, sources):
    assert sources, f"{where} has no source"
    for source in sources:
        assert source.get("issuer") and source.get("kind") in KINDS, (where, source)
        if not is_primary_domain(source["url"], fact_type):
            assert source["kind"] == SECONDARY, f"{where}: {source['url']} is not a primary issuer's"
        if source["kind"] == SECONDARY:
            assert source.get("reports_on"), f"{where}: {source['url']} names no primary"


def test_no_aggregator_or_personal_site_is_cited_as_primary():
    cited = [(where, s) for where, _, sources in FACTS for s in sources]
    flagged = [(where, s["url"]) for where, s in cited if any(d in s["url"] for d in UNACCEPTABLE_AS_PRIMARY)]
    assert flagged, "the check below would be vacuous"
    assert all(s["kind"] == SECONDARY for where, s in cited if any(d in s["url"] for d in UNACCEPTABLE_AS_PRIMARY))


def test_the_policy_facts_cite_the_primary_wherever_one_was_read():
    sources = {where: sources for where, _, sources in FACTS}
    nist = sources["evaluations.toml: evaluation nist-caisi-deepseek-2025-09"]
    assert [(s["kind"], s["issuer"]) for s in nist] == [
        ("primary", "NIST, Center for AI Standards and Innovation (CAISI)")
    ]
    cisco = sources["evaluations.toml: evaluation cisco-upenn-harmbench-deepseek-r1-2025-01"]
    assert cisco[0]["url"].startswith("https://blogs.cisco.com/security/") and cisco[0]["kind"] == "primary"
    adversaries = sources["regulation.toml: country_list us-foreign-adversaries-15cfr791.4"]
    assert adversaries[0]["reports_on_url"].startswith("https://www.ecfr.gov/current/title-15/")
    deepseek = sources["publishers.toml: publisher deepseek"]
    assert {s["url"].split("/")[2] for s in deepseek} >= {"www.garanteprivacy.it", "www.congress.gov"}


@pytest.mark.parametrize(
    ("url", "fact_type", "primary"),
    [
        ("https://www.nist.gov/news-events/news/x", "evaluation", True),
        ("https://nvlpubs.nist.gov/nistpubs/ai/NIST.AI.100-1.pdf", "framework", True),
        ("https://nist.gov.example.com/x", "evaluation", False),  # a lookalike is not a subdomain
        ("https://www.federalregister.gov/d/2025-05427", "publisher", True),
        ("https://www.federalregister.gov/d/2025-05427", "evaluation", False),  # primary for other facts only
        ("https://github.com/huggingface/huggingface.js/tree/main", "host", True),
        ("https://github.com/stackql/stackql-registry-docs/pull/204.patch", "closed_model", False),
        ("https://github.com/huggingfacex/x", "host", False),  # a path prefix is a whole segment
        ("https://www.wikiwand.com/en/articles/Foreign_adversaries", "country_list", False),
    ],
)
def test_the_domain_list_matches_domains_subdomains_and_path_prefixes(url, fact_type, primary):
    assert is_primary_domain(url, fact_type) is primary


_GOOD = {"title": "T", "url": "https://www.nist.gov/x", "issuer": "NIST", "kind": "primary"}
_COPY = {"title": "T", "url": "https://news.example/x", "issuer": "News", "kind": "secondary"}


@pytest.mark.parametrize(
    ("sources", "problem"),
    [
        (None, "needs its sources"),
        ([], "needs at least one source"),
        ([{**_GOOD, "url": "https://news.example/x"}], "news.example is not a primary issuer of evaluation facts"),
        ([_COPY], "a secondary source must name the primary it reports on"),
        ([{**_GOOD, "kind": "tertiary"}], "'kind' must be 'primary' or 'secondary'"),
        ([{k: v for k, v in _GOOD.items() if k != "issuer"}], "missing required field 'issuer'"),
        ([{**_GOOD, "reports_on": "X"}], "only a secondary source reports on another"),
        ([{**_COPY, "reports_on": "X", "reports_on_url": "https://news.example/y"}], "'reports_on_url' is not on"),
        ([{**_GOOD, "url": "javascript:alert(1)"}], "is not an http(s) URL"),
    ],
)
def test_the_rule_refuses_what_an_auditor_would(sources, problem):
    _, problems = parse_sources(sources, "evaluation", "evaluations.toml: evaluation x")
    assert any(problem in line for line in problems), problems
    assert all(line.startswith("evaluations.toml: evaluation x") for line in problems)


def test_a_secondary_copy_cites_the_primary_it_reports_on():
    sources, problems = parse_sources(
        [{**_COPY, "reports_on": "CAISI evaluation", "reports_on_url": "https://www.nist.gov/caisi"}],
        "evaluation",
        "here",
    )
    assert problems == [] and only_secondary(sources)
    assert sources[0].cite() == (
        "T (News) <https://news.example/x> (secondary, reporting on CAISI evaluation <https://www.nist.gov/caisi>)"
    )
    assert sources[0].as_dict() == {
        "title": "T",
        "url": "https://news.example/x",
        "issuer": "News",
        "kind": "secondary",
        "reports_on": "CAISI evaluation",
        "reports_on_url": "https://www.nist.gov/caisi",
    }
    assert not only_secondary([*sources, Source("T", "https://www.nist.gov/x", "NIST", "primary")])


def test_the_loaders_refuse_a_file_breaking_the_rule(tmp_path: Path):
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("publishers.toml", "hosts.toml", "closed_models.toml"):
        (folder / name).write_text((DEFAULT_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (folder / "publishers.toml").read_text(encoding="utf-8")
    marked = 'issuer = "Arab News", kind = "secondary"'
    assert marked in text
    (folder / "publishers.toml").write_text(text.replace(marked, 'issuer = "Arab News", kind = "primary"'))
    with pytest.raises(KnowledgeBaseError, match=re.escape("arabnews.pk is not a primary issuer of publisher facts")):
        load_knowledge_base(folder)
