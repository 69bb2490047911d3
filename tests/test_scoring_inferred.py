"""Inferred parents in ratings: a probable origin weighs less than a declared one, by its confidence, and a
high-confidence inference contradicting the vendor's word is a discrepancy; a matching one supports it."""

from datetime import UTC, datetime

import pytest

from assessments.scoring import Claims, InferredFacts, NodeFacts, Policy, PolicyError, score, usage_facts

NOW = datetime(2026, 6, 1, tzinfo=UTC)
POLICY = Policy.default()
SUBJECT = "acme-labs/silent-7b"


def _facts(*edges: InferredFacts, **rest):
    return usage_facts(SUBJECT, now=NOW, nodes=[NodeFacts(SUBJECT, publisher_key="acme", country="US")],
                       inferred=edges, **rest)  # fmt: skip


def _qwen(confidence: float, countries=("CN",)) -> InferredFacts:
    return InferredFacts(SUBJECT, "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "finetune", "inferred:config",
                         confidence, countries)  # fmt: skip


def _factors(usage) -> dict:
    return {factor.code: factor for factor in score(usage, POLICY).factors}


def test_an_inferred_origin_weighs_its_confidence_and_less_than_a_declared_one():
    strong, weak = _factors(_facts(_qwen(0.92))), _factors(_facts(_qwen(0.55)))
    assert strong["origin.inferred_country_of_concern"].points == round(15 * 0.92)
    assert weak["origin.inferred_country_of_concern"].points == round(15 * 0.55)
    assert "inferred, not declared" in strong["origin.inferred_country_of_concern"].reason
    declared = _factors(usage_facts(SUBJECT, now=NOW, nodes=[NodeFacts(SUBJECT, country="CN")]))
    assert declared["origin.country_of_concern"].points > strong["origin.inferred_country_of_concern"].points
    assert "origin.country_of_concern" not in strong  # the declared factor is never raised by an inference


def test_no_points_for_other_countries_or_a_country_the_declared_lineage_already_shows():
    assert "origin.inferred_country_of_concern" not in _factors(_facts(_qwen(0.9, ("US",))))
    both = usage_facts(SUBJECT, now=NOW, nodes=[NodeFacts(SUBJECT, country="CN")], inferred=(_qwen(0.9),))
    assert "origin.inferred_country_of_concern" not in _factors(both)


def test_the_policy_refuses_an_inferred_origin_weighing_more_than_a_declared_one():
    weights = {**POLICY.weights, "origin.inferred_country_of_concern": 30}
    with pytest.raises(PolicyError, match="inferred origin"):
        POLICY.with_changes(weights=weights)


def test_a_confident_inference_contradicting_the_named_base_is_a_discrepancy():
    usage = _facts(_qwen(0.92), answers=Claims(base_models=("meta-llama/Llama-3.1-8B",)))
    factor = _factors(usage)["discrepancy.answer_contradicts_lineage"]
    assert "config and tokenizer match another model" in factor.reason and "Qwen/Qwen2.5-7B-Instruct" in factor.reason


def test_a_confident_inference_matching_the_named_base_supports_the_vendor():
    for named in ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"):
        usage = _facts(_qwen(0.92), answers=Claims(base_models=(named,)))
        assert "discrepancy.answer_contradicts_lineage" not in _factors(usage), named
    # Without an inference, a named base the lineage does not show is the plain "is a root" discrepancy.
    plain = _factors(_facts(answers=Claims(base_models=("Qwen/Qwen2.5-7B",))))
    assert plain["discrepancy.answer_contradicts_lineage"].reason.endswith(f"but {SUBJECT} is a root")


def test_no_country_of_concern_said_against_a_confident_inference_is_a_discrepancy_and_a_weak_one_is_not():
    said = Claims(no_country_of_concern=True)
    assert "discrepancy.answer_contradicts_lineage" in _factors(_facts(_qwen(0.85), answers=said))
    assert "discrepancy.answer_contradicts_lineage" not in _factors(_facts(_qwen(0.6), answers=said))


def test_a_vendor_calling_the_model_its_own_against_a_confident_inference_is_a_discrepancy():
    usage = _facts(_qwen(0.9), answers=Claims(base_models=(SUBJECT,)))
    factor = _factors(usage)["discrepancy.answer_contradicts_lineage"]
    assert f"names {SUBJECT} as its own base" in factor.reason and "Qwen/Qwen2.5-7B-Instruct" in factor.reason
    assert "discrepancy.answer_contradicts_lineage" not in _factors(_facts(answers=Claims(base_models=(SUBJECT,))))
