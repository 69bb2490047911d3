"""Property tests of the scoring engine on random usages (random lineage DAGs, countries, flags, licences,
answers, attestations, changes): a rating is deterministic, bounded, in the right tier, and monotone (adding
one more risk never lowers the score). No database."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring import (
    AcceptanceFacts,
    AttestationFacts,
    ChangeFacts,
    Claims,
    EdgeFacts,
    HostFacts,
    NodeFacts,
    Policy,
    UsageFacts,
    score,
    usage_facts,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
POLICY = Policy.default()
POLICIES = st.sampled_from(
    [POLICY, POLICY.with_changes(approved_regions=frozenset({"US", "DE"})), POLICY.with_changes(root_multiplier=1.0)]
)
COUNTRIES = ["", "US", "DE", "FR", "GB", "KR", "CN", "RU", "HK"]
LICENSES = ["", "apache-2.0", "mit", "other", "cc-by-nc-4.0", "llama4", "llama3.2", "qwen-research"]
IDS = ["deepseek-ai/DeepSeek-R1", "moonshotai/Kimi-K2-Thinking", "meta-llama/Llama-4-Scout", "tencent/Hunyuan-7B"]
FLAGS = st.frozensets(st.sampled_from(["repackager", "bis_entity_list", "verified"]), max_size=2)
DAYS = st.integers(min_value=0, max_value=800).map(lambda d: NOW - timedelta(days=d))


@st.composite
def nodes(draw, node_id: str) -> NodeFacts:
    return NodeFacts(
        id=node_id,
        status=draw(st.sampled_from(["resolved", "resolved", "resolved", "gated", "not_found"])),
        kind=draw(st.sampled_from(["hub", "hub", "closed", "declared"])),
        publisher_key=draw(st.sampled_from(["", "acme", "qwen"])),
        country=draw(st.sampled_from(COUNTRIES)),
        flags=draw(FLAGS),
        license=draw(st.sampled_from(LICENSES)),
    )


CLAIMS = st.builds(
    Claims,
    no_country_of_concern=st.sampled_from([None, True, False]),
    base_models=st.lists(st.sampled_from(["n1", "n2", "n3", *IDS]), max_size=2).map(tuple),
    hosting_countries=st.lists(st.sampled_from(COUNTRIES[1:]), max_size=2).map(tuple),
)
ATTESTATIONS = st.none() | st.builds(
    AttestationFacts, signed_at=DAYS, expires_at=st.none() | DAYS.map(lambda d: d + timedelta(days=60)), claims=CLAIMS
)
HOSTS = st.none() | st.builds(
    HostFacts,
    key=st.just("h"),
    name=st.just("Host"),
    operator_country=st.sampled_from(COUNTRIES),
    region_code=st.sampled_from(["", "r1"]),
    region_country=st.sampled_from(COUNTRIES),
)
CHANGES = st.lists(
    st.builds(ChangeFacts, kind=st.sampled_from(["new_parent", "license"]), at=DAYS, summary=st.sampled_from("abc")),
    max_size=5,
).map(tuple)


@st.composite
def usages(draw) -> UsageFacts:
    """A random DAG: node 0 is the subject, edges only go from a lower to a higher index (so no cycles)."""
    count = draw(st.integers(min_value=1, max_value=7))
    ids = ["n0", *(draw(st.sampled_from([f"n{i}", *IDS])) for i in range(1, count))]
    ids = list(dict.fromkeys(ids))
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=10, unique=True)) if pairs else []
    return usage_facts(
        "n0",
        now=NOW,
        nodes=[draw(nodes(node_id)) for node_id in ids],
        edges=[EdgeFacts(a, b, source=draw(st.sampled_from(["card", "gguf", "vendor"]))) for a, b in edges],
        incomplete_reasons=draw(st.lists(st.just("walk stopped"), max_size=1)),
        host=draw(HOSTS),
        vendor_country=draw(st.sampled_from(COUNTRIES)),
        usage_countries=tuple(draw(st.lists(st.sampled_from(COUNTRIES[1:]), max_size=2))),
        answers=draw(CLAIMS),
        attestation=draw(ATTESTATIONS),
        changes=draw(CHANGES),
        facts_as_of=draw(st.none() | DAYS),
    )


def rebuild(facts: UsageFacts, nodes=None, edges=None, **changes) -> UsageFacts:
    """The same usage through the builder again, with some nodes, edges or fields changed."""
    fields = {
        name: getattr(facts, name)
        for name in ("host", "vendor_country", "usage_countries", "answers", "attestation", "changes", "facts_as_of")
    }
    fields.update(changes)
    reasons = [r for r in facts.incomplete_reasons if r == "walk stopped"]
    reasons += changes.pop("extra_reasons", [])
    fields.pop("extra_reasons", None)
    return usage_facts(
        facts.subject,
        now=NOW,
        nodes=facts.nodes.values() if nodes is None else nodes,
        edges=facts.edges if edges is None else edges,
        incomplete_reasons=reasons,
        **fields,
    )


def with_node(facts: UsageFacts, node_id: str, **node_changes) -> UsageFacts:
    return rebuild(facts, nodes=[replace(n, **node_changes) if n.id == node_id else n for n in facts.nodes.values()])


@st.composite
def risk_added(draw, facts: UsageFacts) -> UsageFacts:
    """The usage with exactly one more risk: see each branch. Every branch only adds to what was known."""
    node_ids = sorted(facts.nodes)
    target = draw(st.sampled_from(node_ids))
    non_roots = [n for n in node_ids if n not in facts.roots]
    kind = draw(
        st.sampled_from(
            ["concern_ancestor", "risky_ancestor", "concern_country", "sanction", "gated", "no_publisher", "change",
             "older_facts", "incomplete", "claim", "usage_country", "attestation"]
        )
    )  # fmt: skip
    if kind == "concern_ancestor" or (kind == "risky_ancestor" and not non_roots):
        # A new root from a country of concern, anywhere: an existing root it sits on only gives up its root
        # weight to the new one.
        new = NodeFacts("new/concern", publisher_key="p", country="CN", license=draw(st.sampled_from(LICENSES)))
        return rebuild(facts, nodes=[*facts.nodes.values(), new], edges=[*facts.edges, EdgeFacts(target, new.id)])
    if kind == "risky_ancestor":
        # Any new ancestor, hung under a node that already has parents (so no root is demoted).
        new = draw(nodes("new/risky"))
        parent_of = draw(st.sampled_from(non_roots))
        return rebuild(facts, nodes=[*facts.nodes.values(), new], edges=[*facts.edges, EdgeFacts(parent_of, new.id)])
    if kind == "concern_country":
        return with_node(facts, target, country="RU")
    if kind == "sanction":
        return with_node(facts, target, flags=facts.nodes[target].flags | {"bis_entity_list"})
    if kind == "gated":
        return with_node(facts, target, status="gated")
    if kind == "no_publisher":
        return with_node(facts, target, publisher_key="", publisher_name="")
    if kind == "change":
        return rebuild(facts, changes=(*facts.changes, ChangeFacts("new_sha", NOW, "new weights")))
    if kind == "older_facts":
        older = None if facts.facts_as_of is None else facts.facts_as_of - timedelta(days=draw(st.integers(1, 400)))
        return rebuild(facts, facts_as_of=older)
    if kind == "incomplete":
        return rebuild(facts, extra_reasons=["one more hole"])
    if kind == "claim":
        return rebuild(facts, answers=replace(facts.answers, no_country_of_concern=True))
    if kind == "usage_country":
        return rebuild(facts, usage_countries=(*facts.usage_countries, draw(st.sampled_from(COUNTRIES[1:]))))
    # attestation: a valid one lapses, and a lapsed one, or a valid one that claims nothing, is withdrawn. (A
    # contradicted attestation is deliberately worse than none: a false signed statement is worse than silence.)
    att = facts.attestation
    if att is not None and att.claims == Claims() and _valid(att):
        return rebuild(facts, attestation=draw(st.sampled_from([None, replace(att, expires_at=NOW)])))
    if att is not None:
        return rebuild(facts, attestation=replace(att, expires_at=NOW))
    return facts


def _valid(att: AttestationFacts) -> bool:
    return NOW - att.signed_at <= timedelta(days=POLICY.attestation_max_age_days) and (
        att.expires_at is None or att.expires_at > NOW
    )


@settings(max_examples=200, deadline=None)
@given(usages(), POLICIES)
def test_score_is_deterministic_and_independent_of_input_order(facts, policy):
    first = score(facts, policy)
    assert score(facts, policy) == first
    shuffled = list(facts.nodes.items())
    random.Random(0).shuffle(shuffled)
    reordered = replace(facts, nodes=dict(shuffled), edges=facts.edges[::-1], roots=facts.roots[::-1])
    assert score(reordered, policy) == first


@settings(max_examples=200, deadline=None)
@given(usages(), POLICIES)
def test_score_is_bounded_and_tier_matches_thresholds(facts, policy):
    rating = score(facts, policy)
    assert 0 <= rating.score <= 100
    assert rating.score == min(100, sum(f.points for f in rating.factors))
    moderate, high, critical = policy.thresholds
    expected = (
        "critical"
        if rating.score >= critical
        else "high"
        if rating.score >= high
        else "moderate"
        if rating.score >= moderate
        else "low"
    )
    assert rating.tier == expected
    assert len({f.code for f in rating.factors}) == len(rating.factors)  # each factor at most once
    assert all(f.points > 0 and f.reason for f in rating.factors)


@settings(max_examples=200, deadline=None)
@given(st.data(), POLICIES)
def test_adding_a_risk_never_lowers_the_score(data, policy):
    facts = data.draw(usages())
    riskier = data.draw(risk_added(facts))
    before, after = score(facts, policy), score(riskier, policy)
    assert after.score >= before.score
    # Per factor too, so a cap of 100 cannot hide a factor that went down.
    points_before = {f.code: f.points for f in before.factors}
    points_after = {f.code: f.points for f in after.factors}
    lowered = {
        code: (points, points_after.get(code, 0))
        for code, points in points_before.items()
        if points_after.get(code, 0) < points
    }
    assert not lowered


@settings(max_examples=200, deadline=None)
@given(usages(), POLICIES, st.data())
def test_a_risk_acceptance_lowers_the_score_only_while_valid(facts, policy, data):
    plain = score(facts, policy)
    if not plain.factors:
        return
    code = data.draw(st.sampled_from([f.code for f in plain.factors]))
    valid = replace(facts, acceptances=(AcceptanceFacts(code=code, until=NOW + timedelta(days=1)),))
    expired = replace(facts, acceptances=(AcceptanceFacts(code=code, until=NOW),))

    accepted = score(valid, policy)
    assert accepted.score <= plain.score
    assert code not in {f.code for f in accepted.factors}
    assert [a.factor.code for a in accepted.accepted] == [code]
    assert accepted.score == min(100, sum(f.points for f in plain.factors if f.code != code))
    assert score(expired, policy) == plain  # at its end the acceptance no longer counts
