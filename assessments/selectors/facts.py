"""Reads for rescoring: the facts each model usage is scored on, assembled in bulk from the stored graph, and the
ratings and findings rescoring compares them with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import LIVE_STATUSES, Finding, RiskRating
from assessments.scoring import (
    AcceptanceFacts,
    AttestationFacts,
    ChangeFacts,
    Claims,
    DriftFacts,
    EdgeFacts,
    Factor,
    HostFacts,
    InferredFacts,
    NodeFacts,
    QuestionnaireFacts,
    UsageFacts,
)
from assessments.scoring.model_names import KnownModel, model_names_match
from assessments.selectors.assessments import AcceptedAnswers, accepted_answers
from assessments.selectors.attestations import attestation_facts_for
from vendors.lineage.graph import shortest_paths
from vendors.models import AIModel, AIModelAlias, ChangeEvent, ModelUsage
from vendors.selectors import LineageReport, bom_import_claims, lineage_reports, node_key

# Change events that say something about the supply chain (not the bookkeeping of usages).
SUPPLY_CHAIN_CHANGES = (
    ChangeEvent.Kind.NEW_SHA,
    ChangeEvent.Kind.PARENT_ADDED,
    ChangeEvent.Kind.PARENT_REMOVED,
    ChangeEvent.Kind.LICENSE_CHANGED,
    ChangeEvent.Kind.GATED,
    ChangeEvent.Kind.DISABLED,
    ChangeEvent.Kind.GONE,
    ChangeEvent.Kind.RENAMED,
)


def _node_facts(
    node: dict, model: AIModel, aliases: Mapping[int, tuple[str, ...]], shared: FactsShared | None = None
) -> NodeFacts:
    publisher = _publisher_facts(model.publisher, shared)
    return NodeFacts(
        id=node["id"],
        status=node["status"],
        kind=model.kind,
        publisher_key=publisher[0],
        publisher_name=publisher[1],
        country=publisher[2],
        flags=publisher[3],
        license=model.license,
        aliases=aliases.get(model.pk, ()),
    )


def _publisher_facts(publisher, shared: FactsShared | None) -> tuple[str, str, str, frozenset[str]]:
    """(key, name, country, flags) of a node's publisher, or empty ones."""
    if publisher is None:
        return ("", "", "", frozenset())
    found = shared.publishers.get(publisher.pk) if shared is not None else None
    if found is None:
        found = (publisher.key, publisher.name, publisher.country.code or "", frozenset(publisher.flags))
        if shared is not None:
            shared.publishers[publisher.pk] = found
    return found


def _host_facts(usage: ModelUsage, shared: FactsShared | None = None) -> HostFacts | None:
    if usage.host is None:
        return None
    key = (usage.host_id, usage.region_id)
    if shared is not None and key in shared.hosts:
        return shared.hosts[key]
    facts = HostFacts(
        key=usage.host.key,
        name=usage.host.name,
        operator_country=usage.host.country.code or "",
        region_code=usage.region.code if usage.region else "",
        region_country=(usage.region.country.code or "") if usage.region else "",
        region_group=usage.region.group if usage.region else "",
    )
    if shared is not None:
        shared.hosts[key] = facts
    return facts


def _vendor_country(usage: ModelUsage, shared: FactsShared | None = None) -> str:
    vendor = usage.product.vendor
    if shared is None:
        return vendor.country.code or ""
    country = shared.vendor_countries.get(vendor.pk)
    if country is None:
        country = shared.vendor_countries[vendor.pk] = vendor.country.code or ""
    return country


@dataclass
class FactsShared:
    """What ``usage_facts_for`` builds once and reuses between the calls of one run (rescoring's batches): the
    facts each lineage report gives (by the report's identity: the caller keeps the reports alive while it holds
    this), each host and region's, each publisher's and each vendor's country. A run reads each row as it first
    meets it; a change to one during the run (an edited host, say) requests a rescoring of its own."""

    lineage: dict[int, dict] = field(default_factory=dict)
    hosts: dict[tuple[int, int | None], HostFacts] = field(default_factory=dict)
    publishers: dict[int, tuple[str, str, str, frozenset[str]]] = field(default_factory=dict)
    vendor_countries: dict[int, str] = field(default_factory=dict)


