"""Table-driven tests of the pure scoring module: every factor fires and stays quiet, tier boundaries, reasons
and evidence, re-packagers, root vs intermediate, policy validation, and the data files. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assessments.scoring import (
    FACTOR_CODES,
    AcceptanceFacts,
    AttestationFacts,
    ChangeFacts,
    Claims,
    EdgeFacts,
    HostFacts,
    InferredFacts,
    NodeFacts,
    Policy,
    PolicyError,
    QuestionnaireFacts,
    data,
    lineage_factors,
    score,
    usage_facts,
)
from assessments.scoring.rules import MAX_EVIDENCE, RULES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SUBJECT = "northwind-ai/contract-copilot-7b-GGUF"
MID = "northwind-ai/contract-copilot-7b"
ROOT = "acme/base-7b"
POLICY = Policy.default()


def node(node_id: str, **kw) -> NodeFacts:
    kw.setdefault("publisher_key", node_id.split("/")[0].lower())
    kw.setdefault("country", "US")
    kw.setdefault("license", "apache-2.0")
    return NodeFacts(id=node_id, **kw)


def facts(*, nodes=(), edges=None, **kw):
    """A clean usage (no factor fires) with some nodes replaced and some fields overridden."""
    by_id = {n.id: n for n in (node(SUBJECT), node(MID), node(ROOT))}
    by_id.update({n.id: n for n in nodes})
    edges = (EdgeFacts(SUBJECT, MID, "quantized"), EdgeFacts(MID, ROOT, "finetune")) if edges is None else edges
    kw.setdefault("facts_as_of", NOW - timedelta(days=1))
    kw.setdefault("attestation", AttestationFacts(signed_at=NOW - timedelta(days=10), signed_by="cto@northwind"))
    kw.setdefault("host", HostFacts("acme-cloud", "Acme Cloud", "US", "us-east-1", "US"))
    return usage_facts(SUBJECT, now=NOW, nodes=by_id.values(), edges=edges, **kw)


def codes(rating) -> list[str]:
    return [f.code for f in rating.factors]


def test_clean_usage_scores_zero_and_low():
    rating = score(facts(), POLICY)
    assert (rating.score, rating.tier, rating.factors) == (0, "low", ())
    assert rating.policy_version == 1
    assert rating.inputs_as_of == NOW - timedelta(days=1)


QWEN = node("Qwen/Qwen2.5-7B", publisher_name="Qwen (Alibaba Cloud)", country="CN")
R1 = node("deepseek-ai/DeepSeek-R1", publisher_name="DeepSeek", country="CN", license="mit")
APPROVED_EU = POLICY.with_changes(approved_regions=frozenset({"DE", "FR"}))
OLD_ATTESTATION = AttestationFacts(signed_at=NOW - timedelta(days=400))
LAPSED_ATTESTATION = AttestationFacts(signed_at=NOW - timedelta(days=30), expires_at=NOW - timedelta(days=1))
CHANGE = ChangeFacts("new_parent", NOW - timedelta(days=2), "acme/base-7b now names Qwen/Qwen2.5-7B")

# (code, facts that make it fire, policy)
FIRES = [
    ("origin.country_of_concern", facts(nodes=[node(ROOT, country="CN")]), POLICY),
    ("origin.country_of_concern", facts(nodes=[node(SUBJECT, country="RU")]), POLICY),
    ("origin.country_of_concern", facts(nodes=[node(MID, country="hk")]), POLICY),
    ("origin.inferred_country_of_concern",
     facts(inferred=(InferredFacts(ROOT, "Qwen/Qwen2.5-7B", confidence=0.9, countries=("CN",)),)), POLICY),
    ("origin.sanctioned_publisher", facts(nodes=[node(ROOT, flags=frozenset({"bis_entity_list"}))]), POLICY),
    ("hosting.outside_approved", facts(), APPROVED_EU),
    ("hosting.outside_approved", facts(host=HostFacts("router", "Router", "DE", "global", "")), APPROVED_EU),
    ("hosting.country_of_concern", facts(host=HostFacts("aliyun", "Alibaba Cloud", "CN", "cn-beijing", "CN")), POLICY),
    ("hosting.country_of_concern", facts(host=HostFacts("acme-cloud", "Acme", "US", "ap-hk", "HK")), POLICY),
    ("evaluation.published_findings", facts(nodes=[R1], edges=[EdgeFacts(SUBJECT, R1.id)]), POLICY),
    ("evaluation.published_findings", facts(nodes=[node("moonshotai/Kimi-K2-Thinking", country="CN")],
                                            edges=[EdgeFacts(SUBJECT, "moonshotai/Kimi-K2-Thinking")]), POLICY),
    ("license.non_commercial", facts(nodes=[node(ROOT, license="cc-by-nc-4.0")]), POLICY),
    ("license.non_commercial", facts(nodes=[node(MID, license="qwen-research")]), POLICY),
    ("license.territory_exclusion", facts(nodes=[node(ROOT, license="llama4")], vendor_country="FR"), POLICY),
    ("license.territory_exclusion", facts(nodes=[node("meta-llama/Llama-3.2-11B-Vision", license="llama3.2")],
                                          edges=[EdgeFacts(SUBJECT, "meta-llama/Llama-3.2-11B-Vision")],
                                          usage_countries=("IT",)), POLICY),
    ("license.territory_exclusion", facts(nodes=[node("tencent/Hunyuan-7B", license="other")],
                                          edges=[EdgeFacts(SUBJECT, "tencent/Hunyuan-7B")],
                                          host=HostFacts("k", "K", "KR", "seoul", "KR")), POLICY),
    ("license.unknown", facts(nodes=[node(ROOT, license="")]), POLICY),
    ("license.unknown", facts(nodes=[node(ROOT, license="other")]), POLICY),
    ("license.drift", facts(nodes=[node(SUBJECT, license="mit")]), POLICY),
    ("opacity.incomplete", facts(incomplete_reasons=["walk stopped after 4096 nodes"]), POLICY),
    ("opacity.incomplete", facts(nodes=[node(ROOT, status="not_found")]), POLICY),
    ("opacity.declared_only", facts(nodes=[node(ROOT, kind="declared")]), POLICY),
    ("opacity.declared_only", facts(edges=[EdgeFacts(SUBJECT, MID), EdgeFacts(MID, ROOT, source="vendor")]), POLICY),
    ("opacity.unknown_publisher", facts(nodes=[node(ROOT, publisher_key="")]), POLICY),
    ("opacity.gated_ancestor", facts(nodes=[node(ROOT, status="gated")]), POLICY),
    ("discrepancy.answer_contradicts_lineage",
     facts(nodes=[node(ROOT, country="CN")], answers=Claims(no_country_of_concern=True)), POLICY),
    ("discrepancy.answer_contradicts_lineage", facts(answers=Claims(base_models=("meta-llama/Llama-3.1-8B",))), POLICY),
    ("discrepancy.answer_contradicts_lineage", facts(answers=Claims(hosting_countries=("DE",))), POLICY),
    ("discrepancy.answer_contradicts_lineage",
     facts(nodes=[node(ROOT, country="CN")],
           attestation=AttestationFacts(NOW - timedelta(days=5), claims=Claims(no_country_of_concern=True))), POLICY),
    ("questionnaire.answer_points",
     facts(questionnaires=(QuestionnaireFacts("ai-mbom", "AI MBOM", 1, 50, ("NO_CHANGE_NOTICE",)),)), POLICY),
    ("attestation.missing", facts(attestation=None), POLICY),
    ("attestation.expired", facts(attestation=OLD_ATTESTATION), POLICY),
    ("attestation.expired", facts(attestation=LAPSED_ATTESTATION), POLICY),
    ("facts.stale", facts(facts_as_of=None), POLICY),
    ("facts.stale", facts(facts_as_of=NOW - timedelta(days=31)), POLICY),
    ("changes.unacknowledged", facts(changes=(CHANGE,)), POLICY),
]  # fmt: skip


@pytest.mark.parametrize(("code", "usage", "policy"), FIRES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(FIRES)])
def test_factor_fires(code, usage, policy):
    rating = score(usage, policy)
    fired = {f.code: f for f in rating.factors}
    assert code in fired
    assert fired[code].points > 0
    assert fired[code].reason and "\n" not in fired[code].reason


def test_every_factor_code_has_a_firing_case_and_a_rule():
    assert {code for code, _, _ in FIRES} == set(FACTOR_CODES)
    assert len(RULES) == len(FACTOR_CODES)


# (code, facts close to firing that must not, policy)
QUIET = [
    ("origin.country_of_concern", facts(nodes=[node(MID, country="CN", flags=frozenset({"repackager"}))]), POLICY),
    ("origin.country_of_concern", facts(nodes=[node(ROOT, country="DE")]), POLICY),
    ("origin.sanctioned_publisher", facts(nodes=[node(ROOT, flags=frozenset({"repackager", "verified"}))]), POLICY),
    ("hosting.outside_approved", facts(host=HostFacts("router", "Router", "CN", "global", "")), POLICY),
    ("hosting.outside_approved", facts(host=None), APPROVED_EU),
    ("hosting.outside_approved", facts(host=HostFacts("eu", "EU Cloud", "DE", "fra", "DE")), APPROVED_EU),
    ("hosting.country_of_concern", facts(host=HostFacts("router", "Router", "US", "global", "")), POLICY),
    ("evaluation.published_findings", facts(nodes=[node(ROOT, country="CN")]), POLICY),
    ("evaluation.published_findings", facts(nodes=[node("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")],
                                            edges=[EdgeFacts(SUBJECT, "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")]),
     POLICY),
    ("license.non_commercial", facts(nodes=[node(ROOT, license="mit")]), POLICY),
    ("license.territory_exclusion", facts(nodes=[node(ROOT, license="llama4")], vendor_country="US"), POLICY),
    ("license.territory_exclusion", facts(nodes=[node(ROOT, license="llama3.2")], vendor_country="FR"), POLICY),
    ("license.unknown", facts(nodes=[node(ROOT, license="", kind="closed")]), POLICY),
    ("license.drift", facts(nodes=[node(SUBJECT, license="")]), POLICY),
    ("license.drift", facts(nodes=[node(SUBJECT, license="Apache-2.0")]), POLICY),
    ("opacity.incomplete", facts(), POLICY),
    ("opacity.declared_only", facts(edges=[EdgeFacts(SUBJECT, MID), EdgeFacts(MID, ROOT, source="analyst")]), POLICY),
    ("opacity.unknown_publisher", facts(nodes=[node(ROOT, publisher_key="", publisher_name="Acme")]), POLICY),
    ("opacity.gated_ancestor", facts(nodes=[node(ROOT, status="not_found")]), POLICY),
    ("discrepancy.answer_contradicts_lineage",
     facts(nodes=[node(ROOT, country="CN", flags=frozenset({"repackager"}))],
           answers=Claims(no_country_of_concern=True)), POLICY),
    ("discrepancy.answer_contradicts_lineage", facts(answers=Claims(base_models=("ACME/base-7b",))), POLICY),
    ("discrepancy.answer_contradicts_lineage", facts(answers=Claims(hosting_countries=("us",))), POLICY),
    ("discrepancy.answer_contradicts_lineage",
     facts(nodes=[node(ROOT, country="CN")], answers=Claims(no_country_of_concern=None)), POLICY),
    ("attestation.missing", facts(attestation=OLD_ATTESTATION), POLICY),
    ("attestation.expired", facts(attestation=None), POLICY),
    ("attestation.expired",
     facts(attestation=AttestationFacts(NOW - timedelta(days=365), expires_at=NOW + timedelta(days=1))), POLICY),
    ("facts.stale", facts(facts_as_of=NOW - timedelta(days=30)), POLICY),
    ("facts.stale",  # closed and declared models only: nothing on the hub to fetch
     facts(nodes=[node(n, kind=k) for n, k in ((SUBJECT, "closed"), (MID, "declared"), (ROOT, "closed"))],
           facts_as_of=None), POLICY),
    ("changes.unacknowledged", facts(changes=()), POLICY),
]  # fmt: skip


@pytest.mark.parametrize(("code", "usage", "policy"), QUIET, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(QUIET)])
def test_factor_does_not_fire(code, usage, policy):
    assert code not in codes(score(usage, policy))


def test_reason_names_the_ancestor_and_evidence_is_the_path():
    usage = facts(nodes=[replace(QWEN, id=ROOT)])
    (factor,) = score(usage, POLICY).factors
    assert factor.code == "origin.country_of_concern"
    assert factor.reason == (
        f"{ROOT} (Qwen (Alibaba Cloud), CN) is from a country of concern; it is a root of {SUBJECT}"
    )
    assert factor.evidence == (f"{SUBJECT} → {MID} → {ROOT} [CN, root]",)


@pytest.mark.parametrize(
    ("cn_node", "expected"),
    [(ROOT, int(25 * 1.6)), (MID, 25), (SUBJECT, 25)],  # the subject has a parent: an intermediate
)
def test_root_weighs_more_than_intermediate(cn_node, expected):
    (factor,) = score(facts(nodes=[node(cn_node, country="CN")]), POLICY).factors
    assert factor.points == expected


def test_several_ancestors_fire_once_with_the_worst_points_and_all_evidence():
    usage = facts(nodes=[node(MID, country="CN"), node(ROOT, country="RU")])
    (factor,) = score(usage, POLICY).factors
    assert factor.points == 40
    assert factor.reason.startswith(f"{ROOT} ") and "(and 1 more from countries of concern)" in factor.reason
    assert factor.evidence == (f"{SUBJECT} → {MID} → {ROOT} [RU, root]", f"{SUBJECT} → {MID} [CN, intermediate]")


def test_repackager_from_country_of_concern_is_no_origin_but_its_source_is():
    usage = facts(nodes=[node(SUBJECT, country="CN", flags=frozenset({"repackager"})), node(ROOT, country="CN")])
    (factor,) = score(usage, POLICY).factors
    assert factor.evidence == (f"{SUBJECT} → {MID} → {ROOT} [CN, root]",)


def test_evaluation_evidence_carries_sources():
    usage = facts(nodes=[R1], edges=[EdgeFacts(SUBJECT, R1.id, "quantized")])
    factor = next(f for f in score(usage, POLICY).factors if f.code == "evaluation.published_findings")
    assert factor.evidence[0].startswith(f"{SUBJECT} → deepseek-ai/DeepSeek-R1 [NIST CAISI 2025-09-30")
    crowdstrike = next(line for line in factor.evidence if line.startswith("CrowdStrike"))
    assert "https://www.crowdstrike.com/" in crowdstrike and "secondary" not in crowdstrike  # the evaluator's own
    kimi = next(ev for ev in POLICY.evaluations if ev.key == "nist-caisi-kimi-k2-thinking-2025-11")
    assert (
        kimi.sources[0]
        .cite()
        .endswith(
            "(secondary, reporting on CAISI Evaluation of Kimi K2 Thinking (NIST, December 2025) "
            "<https://www.nist.gov/news-events/news/2025/12/caisi-evaluation-kimi-k2-thinking>)"
        )
    )


def test_discrepancy_reason_quotes_the_claim_and_the_root():
    usage = facts(nodes=[replace(QWEN, id=ROOT)], answers=Claims(no_country_of_concern=True))
    factor = next(f for f in score(usage, POLICY).factors if f.code.startswith("discrepancy"))
    assert factor.reason == (
        "The questionnaire answer says no models from countries of concern, but "
        f"{ROOT} (Qwen (Alibaba Cloud), CN) is a root of {SUBJECT}"
    )


@pytest.mark.parametrize(("count", "points"), [(1, 5), (3, 15), (4, 20), (9, 20)])
def test_changes_score_per_change_up_to_the_cap(count, points):
    changes = tuple(replace(CHANGE, summary=f"change {i}") for i in range(count))
    (factor,) = score(facts(changes=changes), POLICY).factors
    assert factor.points == points
    assert len(factor.evidence) == count


def test_evidence_is_bounded():
    many = [node(f"org/m{i:03}", country="CN") for i in range(80)]
    usage = facts(nodes=many, edges=[EdgeFacts(SUBJECT, n.id) for n in many])
    (factor,) = score(usage, POLICY).factors
    assert len(factor.evidence) == MAX_EVIDENCE
    assert factor.evidence[-1] == "… and 31 more"


def test_factors_are_ordered_by_points_then_code_and_score_is_capped():
    usage = facts(
        nodes=[node(ROOT, country="CN", flags=frozenset({"bis_entity_list"}), license="cc-by-nc-4.0", status="gated")],
        attestation=None,
        facts_as_of=None,
    )
    rating = score(usage, POLICY)
    keys = [(-f.points, f.code) for f in rating.factors]
    assert keys == sorted(keys)
    assert sum(f.points for f in rating.factors) > 100
    assert (rating.score, rating.tier) == (100, "critical")


def test_zero_weight_switches_a_factor_off():
    policy = POLICY.with_changes(weights={**POLICY.weights, "attestation.missing": 0})
    assert score(facts(attestation=None), policy).factors == ()


# Tier boundaries: the missing-attestation weight set to the score wanted makes it the only factor.
@pytest.mark.parametrize(
    ("points", "tier"),
    [(0, "low"), (24, "low"), (25, "moderate"), (49, "moderate"), (50, "high"), (74, "high"), (75, "critical"),
     (100, "critical")],
)  # fmt: skip
def test_tier_boundaries(points, tier):
    policy = POLICY.with_changes(weights={**POLICY.weights, "attestation.missing": points})
    rating = score(facts(attestation=None), policy)
    assert (rating.score, rating.tier) == (points, tier)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 0}, "version"),
        ({"weights": {**POLICY.weights, "origin.country_of_concern": -1}}, "non-negative"),
        ({"weights": {**POLICY.weights, "origin.typo": 3}}, "unknown factor codes"),
        ({"weights": {k: v for k, v in POLICY.weights.items() if k != "facts.stale"}}, "weights missing"),
        ({"thresholds": (50, 25, 75)}, "thresholds"),
        ({"thresholds": (0, 50, 75)}, "thresholds"),
        ({"thresholds": (25, 50, 101)}, "thresholds"),
        ({"root_multiplier": 0.5}, "root_multiplier"),
        ({"max_fact_age_days": 0}, "maximum ages"),
        ({"attestation_max_age_days": 0}, "maximum ages"),
        ({"changes_cap": -1}, "changes_cap"),
        ({"countries_of_concern": frozenset({"cn"})}, "countries_of_concern"),
        ({"approved_regions": frozenset({"Germany"})}, "approved_regions"),
    ],
)
def test_policy_validation(changes, message):
    with pytest.raises(PolicyError, match=message):
        POLICY.with_changes(**changes)


def test_default_policy_comes_from_the_data_files():
    assert POLICY.countries_of_concern == frozenset({"CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"})
    assert POLICY.approved_regions == frozenset()
    assert POLICY.thresholds == (25, 50, 75)
    assert {"cc-by-nc-4.0", "qwen-research", "exaone"} <= POLICY.non_commercial_licenses
    assert {rule.key for rule in POLICY.territory_exclusions} == {"llama-multimodal-eu", "tencent-hunyuan"}
    assert POLICY.sources and all(s.url.startswith("https://") for s in POLICY.sources)


def test_data_files_load_with_sources():
    lists = {lst.key: lst for lst in data.regulation()}
    assert lists["us-covered-nations-10usc4872d"].countries == frozenset({"CN", "RU", "IR", "KP"})
    assert all(lst.sources and all(s.title and s.url for s in lst.sources) for lst in lists.values())
    # read through a copy of the eCFR text, and said so
    (adversaries, _) = lists["us-foreign-adversaries-15cfr791.4"].sources
    assert adversaries.is_secondary and adversaries.reports_on_url.startswith("https://www.ecfr.gov/")
    evaluations = data.evaluations()
    assert {ev.evaluator for ev in evaluations} >= {"NIST CAISI", "CrowdStrike"}
    assert all(ev.sources and ev.date for ev in evaluations)
    nist = next(ev for ev in evaluations if ev.key == "nist-caisi-deepseek-2025-09")
    assert [(s.kind, s.url.split("/")[2]) for s in nist.sources] == [("primary", "www.nist.gov")]
    non_commercial, territory = data.licenses()
    hunyuan = next(rule for rule in territory if rule.key == "tencent-hunyuan")
    assert {"GB", "KR", "DE", "FR"} <= hunyuan.territories and "US" not in hunyuan.territories
    assert all(row.sources for row in (*non_commercial, *territory))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[evaluation]]\nkey="k"\nfamily="f"\nevaluator="e"\nmodels=["a/b"]\ndate="2025-01-01"\nsummary="s"\n',
         "needs its sources"),
        ('[[evaluation]]\nkey="k"\nfamily="f"\nevaluator="e"\nmodels=["a/b"]\ndate="2025-01-01"\nsummary="s"\n'
         'sources=[{title="t", url="https://news.example/x", issuer="News", kind="primary"}]\n',
         "news.example is not a primary issuer of evaluation facts"),
        ('[[evaluation]]\nkey="k"\nfamily="f"\nevaluator="e"\nmodels=["a/b"]\ndate="2025-01-01"\nsummary="s"\n'
         'sources=[{title="t", url="https://news.example/x", issuer="News", kind="secondary"}]\n',
         "must name the primary it reports on"),
        ('[[evaluation]]\nkey="k"\nfamily="f"\nevaluator="e"\nmodels=[]\ndate="2025-01-01"\nsummary="s"\n'
         'sources=[{title="t", url="https://www.nist.gov/x", issuer="NIST", kind="primary"}]\n', "models"),
        ('[[evaluation]]\nkey="k"\nfamily="f"\nevaluator="e"\nmodels=["a/b"]\ndate="Jan 2025"\nsummary="s"\n'
         'sources=[{title="t", url="https://www.nist.gov/x", issuer="NIST", kind="primary"}]\n', "date"),
        ("", "non-empty array"),
    ],
)  # fmt: skip
def test_evaluation_rows_without_sources_are_rejected(text, message):
    with pytest.raises(data.DataError, match=message):
        data.parse_evaluations(text)


def test_regulation_needs_exactly_one_default_and_iso_codes():
    source = '{title="t", url="https://www.ecfr.gov/x", issuer="e", kind="primary"}'
    row = f'key="k"\ntitle="t"\ndate="2025-01-01"\nsources=[{source}]\n'
    with pytest.raises(data.DataError, match="exactly one"):
        data.parse_regulation(f'[[country_list]]\n{row}countries=["CN"]\n')
    with pytest.raises(data.DataError, match="ISO"):
        data.parse_regulation(f'[[country_list]]\n{row}countries=["China"]\ndefault=true\n')


def test_facts_need_the_subject_among_the_nodes():
    facts_ = facts()
    with pytest.raises(ValueError, match="subject"):
        replace(facts_, subject="other/model")


def _lineage_with_every_lineage_factor():
    """A lineage on which every rule of ``LINEAGE_RULES`` fires: a listed Chinese root under a non-commercial
    licence that a published evaluation names, a gated and an unknown-publisher node, a declared-only parent, a
    licence change, an inferred Russian parent, an unacknowledged change and an incomplete walk."""
    flagged = node(
        "deepseek-ai/DeepSeek-R1", country="CN", license="cc-by-nc-4.0", flags=frozenset({"bis_entity_list"})
    )
    return facts(
        nodes=[
            node(MID, license="mit"),
            flagged,
            node("hidden/gated", status="gated", publisher_key=""),
            node("declared:vendor-base", kind="declared", publisher_key="", license=""),
        ],
        edges=[
            EdgeFacts(SUBJECT, MID, "quantized"),
            EdgeFacts(MID, flagged.id, "finetune"),
            EdgeFacts(MID, "hidden/gated", "merge"),
            EdgeFacts(MID, "declared:vendor-base", "finetune", "vendor"),
        ],
        inferred=(InferredFacts(SUBJECT, "ru-lab/base", "ru-lab/base", confidence=0.9, countries=("RU",)),),
        changes=(ChangeFacts("parent_added", NOW - timedelta(days=2), "a parent appeared"),),
        incomplete_reasons=("hidden/gated: gated",),
    )


#: Every field that is not the lineage's, each given a value that moves some usage rule.
_OTHER_FIELDS = {
    "now": NOW + timedelta(days=400),
    "role": "fallback",
    "host": HostFacts("cn-cloud", "CN Cloud", "CN", "cn-north-1", "CN"),
    "vendor_country": "RU",
    "usage_countries": ("CN", "IR"),
    "answers": Claims(no_country_of_concern=True, base_models=("meta-llama/Llama-3.1-8B",), sources=("q1",)),
    "bom": Claims(base_models=("mistralai/Mistral-7B-v0.1",), ancestors=("mistralai/Mistral-7B-v0.1",)),
    "questionnaires": (QuestionnaireFacts("sig-lite", "SIG Lite", 7, 80, ("conduct.no_policy",)),),
    "attestation": AttestationFacts(
        signed_at=NOW - timedelta(days=900), signed_by="x", claims=Claims(hosting_countries=("DE",))
    ),
    "acceptances": (AcceptanceFacts("origin.country_of_concern", NOW + timedelta(days=30), "ciso", "ok"),),
}


def test_the_lineage_rules_read_only_the_lineage():
    """Rescoring runs ``LINEAGE_RULES`` once per model and shares what they find between its usages: a rule
    there that read anything else (the host, the answers, the time...) would rate usages wrongly."""
    from assessments.scoring import LINEAGE_FIELDS, UsageFacts
    from assessments.scoring.rules import LINEAGE_RULES, USAGE_RULES

    assert set(_OTHER_FIELDS) == set(UsageFacts.__dataclass_fields__) - LINEAGE_FIELDS
    assert set(LINEAGE_RULES) | set(USAGE_RULES) == set(RULES) and not set(LINEAGE_RULES) & set(USAGE_RULES)
    base = _lineage_with_every_lineage_factor()
    found = {rule.__name__: rule(base, POLICY) for rule in LINEAGE_RULES}
    assert [name for name, factor in found.items() if factor is None] == []  # each one has something to say
    for name, value in _OTHER_FIELDS.items():
        other = replace(base, **{name: value})
        assert {rule.__name__: rule(other, POLICY) for rule in LINEAGE_RULES} == found, name
        assert score(other, POLICY, lineage=lineage_factors(base, POLICY)) == score(other, POLICY), name


def test_the_usage_rules_each_read_something_beyond_the_lineage():
    """The other way round: each rule left to run per usage changes with some field that is not the lineage's,
    so none of them is scored per usage for nothing."""
    from assessments.scoring.rules import USAGE_RULES

    base = facts(nodes=[node(ROOT, license="llama4")], attestation=None, host=None)  # llama4 excludes the EU
    moved = set()
    for name, value in {**_OTHER_FIELDS, "vendor_country": "FR"}.items():
        other = replace(base, **{name: value})
        for policy in (POLICY, APPROVED_EU):
            moved |= {rule.__name__ for rule in USAGE_RULES if rule(other, policy) != rule(base, policy)}
    assert moved == {rule.__name__ for rule in USAGE_RULES}


def test_scoring_many_is_scoring_each_even_where_facts_share_their_parts():
    """``score_many`` tells lineages apart by the identity of their parts: facts that share some parts and differ
    in others (built with ``replace``) are still each scored as ``score`` scores them."""
    from assessments.scoring import score_many

    base = _lineage_with_every_lineage_factor()
    clean = facts()
    many = {
        1: base,
        2: replace(base, host=HostFacts("cn-cloud", "CN Cloud", "CN", "cn-north-1", "CN")),  # the same lineage
        3: replace(base, edges=clean.edges, license_drift=()),  # the same nodes, other edges
        4: replace(base, inferred=()),
        5: replace(base, complete=True, incomplete_reasons=()),
        6: clean,
        7: replace(clean, subject=MID),
        8: base,
    }
    cache = {}
    for policy in (POLICY, APPROVED_EU):
        assert score_many(many, policy, cache) == {key: score(value, policy) for key, value in many.items()}
    again = score_many(many, POLICY, cache)
    assert again[1] is again[8] and again == {key: score(value, POLICY) for key, value in many.items()}
