"""Reads shared by the web UI and the API: querysets with their joins in one place."""

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Lower, StrIndex, Substr

from vendors.models import (
    AIModel,
    ChangeEvent,
    Contact,
    Host,
    LineageEdge,
    ModelUsage,
    Product,
    Publisher,
    PublisherOrg,
    Vendor,
)

#: What a brief product (id, name, its vendor's id and name) and a brief model (id, kind, name) read, as ``only()``
#: lookups below the relation that reaches them: lists load these columns and nothing else of theirs.
PRODUCT_BRIEF = ("id", "name", "vendor__id", "vendor__name")
MODEL_BRIEF = ("id", "kind", "name")


def brief_of(relation: str, columns: tuple[str, ...]) -> list[str]:
    """``columns`` as ``only()`` lookups through ``relation`` (``brief_of("product", PRODUCT_BRIEF)``)."""
    return [f"{relation}__{column}" for column in columns]


def own_columns(model, *, leave_out: tuple[str, ...] = ()) -> list[str]:
    """The model's own columns (foreign keys by their id) except ``leave_out``, as ``only()`` lookups."""
    return [f.name for f in model._meta.concrete_fields if f.name not in leave_out]


def with_usernames(queryset: QuerySet, *relations: str) -> QuerySet:
    """Each user relation's username as ``<relation>_username`` (None without one), read by a subquery per
    relation rather than a join: every relation joined adds to the join orders PostgreSQL weighs before it runs a
    statement, and a list's row with four people joined took longer to plan than to read. The API's
    ``UsernameField`` shows the annotation when it is there."""
    users = get_user_model().objects.order_by()
    usernames = {
        f"{name}_username": Subquery(users.filter(pk=OuterRef(f"{name}_id")).values("username")[:1])
        for name in relations
    }
    return queryset.annotate(**usernames)


def vendor_queryset() -> QuerySet[Vendor]:
    return Vendor.objects.select_related("retired_by").annotate(
        product_count=Count("products", distinct=True),
        usage_count=Count("products__model_usages", distinct=True),
    )


def product_queryset() -> QuerySet[Product]:
    return (
        Product.objects.select_related("vendor", "retired_by")
        .prefetch_related("data_categories")
        .annotate(usage_count=Count("model_usages", distinct=True))
    )


def product_base_queryset() -> QuerySet[Product]:
    """Products with nothing joined or annotated: what a filter selects, counted without the roll-ups."""
    return Product.objects.all()


def model_usage_queryset() -> QuerySet[ModelUsage]:
    return ModelUsage.objects.select_related(
        "product__vendor", "model__publisher", "host", "region", "declared_by_user", "retired_by"
    )


def model_usage_list_queryset() -> QuerySet[ModelUsage]:
    """Model usages as lists show them: product, model and host in brief, the region, who declared it and who
    ended it; none of the other columns of those rows (a list reads nothing else: no query per row)."""
    return with_usernames(
        ModelUsage.objects.select_related("product__vendor", "model", "host", "region").only(
            *own_columns(ModelUsage),
            *brief_of("product", PRODUCT_BRIEF),
            *brief_of("model", MODEL_BRIEF),
            *brief_of("host", ("id", "key", "name", "country")),
            *brief_of("region", ("id", "code", "name", "country", "group")),
        ),
        "declared_by_user",
        "retired_by",
    )


def contact_queryset() -> QuerySet[Contact]:
    return Contact.objects.all()


def lineage_edge_queryset() -> QuerySet[LineageEdge]:
    return LineageEdge.objects.select_related("child", "parent")


def publisher_queryset() -> QuerySet[Publisher]:
    return Publisher.objects.prefetch_related("orgs")


def host_queryset() -> QuerySet[Host]:
    return Host.objects.prefetch_related("regions")


def change_event_queryset() -> QuerySet[ChangeEvent]:
    return ChangeEvent.objects.select_related("model", "product__vendor", "acknowledged_by")