_NO_CLAIMS = Claims()


def _claims(usage: ModelUsage, accepted: Sequence[AcceptedAnswers], model: KnownModel | None = None) -> Claims:
    """What the product's accepted questionnaires say about this usage (the model-table rows of its model)."""
    no_concern, countries, bases, sources = None, [], [], []
    known = model or KnownModel(node_key(usage.model), usage.model.kind)
    for item in accepted:
        said, where = item.claims, f"{item.title} (assessment #{item.assessment_id}), "
        if said.no_country_of_concern is not None:
            no_concern = bool(no_concern) or said.no_country_of_concern
            sources.append(where + said.sources.get("no_country_of_concern", ""))
        if said.hosting_countries:
            countries += said.hosting_countries
            sources.append(where + said.sources.get("hosting_countries", ""))
        for typed, named in said.base_models.items():
            # The row names this usage's model however the vendor wrote it (case, prefix, publisher, alias).
            if named and model_names_match(typed, known):
                bases += named
                sources.append(where + said.sources.get(f"base_models:{typed}", ""))
    return Claims(
        no_country_of_concern=no_concern,
        base_models=tuple(dict.fromkeys(bases)),
        hosting_countries=tuple(dict.fromkeys(countries)),
        sources=tuple(sources),
    )


def _bom_claims(usage: ModelUsage, imported) -> Claims:
    """What the product's latest imported BOM declares about this usage's model (nothing: no claim)."""
    said = imported.models.get(node_key(usage.model)) if imported is not None else None
    if not said:
        return Claims()
    return Claims(
        base_models=tuple(said.get("roots", ())),
        ancestors=tuple(said.get("ancestors", ())),
        publisher_countries=tuple((node, country) for node, country in said.get("countries", {}).items()),
        chains=tuple(said.get("chains", ())),
        sources=(imported.source,),
    )


def _lineage_facts(
    report: LineageReport,
    changes: Mapping[int, list[ChangeFacts]],
    aliases: Mapping[int, tuple[str, ...]],
    shared: FactsShared | None = None,
) -> dict:
    """The fields of ``UsageFacts`` that come from the lineage alone: the same for every usage of one model, so
    built once per report (``usage_facts_for`` shares them between those usages)."""
    nodes = {node["id"]: _node_facts(node, report.models[node["id"]], aliases, shared) for node in report.nodes}
    hub = [m.fetched_at for m in report.models.values() if m.kind == AIModel.Kind.HUB]
    fetched = hub if None not in hub else []  # a hub model never fetched: the lineage was never fully fetched
    return {
        "subject": node_key(report.model),
        "nodes": nodes,
        "edges": tuple(EdgeFacts(e["child"], e["parent"], e["relation"], e["source"]) for e in report.edges),
        "roots": report.roots,
        "complete": report.complete,
        "incomplete_reasons": report.ancestry.incomplete_reasons,
        "license_drift": tuple(
            DriftFacts(d.child, d.parent, d.child_license, d.parent_license) for d in report.ancestry.license_drift
        ),
        "changes": tuple(c for m in report.models.values() for c in changes.get(m.pk, ())),
        "facts_as_of": min(fetched) if fetched else None,
        "inferred": tuple(
            InferredFacts(
                child=edge["child"],
                parent=edge["parent"],
                family=edge["evidence"].get("family") or "",
                relation=edge["relation"],
                source=edge["source"],
                confidence=edge["confidence"],
                countries=report.inferred_parent_countries.get(edge["parent"], ()),
            )
            for edge in report.inferred_edges
        ),
    }


