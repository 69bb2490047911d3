"""Reads across the portfolio: roll-ups of ratings to products and vendors, exposure (which usages sit on
what) and the dashboard."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_countries import countries

from assessments.models import LIVE_STATUSES, Exposure, Finding, RiskRating
from assessments.scoring.policy import TIERS
from assessments.selectors.policy import policy_current
from vendors.models import AIModel, ModelUsage, Product, Publisher


def with_worst_rating(queryset: QuerySet, usages: str = "", *, active_only: str = "") -> QuerySet:
    """Annotate ``worst_tier`` ("" when nothing is rated), ``worst_rank``, ``worst_score`` and ``risk_order`` (the
    score, -1 when unrated, for sorting): the riskiest current
    rating among the usages reached by the lookup ``usages`` ("" for usages themselves, "model_usages" from
    products, "products__model_usages" from vendors). ``active_only`` names a product status lookup to count only
    active products' usages (retired products no longer carry risk)."""
    ratings = f"{usages}__ratings" if usages else "ratings"
    current = Q(**{f"{ratings}__is_current": True})
    if usages:  # a roll-up counts only the usages still in use; a usage's own list shows its last rating
        current &= Q(**{f"{usages}__retired_at__isnull": True})
    if active_only:
        current &= Q(**{active_only: "active"})
    rank = Case(*(When(**{f"{ratings}__tier": tier}, then=Value(i)) for i, tier in enumerate(TIERS)))
    return queryset.annotate(
        worst_rank=Max(rank, filter=current), worst_score=Max(f"{ratings}__score", filter=current)
    ).annotate(
        worst_tier=Case(
            *(When(worst_rank=i, then=Value(tier)) for i, tier in enumerate(TIERS)),
            default=Value(""),
            output_field=CharField(),
        ),
        risk_order=Coalesce(F("worst_score"), Value(-1)),  # sorts the unrated below every rated one
    )


def products_by_tier() -> dict[str, int]:
    """Active products per worst tier; "" counts products with nothing rated yet."""
    counts = Counter(
        with_worst_rating(Product.objects.filter(status=Product.Status.ACTIVE), "model_usages").values_list(
            "worst_tier", flat=True
        )
    )
    return {tier: counts.get(tier, 0) for tier in ("", *TIERS)}


def repackager_publisher_ids() -> list[int]:
    """Publishers that only re-host others' weights: never an origin (one small query)."""
    return [pk for pk, flags in Publisher.objects.values_list("pk", "flags") if "repackager" in (flags or [])]


def _active_exposures() -> QuerySet[Exposure]:
    return Exposure.objects.filter(usage__product__status=Product.Status.ACTIVE, usage__retired_at__isnull=True)


def exposure_by_country(*, limit: int | None = None) -> list[tuple[str, int]]:
    """Origin countries (publishers' countries, re-packagers left out) with the number of active products whose
    models descend from a model published there, most first."""
    rows = (
        _active_exposures()
        .exclude(model__publisher__isnull=True)
        .exclude(model__publisher_id__in=repackager_publisher_ids())
        .exclude(model__publisher__country="")
        .values("model__publisher__country")
        .annotate(products=Count("usage__product", distinct=True))
        .order_by("-products", "model__publisher__country")
    )
    found = [(row["model__publisher__country"], row["products"]) for row in rows]
    return found[:limit] if limit else found


@dataclass(frozen=True)
class InferredOrigin:
    """An origin country reached through parents inferred for the models of active products' chains (inferred,
    not declared: never counted with the declared origins). ``products``: the active products it reaches that
    way; ``not_declared``: those of them whose declared chains reach no model published there; ``confidence``:
    the highest of the inferred parents leading there."""

    code: str
    products: int
    not_declared: int
    confidence: float

    @property
    def name(self) -> str:
        return countries.name(self.code) or self.code


def inferred_origins(
    chains: Iterable[tuple[int, int, str]], leads: Mapping[int, Mapping[str, float]]
) -> tuple[InferredOrigin, ...]:
    """The origin countries reached through inferred parents, most products first: ``chains`` holds (product,
    model, the model's declared origin country or "") for every model of every active product's chains, and
    ``leads`` the countries each model's inferred parents lead to, with the highest confidence. The dashboard
    counts the portfolio as it is, the reports as it stood."""
    reached: dict[str, set[int]] = {}
    confidence: dict[str, float] = {}
    declared: dict[int, set[str]] = {}
    for product, model, country in chains:
        if country:
            declared.setdefault(product, set()).add(country)
        for code, level in leads.get(model, {}).items():
            reached.setdefault(code, set()).add(product)
            confidence[code] = max(confidence.get(code, 0.0), level)
    found = [
        InferredOrigin(
            code=code,
            products=len(products),
            not_declared=sum(code not in declared.get(product, ()) for product in products),
            confidence=round(confidence[code], 2),
        )
        for code, products in reached.items()
    ]
    return tuple(sorted(found, key=lambda row: (-row.products, -row.not_declared, row.code)))