def change_event_list_queryset() -> QuerySet[ChangeEvent]:
    """Change events as the feed shows them: the model and the product in brief, who acknowledged it by name."""
    return with_usernames(
        ChangeEvent.objects.select_related("model", "product__vendor").only(
            *own_columns(ChangeEvent), *brief_of("model", MODEL_BRIEF), *brief_of("product", PRODUCT_BRIEF)
        ),
        "acknowledged_by",
    )


def ai_model_queryset() -> QuerySet[AIModel]:
    return AIModel.objects.select_related("publisher").annotate(
        usage_count=Count("usages", distinct=True),
        product_count=Count("usages__product", distinct=True),
    )


def vendor_detail(*, pk: int) -> Vendor:
    return (
        vendor_queryset()
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")))
        .get(pk=pk)
    )


@dataclass(frozen=True)
class OwnOrg:
    """A hub organisation marked as the vendor's own, and how many models of the graph it published."""

    org_id: str
    model_count: int


def vendor_own_orgs(*, vendor: Vendor) -> list[OwnOrg]:
    """The hub organisations under which the vendor publishes its own models (its publisher role)."""
    orgs = list(PublisherOrg.objects.filter(publisher__vendor=vendor).order_by(Lower("org_id")))
    counts = dict(
        AIModel.objects.filter(publisher__vendor=vendor, kind=AIModel.Kind.HUB)
        .annotate(org=Lower(Substr("name", 1, StrIndex("name", Value("/")) - 1)))
        .values("org")
        .annotate(n=Count("pk"))
        .values_list("org", "n")
    )
    return [OwnOrg(org.org_id, counts.get(org.org_id.lower(), 0)) for org in orgs]


def product_detail(*, pk: int) -> Product:
    return (
        Product.objects.select_related("vendor")
        .prefetch_related(
            "data_categories",
            Prefetch("model_usages", queryset=model_usage_queryset().order_by("role", "model__name")),
        )
        .get(pk=pk)
    )


def ai_model_detail(*, pk: int) -> AIModel:
    return (
        AIModel.objects.select_related("publisher")
        .prefetch_related(
            "aliases",
            Prefetch("usages", queryset=model_usage_queryset().order_by("product__vendor__name", "product__name")),
            Prefetch("parent_edges__parent__publisher"),
            Prefetch("child_edges__child__publisher"),
        )
        .get(pk=pk)
    )


def change_events_for(*, vendor: Vendor | None = None, product: Product | None = None, model: AIModel | None = None):
    events = change_event_queryset()
    if vendor is not None:
        events = events.filter(product__vendor=vendor)
    if product is not None:
        # Events about this product, and events about a model it uses that concern no product in particular.
        events = events.filter(Q(product=product) | Q(product__isnull=True, model__usages__product=product)).distinct()
    if model is not None:
        events = events.filter(model=model)
    return events


@dataclass(frozen=True)
class PortfolioSummary:
    vendors: int
    vendors_onboarding: int
    products: int
    model_usages: int
    models: int
    models_by_kind: tuple[str, ...]  # "3 hub repositories", "1 closed API model", ...
    recent_changes: list[ChangeEvent]


#: How the dashboard counts models of each kind (singular, plural).
_KIND_NOUNS = {
    AIModel.Kind.HUB: ("hub repository", "hub repositories"),
    AIModel.Kind.CLOSED: ("closed API model", "closed API models"),
    AIModel.Kind.DECLARED: ("declared model", "declared models"),
}