def _facts(
    usage: ModelUsage,
    report: LineageReport,
    changes: dict[int, list[ChangeFacts]],
    now: datetime,
    acceptances: tuple[AcceptanceFacts, ...],
    attestation: AttestationFacts | None = None,
    accepted: Sequence[AcceptedAnswers] = (),
    aliases: Mapping[int, tuple[str, ...]] | None = None,
    bom: Claims | None = None,
    lineage: dict | None = None,
    shared: FactsShared | None = None,
):
    lineage = lineage if lineage is not None else _lineage_facts(report, changes, aliases or {})
    nodes, subject = lineage["nodes"], node_key(usage.model)
    if accepted:
        answers = (
            _claims(usage, accepted, nodes[subject].known_model if subject in nodes else None),
            tuple(QuestionnaireFacts(a.key, a.title, a.assessment_id, a.score, a.factors) for a in accepted),
        )
    else:
        answers = (_NO_CLAIMS, ())  # most products: nothing accepted, nothing said
    return UsageFacts(
        **{**lineage, "subject": subject},
        now=now,
        role=usage.role,
        host=_host_facts(usage, shared),
        vendor_country=_vendor_country(usage, shared),
        acceptances=acceptances,
        attestation=attestation,
        answers=answers[0],
        bom=bom or Claims(),
        questionnaires=answers[1],
    )