def inferred_exposure_by_country() -> tuple[InferredOrigin, ...]:
    """Origin countries of the parents currently inferred for models in active products' chains, and of those
    parents' declared roots (re-packagers left out), most products first."""
    from vendors.models import InferredEdge

    repackagers = set(repackager_publisher_ids())
    # Every current inferred edge (one per silent model at most a few): those of models no active product reaches
    # lead nowhere below, as the chains are read for the products that reach the models led from.
    edges = list(InferredEdge.objects.values_list("child_id", "parent__publisher_id", "family", "confidence"))
    if not edges:
        return ()
    roots = dict(AIModel.objects.filter(name__in={e[2] for e in edges if e[2]}).values_list("name", "publisher_id"))
    publishers = {e[1] for e in edges} | set(roots.values())
    origin = {
        pk: country
        for pk, country in Publisher.objects.filter(pk__in=publishers - {None}).values_list("pk", "country")
        if country and pk not in repackagers
    }
    leads: dict[int, dict[str, float]] = {}  # inferred child -> country -> highest confidence
    for child, parent_publisher, family, confidence in edges:
        for publisher in (parent_publisher, roots.get(family)):
            if code := origin.get(publisher):
                found = leads.setdefault(child, {})
                found[code] = max(found.get(code, 0.0), confidence)
    rows = (
        _active_exposures()
        .filter(usage__product__in=_active_exposures().filter(model_id__in=leads).values("usage__product_id"))
        .values_list("usage__product_id", "model_id", "model__publisher_id", "model__publisher__country")
    )
    chains = (
        (product, model, country if publisher not in repackagers else "") for product, model, publisher, country in rows
    )
    return inferred_origins(chains, leads)


def exposure_by_root(*, limit: int | None = 10) -> list[tuple[AIModel, int]]:
    """Root models with the number of active products that sit on them, most first."""
    rows = list(
        _active_exposures()
        .filter(is_root=True)
        .values("model_id")
        .annotate(products=Count("usage__product", distinct=True))
        .order_by("-products", "model_id")[: limit or None]
    )
    models = AIModel.objects.in_bulk([row["model_id"] for row in rows])
    return [(models[row["model_id"]], row["products"]) for row in rows]


def exposure_matches(usage_ids: Iterable[int], criteria: Q) -> dict[int, list[Exposure]]:
    """The exposure rows of these usages that meet ``criteria`` (a Q over Exposure), closest first: the paths that
    explain why a usage is in a blast radius."""
    found: dict[int, list[Exposure]] = {}
    rows = Exposure.objects.filter(criteria, usage_id__in=list(usage_ids)).select_related("model__publisher")
    for row in rows.order_by("usage_id", "depth", "model__name"):
        found.setdefault(row.usage_id, []).append(row)
    return found


@dataclass(frozen=True)
class Dashboard:
    """The portfolio's risk at a glance: products per tier, per origin country and per root model, the riskiest
    products, and the findings that need someone."""

    products_by_tier: Mapping[str, int]
    by_country: list[tuple[str, int]]
    by_root: list[tuple[AIModel, int]]
    riskiest: list[Product]
    findings_open: int
    findings_overdue: int
    findings_accepted: int
    policy_version: int

    @property
    def products_unrated(self) -> int:
        return self.products_by_tier.get("", 0)


def dashboard(*, riskiest: int = 8, as_of: datetime | None = None) -> Dashboard:
    """The dashboard's figures now, or as they stood at ``as_of`` (rebuilt from history; what reports read)."""
    if as_of is not None:
        from assessments.selectors.asof import portfolio_as_of

        state = portfolio_as_of(as_of)
        counts = state.finding_counts()
        return Dashboard(
            products_by_tier=state.products_by_tier(),
            by_country=state.exposure_by_country(),
            by_root=state.exposure_by_root(limit=10),
            riskiest=state.riskiest(limit=riskiest),
            findings_open=counts["open"],
            findings_overdue=counts["overdue"],
            findings_accepted=counts["accepted"],
            policy_version=state.policy_version or 0,
        )
    today = timezone.now().astimezone(UTC).date()
    live = Finding.objects.filter(status__in=LIVE_STATUSES)
    counts = live.aggregate(
        open=Count("pk", filter=Q(status=Finding.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=Finding.Status.OPEN, due_date__lt=today)),
        accepted=Count("pk", filter=Q(status=Finding.Status.ACCEPTED)),
    )
    products = with_worst_rating(
        Product.objects.filter(status=Product.Status.ACTIVE).select_related("vendor"), "model_usages"
    )
    top = list(products.filter(worst_rank__gte=TIERS.index("high")).order_by("-worst_rank", "-worst_score", "name"))
    return Dashboard(
        products_by_tier=products_by_tier(),
        by_country=exposure_by_country(),
        by_root=exposure_by_root(limit=10),
        riskiest=top[:riskiest],
        findings_open=counts["open"],
        findings_overdue=counts["overdue"],
        findings_accepted=counts["accepted"],
        policy_version=policy_current().version,
    )


def worst_rating(usages: Q) -> RiskRating | None:
    """The riskiest current rating among the usages ``usages`` selects (a Q over ModelUsage, e.g. a vendor's
    active products): what a roll-up shows as its reasons."""
    return (
        RiskRating.objects.filter(is_current=True, usage__in=ModelUsage.objects.filter(usages))
        .select_related("usage__product", "usage__model")
        .order_by("-score", "-id")
        .first()
    )
