"""What the vendor says and what happened since: discrepancies, attestations, stale facts, changes."""

from __future__ import annotations

from datetime import timedelta

from assessments.scoring.facts import Claims, InferredFacts, NodeFacts, UsageFacts
from assessments.scoring.model_names import model_names_match
from assessments.scoring.policy import INFERRED_DISCREPANCY_CONFIDENCE, Policy
from assessments.scoring.rules.common import Factor, _bounded, _chain, _relation, lineage_only, paths
from assessments.scoring.rules.origin import _concern_origins, _host_places


def _contradictions(facts: UsageFacts, policy: Policy, who: str, claims: Claims) -> list[str]:
    found = []
    if claims.no_country_of_concern:
        for node in sorted(_concern_origins(facts, policy), key=lambda n: (n.id not in facts.roots, n.id)):
            found.append(f"{who} says no models from countries of concern, but {node.label()} {_relation(facts, node)}")
    if claims.base_models:
        for root in sorted(facts.roots):
            # Any root counts, resolved or not: the hub names it, whatever its state now.
            node = facts.nodes.get(root) or NodeFacts(root, kind=root.partition(":")[0] if ":" in root else "hub")
            inferred = [
                e for e in facts.inferred if e.child == root and e.confidence >= INFERRED_DISCREPANCY_CONFIDENCE
            ]
            if any(model_names_match(name, node.known_model) for name in claims.base_models):
                if inferred and not any(_names_inferred(n, e) for n in claims.base_models for e in inferred):
                    # The vendor calls the model its own base; its config and tokenizer say it was derived.
                    found.append(f"{who} names {root} as its own base, but its config and tokenizer match another "
                                 f"model: {inferred[0].label()}")  # fmt: skip
                continue
            if any(_names_inferred(name, edge) for name in claims.base_models for edge in inferred):
                continue  # the root's config and tokenizer back the vendor's word
            named = ", ".join(claims.base_models)
            if inferred:
                found.append(f"{who} names base models {named}, but the metadata of {root} names no parent and its "
                             f"config and tokenizer match another model: {inferred[0].label()}")  # fmt: skip
            else:
                found.append(f"{who} names base models {named}, but {root} is a root")
    if claims.no_country_of_concern:
        for edge in facts.inferred:
            concern = sorted({c.upper() for c in edge.countries} & policy.countries_of_concern)
            if edge.confidence >= INFERRED_DISCREPANCY_CONFIDENCE and concern:
                found.append(f"{who} says no models from countries of concern, but {edge.child} is {edge.label()}, "
                             f"from {', '.join(concern)}")  # fmt: skip
    if claims.ancestors:
        declared = {name.lower() for name in claims.ancestors}
        resolved = {node.lower() for node in facts.nodes}
        for node in sorted(facts.nodes):
            if node != facts.subject and node.lower() not in declared:
                found.append(
                    f"{who} omits {facts.nodes[node].label()}, an ancestor of {facts.subject} in the resolved lineage"
                )
        for name in claims.ancestors:
            if name.lower() not in resolved:
                found.append(f"{who} names {name} as an ancestor of {facts.subject}, but the resolved lineage does not")
    for name, country in claims.publisher_countries:
        node = facts.nodes.get(name)
        if node is not None and node.country and country and node.country.upper() != country.upper():
            found.append(f"{who} says {name} is published from {country.upper()}, but {node.label()} is")
    if claims.hosting_countries:
        declared = {country.upper() for country in claims.hosting_countries}
        for what, country, _group in _host_places(facts):
            if country and country.upper() not in declared:
                found.append(f"{who} says hosted in {', '.join(sorted(declared))}, but {what} is {country}")
    return found


def _names_inferred(name: str, edge: InferredFacts) -> bool:
    """The vendor's word names the inferred parent or its family (by id, as ``model_names_match`` reads ids)."""
    return any(
        model_names_match(name, NodeFacts(candidate).known_model)
        for candidate in (edge.parent, edge.family)
        if candidate
    )


