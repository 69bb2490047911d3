"""Importing a vendor's CycloneDX BOM for a product: its machine-learning models become declared model usages
(source: imported BOM), their pedigrees declared parents where the lineage knows none, and what it declares is
kept so every rating checks it against the lineage we resolve (a contradiction opens a discrepancy finding).

All or nothing, in bulk: a fixed number of queries whatever the number of components.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from vendors.bom import reader
from vendors.lineage.sanitize import clean_text
from vendors.models import (
    AIModel,
    AIModelAlias,
    BomImport,
    ChangeEvent,
    LineageEdge,
    LineageRefresh,
    ModelUsage,
    Product,
    PublisherOrg,
)
from vendors.selectors.subgraph import node_key
from vendors.services.rescoring import usages_depending_on, usages_rescore_request
from vendors.validators import validate_hub_repo_id

_RELATIONS = set(LineageEdge.Relation.values)


@dataclass
class _Names:
    """Every model name of the BOM resolved to a node, existing or new."""

    models: dict[str, AIModel]  # lower-case name -> node
    created: list[AIModel]


def _is_hub_id(name: str) -> bool:
    try:
        validate_hub_repo_id(name)
    except ValidationError:
        return False
    return "/" in name


def _resolve_names(names: dict[str, str]) -> _Names:
    """``names``: lower-case name -> (name, kind the BOM states or ""). Three queries, then one bulk insert."""
    lowered = list(names)
    found: dict[tuple[str, str], AIModel] = {}
    for model in AIModel.objects.select_related("publisher").annotate(lname=Lower("name")).filter(lname__in=lowered):
        found[(model.kind, model.name.lower())] = model
    for alias in AIModelAlias.objects.select_related("model").annotate(lname=Lower("name")).filter(lname__in=lowered):
        found.setdefault((alias.model.kind, alias.name.lower()), alias.model)
    orgs = {name.split("/", 1)[0] for name in lowered if "/" in name}
    publishers = {
        o.lorg: o.publisher_id for o in PublisherOrg.objects.annotate(lorg=Lower("org_id")).filter(lorg__in=orgs)
    }
    resolved: dict[str, AIModel] = {}
    created: list[AIModel] = []
    for lname, (name, stated) in names.items():
        kinds = [stated] if stated else [AIModel.Kind.HUB, AIModel.Kind.CLOSED, AIModel.Kind.DECLARED]
        model = next((found[(kind, lname)] for kind in kinds if (kind, lname) in found), None)
        if model is None and stated == AIModel.Kind.CLOSED:
            model = found.get((AIModel.Kind.DECLARED, lname))  # a closed model we do not know: only declared
        if model is None:
            kind = stated if stated and stated != AIModel.Kind.CLOSED else ""
            kind = kind or (AIModel.Kind.HUB if _is_hub_id(name) else AIModel.Kind.DECLARED)
            model = AIModel(kind=kind, name=name)
            if kind == AIModel.Kind.HUB:
                model.publisher_id = publishers.get(name.split("/", 1)[0].lower())
            else:
                model.status = AIModel.Status.RESOLVED
                model.declared_source = AIModel.DeclaredSource.VENDOR
                model.status_reason = "Declared in the vendor's imported BOM; no public record."
            try:
                model.full_clean(exclude=["publisher"], validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                raise ValidationError(f"Model {name!r}: {'; '.join(error.messages)}") from None
            found[(model.kind, lname)] = model
            created.append(model)
        resolved[lname] = model
    AIModel.objects.bulk_create(created)
    return _Names(models=resolved, created=created)


def _claims(bom: reader.ImportedBom, nodes: dict[str, AIModel]) -> dict[str, dict]:
    """Per model with a declared pedigree (by node id): its roots, every ancestor, the countries stated for the
    models of its chains, and the chains as text."""
    claims = {}
    for lname, declared in bom.declared.items():
        if not declared.parents:
            continue
        paths = reader.chains(bom, declared.name)
        keys = [[node_key(nodes[name.lower()]) for name in path] for path in paths]
        ancestors = sorted({key for path in keys for key in path[1:]})
        countries = {}
        for name in {name.lower() for path in paths for name in path}:
            if bom.countries.get(name):
                countries[node_key(nodes[name])] = bom.countries[name]
        claims[node_key(nodes[lname])] = {
            "roots": sorted({path[-1] for path in keys}),
            "ancestors": ancestors,
            "countries": dict(sorted(countries.items())),
            "chains": [" → ".join(path) for path in keys][:20],
        }
    return claims


@transaction.atomic
def bom_import(
    *, product: Product, content: bytes, file_name: str = "", user: AbstractBaseUser | None = None
) -> BomImport:
    """Import a vendor's CycloneDX JSON BOM (1.4 to 1.7) for a product. Refused as a whole, with every problem
    named, when it is too large, not valid against its schema or names models that cannot be registered."""
    limit = settings.MBOM_IMPORT_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(
            f"The file is larger than {limit / 1_000_000:.1f} MB, the most a BOM import takes.", code="too_large"
        )
    if product.is_retired:
        raise ValidationError("This product was retired; its supply chain is kept as it was.", code="retired")
    try:
        bom = reader.parse(content)
    except reader.BomError as error:
        raise ValidationError([ValidationError(p, code="invalid_bom") for p in error.problems]) from None
    if bom.component_count > settings.MBOM_IMPORT_MAX_COMPONENTS:
        raise ValidationError(
            f"The BOM has {bom.component_count} components; at most {settings.MBOM_IMPORT_MAX_COMPONENTS} are "
            "imported at once.",
            code="too_many_components",
        )
    names: dict[str, tuple[str, str]] = {}
    for declared in bom.declared.values():
        names.setdefault(declared.name.lower(), (declared.name, declared.kind))
        for parent in declared.parents:
            names.setdefault(parent.name.lower(), (parent.name, parent.kind))
    for name in bom.used:
        names.setdefault(name.lower(), (name, ""))
    resolved = _resolve_names(names)
    nodes = resolved.models
    now = timezone.now()
    user = user if user is not None and user.is_authenticated else None
    label = clean_text(file_name, 120) or "the vendor's BOM"

    in_use = set(ModelUsage.objects.filter(product=product, retired_at__isnull=True).values_list("model_id", flat=True))
    usages, events = [], []
    for name in dict.fromkeys(bom.used):
        model = nodes[name.lower()]
        if model.pk in in_use:
            continue
        in_use.add(model.pk)
        usage = ModelUsage(
            product=product,
            model=model,
            role=ModelUsage.Role.PRIMARY,
            declared_by=ModelUsage.DeclaredBy.BOM,
            declared_by_user=user,
            declared_at=now,
            notes=f"Declared in {label} (imported {now:%Y-%m-%d}).",
        )
        # The foreign keys are rows just read or written: checking each again would cost a query per component.
        usage.full_clean(
            exclude=["product", "model", "declared_by_user"], validate_unique=False, validate_constraints=False
        )
        usages.append(usage)
    bulk_create_with_history(
        usages, ModelUsage, default_user=user, default_change_reason="Imported from the vendor's BOM", default_date=now
    )
    for usage in usages:
        events.append(
            ChangeEvent(
                kind=ChangeEvent.Kind.USAGE_ADDED,
                model=usage.model,
                product=product,
                summary=clean_text(f"{product} now uses {usage.model.name} (declared in {label})", 500),
                details={"usage": usage.pk, "role": usage.role, "source": "bom"},
                occurred_at=now,
            )
        )

    # Declared parents, only where the lineage knows none: a model with no public record, or a hub model already
    # fetched that shows no parent. Elsewhere the BOM's word is checked against the lineage by the ratings.
    children = {nodes[lname] for lname, d in bom.declared.items() if d.parents}
    with_parents = set(
        LineageEdge.objects.filter(child_id__in=[m.pk for m in children]).values_list("child_id", flat=True)
    )
    edges, declared_parents = [], []
    for lname, declared in bom.declared.items():
        child = nodes[lname]
        open_to_parents = child.kind != AIModel.Kind.HUB or child.fetched_at is not None
        if not declared.parents or child.pk in with_parents or not open_to_parents:
            continue
        for parent in declared.parents:
            parent_model = nodes[parent.name.lower()]
            if parent_model.pk == child.pk:
                continue
            relation = parent.relation if parent.relation in _RELATIONS else LineageEdge.Relation.UNKNOWN
            edges.append(
                LineageEdge(
                    child=child,
                    parent=parent_model,
                    relation=relation,
                    source=LineageEdge.Source.VENDOR,
                    observed_at=now,
                )
            )
            declared_parents.append(f"{child.name} ← {parent_model.name}")
            events.append(
                ChangeEvent(
                    kind=ChangeEvent.Kind.PARENT_ADDED,
                    model=child,
                    summary=clean_text(
                        f"{child.name} declared as derived from {parent_model.name} ({relation}, per the vendor's BOM)",
                        500,
                    ),
                    details={"parent": parent_model.name, "relation": relation, "source": "vendor", "bom": label},
                    occurred_at=now,
                )
            )
    LineageEdge.objects.bulk_create(edges, ignore_conflicts=True)
    ChangeEvent.objects.bulk_create(events)

    record = BomImport(
        product=product,
        imported_by=user,
        file_name=clean_text(file_name, 255),
        sha256=hashlib.sha256(content).hexdigest(),
        spec_version=bom.spec,
        serial_number=clean_text(bom.serial, 200),
        component_count=bom.component_count,
        usages_added=[u.model.name for u in usages],
        parents_declared=declared_parents,
        claims=_claims(bom, nodes),
    )
    record.full_clean()
    record.save()

    unfetched = sorted(m.name for m in nodes.values() if m.kind == AIModel.Kind.HUB and m.fetched_at is None)
    if unfetched:
        from vendors.services.lineage import lineage_refresh_request

        lineage_refresh_request(scope=LineageRefresh.Scope.MODELS, model_names=unfetched, user=user)
    affected = set(ModelUsage.objects.filter(product=product).values_list("pk", flat=True))
    affected |= set(usages_depending_on({e.child for e in edges}))
    usages_rescore_request(usage_ids=affected)
    return record