def _counted(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def portfolio_summary() -> PortfolioSummary:
    vendor_counts = Vendor.objects.exclude(status=Vendor.Status.ARCHIVED).aggregate(
        total=Count("id"), onboarding=Count("id", filter=Q(status=Vendor.Status.ONBOARDING))
    )
    kinds = dict(AIModel.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return PortfolioSummary(
        vendors=vendor_counts["total"],
        vendors_onboarding=vendor_counts["onboarding"],
        products=Product.objects.filter(status=Product.Status.ACTIVE).count(),
        model_usages=ModelUsage.objects.filter(product__status=Product.Status.ACTIVE, retired_at__isnull=True).count(),
        models=sum(kinds.values()),
        models_by_kind=tuple(_counted(kinds.get(kind, 0), *nouns) for kind, nouns in _KIND_NOUNS.items()),
        recent_changes=list(ChangeEvent.objects.select_related("product__vendor", "model")[:10]),
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One audited change, from django-simple-history, in words a reviewer can read."""

    when: datetime
    user: str
    action: str  # created, changed, deleted
    object_type: str
    object_label: str
    changes: tuple[tuple[str, str, str], ...]  # (field, old, new)


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _history_entries(records, object_type: str) -> list[HistoryEntry]:
    entries = []
    for record in records:
        changes: tuple[tuple[str, str, str], ...] = ()
        previous = record.prev_record if record.history_type == "~" else None
        if previous is not None:
            delta = record.diff_against(previous, foreign_keys_are_objs=False)
            changes = tuple(
                (
                    (field := record.instance._meta.get_field(change.field)).verbose_name,
                    _plain(change.old, field),
                    _plain(change.new, field),
                )
                for change in delta.changes
            )
            if not changes:
                continue
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=str(record.history_user) if record.history_user else "system",
                action=_ACTIONS[record.history_type],
                object_type=object_type,
                object_label=str(record.instance),
                changes=changes,
            )
        )
    return entries


def _plain(value, field) -> str:
    """A field value as a reviewer reads it: choice labels, not codes; the names of many-to-many rows, not ids."""
    if isinstance(value, list):  # many-to-many diffs come as lists of through-row dicts
        key = field.m2m_reverse_field_name()
        ids = [v.get(key) if isinstance(v, dict) else v for v in value]
        names = field.related_model.objects.in_bulk([i for i in ids if isinstance(i, int)])
        return ", ".join(sorted(str(names.get(i, i)) for i in ids))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return "" if value is None else str(value)


def vendor_history(*, vendor: Vendor, limit: int = 200) -> list[HistoryEntry]:
    """Who changed what and when, for the vendor, its contacts, its products and their model usages, and the hub
    organisations marked as its own."""
    product_ids = list(Product.history.filter(vendor_id=vendor.pk).values_list("id", flat=True).distinct())
    own_publishers = Publisher.objects.filter(vendor_id=vendor.pk).values("pk")
    sources = (
        (Vendor.history.filter(id=vendor.pk), "Vendor"),
        (Contact.history.filter(vendor_id=vendor.pk), "Contact"),
        (Product.history.filter(vendor_id=vendor.pk), "Product"),
        (ModelUsage.history.filter(product_id__in=product_ids).select_related("model"), "Model usage"),
        (PublisherOrg.history.filter(publisher_id__in=own_publishers), "Own hub organisation"),
    )
    entries = chain.from_iterable(
        _history_entries(records.select_related("history_user").order_by("-history_date")[:limit], label)
        for records, label in sources
    )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


@dataclass(frozen=True)
class UnknownOrg:
    """A hub organisation behind models in the graph that the knowledge base does not know yet."""

    org: str
    model_count: int
    used_directly: int
    examples: tuple[str, ...]


def unknown_publishers(*, limit_examples: int = 3) -> list[UnknownOrg]:
    """Hub orgs with no publisher row, most used first: the analyst's review queue for the knowledge base."""
    orgs: dict[str, dict] = {}
    rows = (
        AIModel.objects.filter(kind=AIModel.Kind.HUB, publisher__isnull=True)
        .annotate(uses=Count("usages"))
        .order_by("name")
        .values_list("name", "uses")
    )
    for name, uses in rows:
        org = name.split("/", 1)[0] if "/" in name else "(no organisation)"
        entry = orgs.setdefault(org.lower(), {"org": org, "models": 0, "used": 0, "examples": []})
        entry["models"] += 1
        entry["used"] += bool(uses)
        if len(entry["examples"]) < limit_examples:
            entry["examples"].append(name)
    return sorted(
        (UnknownOrg(e["org"], e["models"], e["used"], tuple(e["examples"])) for e in orgs.values()),
        key=lambda u: (-u.used_directly, -u.model_count, u.org.lower()),
    )