def discrepancy_answer_contradicts_lineage(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The vendor's questionnaire answers, signed attestation or imported BOM say something the resolved lineage
    refutes (another root, a missing ancestor, another publisher country, another hosting country)."""
    found = _contradictions(facts, policy, "The questionnaire answer", facts.answers)
    sources = list(facts.answers.sources) if found else []
    if facts.attestation is not None:
        who = f"The attestation signed {facts.attestation.signed_at.date().isoformat()}"
        signed = _contradictions(facts, policy, who, facts.attestation.claims)
        found += signed
        sources += list(facts.attestation.claims.sources) if signed else []
    declared = _contradictions(facts, policy, "The vendor's imported BOM", facts.bom)
    found += declared
    sources += [*facts.bom.sources, *(f"vendor's chain: {chain}" for chain in facts.bom.chains)] if declared else []
    if not found:
        return None
    # The question and answer (or the vendor's chains), then the resolved chain to each root, side by side.
    route = paths(facts)
    chains = [f"resolved chain: {_chain(route[root])}" for root in sorted(facts.roots) if root in route]
    return Factor(
        "discrepancy.answer_contradicts_lineage",
        policy.points("discrepancy.answer_contradicts_lineage"),
        found[0],
        _bounded([*found, *sources, *chains]),
    )


def questionnaire_answer_points(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The risk points of the product's accepted questionnaires, scaled to the policy's weight: a questionnaire
    scoring 100 (every scorable answer the riskiest) counts the full weight. The worst questionnaire counts."""
    scored = [q for q in facts.questionnaires if q.score]
    if not scored:
        return None
    worst = max(scored, key=lambda q: (q.score, q.key))
    points = round(policy.points("questionnaire.answer_points") * worst.score / 100)
    if points <= 0:
        return None
    codes = ", ".join(worst.factors) or "no factor named"
    return Factor(
        "questionnaire.answer_points",
        points,
        f"The accepted {worst.title} answers score {worst.score}/100 risk points ({codes})",
        _bounded(
            f"{q.title} (assessment #{q.assessment_id}): {q.score}/100, {', '.join(q.factors) or '-'}" for q in scored
        ),
    )


def attestation_missing(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Nobody at the vendor has signed for this usage's supply chain."""
    if facts.attestation is not None:
        return None
    return Factor(
        "attestation.missing",
        policy.points("attestation.missing"),
        f"No attestation covers {facts.subject}",
        (),
    )


def attestation_expired(facts: UsageFacts, policy: Policy) -> Factor | None:
    """An attestation past its expiry date, or older than the policy accepts."""
    att = facts.attestation
    if att is None:
        return None
    too_old = facts.now - att.signed_at > timedelta(days=policy.attestation_max_age_days)
    lapsed = att.expires_at is not None and att.expires_at <= facts.now
    if not (too_old or lapsed):
        return None
    why = f"expired {att.expires_at.date().isoformat()}" if lapsed and att.expires_at else "too old"
    return Factor(
        "attestation.expired",
        policy.points("attestation.expired"),
        f"The attestation for {facts.subject} signed {att.signed_at.date().isoformat()} is {why}",
        (
            f"signed {att.signed_at.isoformat()} by {att.signed_by or 'unknown'}; policy maximum age "
            f"{policy.attestation_max_age_days} days",
        ),
    )


def facts_stale(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The lineage was fetched longer ago than the policy allows (or never): the hub may have changed since.

    A lineage of closed and declared models only has nothing on the hub to fetch (the knowledge base and the
    vendor's word are its facts), so it is never stale."""
    if facts.facts_as_of is None and not any(node.kind == "hub" for node in facts.nodes.values()):
        return None
    limit = timedelta(days=policy.max_fact_age_days)
    if facts.facts_as_of is not None and facts.now - facts.facts_as_of <= limit:
        return None
    when = "never fetched" if facts.facts_as_of is None else f"last fetched {facts.facts_as_of.date().isoformat()}"
    return Factor(
        "facts.stale",
        policy.points("facts.stale"),
        f"The lineage of {facts.subject} is {when}; the policy allows {policy.max_fact_age_days} days",
        (when,),
    )


@lineage_only
def changes_unacknowledged(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Supply-chain changes nobody has looked at: points per change, up to ``changes_cap``."""
    if not facts.changes:
        return None
    changes = sorted(facts.changes, key=lambda c: (c.at, c.kind, c.summary))
    latest = changes[-1]
    return Factor(
        "changes.unacknowledged",
        min(policy.changes_cap, policy.points("changes.unacknowledged") * len(changes)),
        f"{len(changes)} unacknowledged supply-chain change(s) to {facts.subject}, latest: {latest.summary}",
        _bounded(f"{c.at.date().isoformat()} {c.kind}: {c.summary}" for c in changes),
    )