def model_aliases(model_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Every other name of the given nodes (renamed hub repos, dated or cloud-specific API ids), one query."""
    found: dict[int, list[str]] = {}
    rows = AIModelAlias.objects.filter(model_id__any_of=list(model_ids)).order_by("name")
    for model_id, name in rows.values_list("model_id", "name"):
        found.setdefault(model_id, []).append(name)
    return {model_id: tuple(names) for model_id, names in found.items()}


def acceptance_end(last_day: date) -> datetime:
    """An acceptance valid through ``last_day`` (UTC) ends at the next midnight."""
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)


def acceptance_facts(finding: Finding) -> AcceptanceFacts:
    by = finding.accepted_by.get_username() if finding.accepted_by_id else ""
    return AcceptanceFacts(
        code=finding.code, until=acceptance_end(finding.accepted_until), by=by, justification=finding.justification
    )


def finding_queryset() -> QuerySet[Finding]:
    """Findings with what their pages and the API show about them loaded (a fixed number of queries per page)."""
    return Finding.objects.select_related(
        "usage__product__vendor", "usage__model", "owner", "accepted_by", "acceptance_requested_by", "approved_by"
    )


def live_findings(usage_ids: Iterable[int]) -> dict[int, dict[str, Finding]]:
    """The open and accepted findings of each usage, by factor code (one query)."""
    live: dict[int, dict[str, Finding]] = {}
    for finding in Finding.objects.filter(usage_id__any_of=list(usage_ids), status__in=LIVE_STATUSES).select_related(
        "accepted_by"
    ):
        live.setdefault(finding.usage_id, {})[finding.code] = finding
    return live


def usage_facts_for(
    usages: Sequence[ModelUsage],
    *,
    now: datetime,
    findings: Mapping[int, Mapping[str, Finding]] | None = None,
    reports: Sequence[LineageReport] | None = None,
    shared: FactsShared | None = None,
) -> dict[int, UsageFacts]:
    """The facts of every usage, from one load of the lineage subgraph they share and one query for changes.

    ``usages`` should come from ``vendors.selectors.model_usage_queryset()`` (product, vendor, host, region
    loaded). Risk acceptances come from ``findings`` (``live_findings``), loaded here when not given;
    ``reports`` (``lineage_reports`` of the usages' models, in order) likewise. The newest signed attestation
    covering each usage comes with what it declared (one query). ``shared`` (``FactsShared``) carries what
    was built between calls that share report objects (``lineage_reports(known=...)``); the caller keeps the
    reports alive while it holds it.
    """
    if not usages:
        return {}
    if findings is None:
        findings = live_findings(u.pk for u in usages)
    if reports is None:
        reports = lineage_reports([u.model for u in usages])
    model_ids = {m.pk for report in reports for m in report.models.values()}
    changes: dict[int, list[ChangeFacts]] = {}
    unacknowledged = ChangeEvent.objects.filter(
        model_id__any_of=list(model_ids), acknowledged_at__isnull=True, kind__in=SUPPLY_CHAIN_CHANGES
    ).values_list("model_id", "kind", "occurred_at", "summary")
    for model_id, kind, occurred_at, summary in unacknowledged:
        changes.setdefault(model_id, []).append(ChangeFacts(kind=kind, at=occurred_at, summary=summary))
    aliases = model_aliases(model_ids)
    attestations = attestation_facts_for(u.pk for u in usages)
    accepted = accepted_answers({u.product_id for u in usages})
    imported = bom_import_claims({u.product_id for u in usages})
    shared = FactsShared() if shared is None else shared  # lineage facts built once per model, not per usage
    for report in reports:
        if id(report) not in shared.lineage:
            shared.lineage[id(report)] = _lineage_facts(report, changes, aliases, shared)
    return {
        usage.pk: _facts(
            usage,
            report,
            changes,
            now,
            tuple(
                acceptance_facts(f)
                for f in findings.get(usage.pk, {}).values()
                if f.status == Finding.Status.ACCEPTED and f.accepted_until
            ),
            attestations.get(usage.pk),
            accepted.get(usage.product_id, ()),
            aliases,
            _bom_claims(usage, imported.get(usage.product_id)),
            shared.lineage[id(report)],
            shared,
        )
        for usage, report in zip(usages, reports, strict=True)
    }


def latest_ratings(usage_ids: Iterable[int]) -> dict[int, RiskRating]:
    """The current rating of each usage (its newest snapshot)."""
    return {r.usage_id: r for r in RiskRating.objects.filter(usage_id__any_of=list(usage_ids), is_current=True)}


def current_rating_states(usage_ids: Iterable[int]) -> dict[int, tuple[int, str, list, int]]:
    """What rescoring compares a new rating with, for each usage that has a current rating: its (score, tier,
    factors, policy version), read as values (a rating row built per usage cost rescoring a tenth of its time)."""
    current = RiskRating.objects.filter(usage_id__any_of=list(usage_ids), is_current=True)
    return {
        usage_id: (score, tier, factors, policy_version)
        for usage_id, score, tier, factors, policy_version in current.values_list(
            "usage_id", "score", "tier", "factors", "policy_version"
        )
    }


def rating_history(usage: ModelUsage) -> list[RiskRating]:
    """Every snapshot of a usage, newest first."""
    return list(RiskRating.objects.filter(usage=usage).order_by("-created_at", "-id"))


def exposure_paths(report: LineageReport) -> dict[str, tuple[str, ...]]:
    """The shortest path from the report's subject to each of its nodes."""
    return shortest_paths(
        report.subject, ((e["child"], e["parent"]) for e in report.edges), (node["id"] for node in report.nodes)
    )


def _known(facts: UsageFacts) -> KnownModel | None:
    node = facts.nodes.get(facts.subject)
    return node.known_model if node is not None else None


def submission_discrepancies(assessment) -> list[tuple[ModelUsage, Factor]]:
    """What a submitted (not yet accepted) assessment's answers would contradict in the product's resolved
    lineage, usage by usage: the review shows it before the analyst accepts."""
    from assessments.questionnaires import logic, questionnaire_of
    from assessments.scoring.rules.conduct import discrepancy_answer_contradicts_lineage
    from assessments.selectors.assessments import answer_states
    from assessments.selectors.policy import policy_current
    from vendors.selectors import model_usage_queryset

    usages = list(model_usage_queryset().filter(product=assessment.product))
    if not usages:
        return []
    states = answer_states(assessment)
    said = logic.claims(questionnaire_of(assessment.questionnaire.definition), states)
    submission = AcceptedAnswers(
        assessment.pk, assessment.questionnaire.key, assessment.questionnaire.title, assessment.score, (), said
    )
    policy = policy_current()
    found = []
    for usage in usages:
        facts = usage_facts_for([usage], now=timezone.now())[usage.pk]
        facts = replace(facts, answers=_claims(usage, [submission], _known(facts)))
        factor = discrepancy_answer_contradicts_lineage(facts, policy)
        if factor is not None:
            found.append((usage, factor))
    return found
