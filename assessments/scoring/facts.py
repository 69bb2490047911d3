"""The facts a model usage is rated on: plain frozen values, built by a selector from the stored lineage, the
knowledge base, the vendor's answers and attestations (or by ``usage_facts`` in tests).

Nothing here reads the clock or the database: ``now`` is a field, so the same facts always give the same rating.
Node ids follow the lineage contract (``org/name`` for hub repos, ``kind:name`` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from assessments.scoring.model_names import KnownModel

RESOLVED = "resolved"
GATED = "gated"

#: Edge sources that are only someone's word, not something the hub shows.
DECLARED_SOURCES = frozenset({"vendor"})


@dataclass(frozen=True)
class NodeFacts:
    """One node of the usage's lineage (the product's model itself or an ancestor).

    ``flags`` are the publisher's knowledge-base flags (``repackager``, ``bis_entity_list``, ...). ``kind`` is
    ``hub``, ``closed`` or ``declared`` (no public record: only someone's word that it exists).
    """

    id: str
    status: str = RESOLVED
    kind: str = "hub"
    publisher_key: str = ""
    publisher_name: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 of the publisher; "" when unknown
    flags: frozenset[str] = frozenset()
    license: str = ""
    aliases: tuple[str, ...] = ()  # other names of the node (renamed repos, dated API ids)

    @property
    def known_model(self) -> KnownModel:
        """The node as a vendor may name it (``model_names.model_names_match``)."""
        return KnownModel(self.id, self.kind, self.aliases, (self.publisher_key, self.publisher_name))

    @property
    def is_repackager(self) -> bool:
        """Re-packagers (quantizers, mirrors) republish others' weights, so they are never an origin."""
        return "repackager" in self.flags

    def label(self) -> str:
        """``id (publisher, CC)``: how reasons name a node."""
        who = ", ".join(part for part in (self.publisher_name or self.publisher_key, self.country) if part)
        return f"{self.id} ({who})" if who else self.id


@dataclass(frozen=True)
class EdgeFacts:
    """``child`` claims ``parent`` as its base; ``source`` says who claims it (card, tags, gguf, vendor, ...)."""

    child: str
    parent: str
    relation: str = "unknown"
    source: str = "card"


@dataclass(frozen=True)
class InferredFacts:
    """A parent inferred for ``child`` (a node whose metadata names none) from its config, tokenizer or README:
    never a declared edge. ``countries`` are the publisher countries of the parent and its declared ancestors."""

    child: str
    parent: str
    family: str = ""
    relation: str = "unknown"
    source: str = "inferred:config"
    confidence: float = 0.0
    countries: tuple[str, ...] = ()

    def label(self) -> str:
        family = f", {self.family} family" if self.family and self.family != self.parent else ""
        return f"probably {self.parent}{family} ({self.confidence:.2f}, {self.source}; inferred, not declared)"


@dataclass(frozen=True)
class DriftFacts:
    """An edge whose two ends declare different licences."""

    child: str
    parent: str
    child_license: str
    parent_license: str


@dataclass(frozen=True)
class HostFacts:
    """Who serves the model and where. ``region_country`` is "" for global or routed serving (any country)."""

    key: str
    name: str
    operator_country: str = ""
    region_code: str = ""
    region_country: str = ""
    region_group: str = ""  # a region group ("EU") when the region serves from no single country


@dataclass(frozen=True)
class Claims:
    """What a vendor says about a usage: in questionnaire answers, or signed in an attestation.

    ``None`` / empty means "not said", which never contradicts anything.
    """

    no_country_of_concern: bool | None = None
    base_models: tuple[str, ...] = ()
    hosting_countries: tuple[str, ...] = ()
    #: Where the claims were made (questionnaire, question, answer), shown beside a contradiction.
    sources: tuple[str, ...] = ()
    #: An imported BOM's pedigree: every ancestor it names (node ids), the publisher countries it states
    #: (node id, ISO alpha-2), and its chains as text, shown beside the resolved ones.
    ancestors: tuple[str, ...] = ()
    publisher_countries: tuple[tuple[str, str], ...] = ()
    chains: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionnaireFacts:
    """An accepted questionnaire about the usage's product: its risk points (0-100, None: nothing scorable)
    and the factor codes of the answers that earned them."""

    key: str
    title: str
    assessment_id: int
    score: int | None
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttestationFacts:
    """A signed attestation covering the usage; its claims are checked like questionnaire answers."""

    signed_at: datetime
    expires_at: datetime | None = None
    signed_by: str = ""
    claims: Claims = field(default_factory=Claims)


@dataclass(frozen=True)
class ChangeFacts:
    """A supply-chain change (new parent, licence change, model swapped, ...) nobody has acknowledged yet."""

    kind: str
    at: datetime
    summary: str


@dataclass(frozen=True)
class AcceptanceFacts:
    """Someone accepted the risk of one factor of this usage, with a justification, until ``until`` (exclusive).

    While valid the factor is still shown but its points do not count; once expired it counts again.
    """

    code: str
    until: datetime
    by: str = ""
    justification: str = ""


@dataclass(frozen=True)
class UsageFacts:
    """Everything one rating is computed from.

    ``nodes`` holds the subject and its ancestors; ``roots`` are the ancestors with no parent; ``complete`` and
    ``incomplete_reasons`` come from the lineage walk (``vendors.lineage.graph.Ancestry``). ``vendor_country`` and
    ``usage_countries`` (where the product is used) decide whether a licence's territory exclusion bites.
    ``facts_as_of`` is when the lineage was last fetched (None: never); ``now`` is the time of rating.
    ``acceptances`` are the risk acceptances recorded on the usage's findings (valid or not: ``now`` decides).
    ``answers`` are the claims of the product's accepted questionnaires, ``questionnaires`` their risk points;
    ``bom`` what the vendor's latest imported BOM declares about the usage's model.
    """

    subject: str
    now: datetime
    nodes: Mapping[str, NodeFacts]
    edges: tuple[EdgeFacts, ...] = ()
    roots: tuple[str, ...] = ()
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = ()
    license_drift: tuple[DriftFacts, ...] = ()
    role: str = "primary"
    host: HostFacts | None = None
    vendor_country: str = ""
    usage_countries: tuple[str, ...] = ()
    answers: Claims = field(default_factory=Claims)
    bom: Claims = field(default_factory=Claims)
    questionnaires: tuple[QuestionnaireFacts, ...] = ()
    attestation: AttestationFacts | None = None
    changes: tuple[ChangeFacts, ...] = ()
    facts_as_of: datetime | None = None
    acceptances: tuple[AcceptanceFacts, ...] = ()
    inferred: tuple[InferredFacts, ...] = ()  # parents inferred where the metadata names none

    def __post_init__(self) -> None:
        if self.subject not in self.nodes:
            raise ValueError(f"the subject {self.subject!r} must be one of the nodes")


#: The fields of ``UsageFacts`` that come from the model's lineage alone: equal for every usage of one model at one
#: time (``rules.LINEAGE_RULES`` read only these).
LINEAGE_FIELDS = frozenset(
    {
        "subject",
        "nodes",
        "edges",
        "roots",
        "complete",
        "incomplete_reasons",
        "license_drift",
        "changes",
        "facts_as_of",
        "inferred",
    }
)


def usage_facts(
    subject: str,
    *,
    now: datetime,
    nodes: Iterable[NodeFacts] = (),
    edges: Iterable[EdgeFacts] = (),
    incomplete_reasons: Iterable[str] = (),
    **rest,
) -> UsageFacts:
    """Build ``UsageFacts`` the way the lineage walk would: roots, completeness and licence drift derived.

    A node not given is added as a bare resolved node; roots are nodes without parents; the lineage is
    incomplete if any node is not resolved or a reason is given; drift is every edge whose ends declare
    different non-empty licences. Meant for tests and fixtures; selectors map ``Ancestry`` directly.
    """
    by_id = {node.id: node for node in nodes}
    edge_list = tuple(sorted(set(edges), key=lambda e: (e.child, e.parent, e.relation, e.source)))
    for node_id in (subject, *(e.child for e in edge_list), *(e.parent for e in edge_list)):
        by_id.setdefault(node_id, NodeFacts(id=node_id))
    children = {e.child for e in edge_list}
    reasons = tuple(incomplete_reasons) + tuple(
        f"{n.id}: {n.status}" for n in sorted(by_id.values(), key=lambda n: n.id) if n.status != RESOLVED
    )
    drift = tuple(
        DriftFacts(e.child, e.parent, by_id[e.child].license, by_id[e.parent].license)
        for e in edge_list
        if by_id[e.child].license
        and by_id[e.parent].license
        and by_id[e.child].license.lower() != by_id[e.parent].license.lower()
    )
    return UsageFacts(
        subject=subject,
        now=now,
        nodes=dict(sorted(by_id.items())),
        edges=edge_list,
        roots=tuple(sorted(node_id for node_id in by_id if node_id not in children)),
        complete=not reasons,
        incomplete_reasons=reasons,
        license_drift=drift,
        **rest,
    )
