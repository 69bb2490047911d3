"""What an accepted submission changes in the registry: model-table rows become declared model usages (source:
vendor answer) and declared parents, the intake sets the product's criticality and data categories, and every
usage of the product is rescored (its facts now carry the answers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from assessments.models import Assessment
from assessments.questionnaires import logic, questionnaire_of
from assessments.scoring.model_names import KnownModel, model_name_normalise, model_names_match
from assessments.selectors.assessments import answer_states
from assessments.selectors.facts import model_aliases
from vendors.models import AIModel, DataCategory, Host, HostRegion, LineageEdge, ModelUsage
from vendors.selectors import node_key
from vendors.services import model_usage_register, product_update
from vendors.services.lineage import lineage_parent_declare
from vendors.services.portfolio import ai_model_find
from vendors.services.rescoring import usages_rescore_request


@dataclass
class Applied:
    usages: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    product_fields: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.usages)} usage(s) declared", f"{len(self.parents)} parent(s) declared"]
        if self.product_fields:
            parts.append("product " + ", ".join(self.product_fields) + " set")
        return "; ".join(parts)


def _known(model: AIModel, aliases: tuple[str, ...] = ()) -> KnownModel:
    publisher = model.publisher
    publishers = (publisher.key, publisher.name) if publisher else ()
    return KnownModel(node_key(model), model.kind, aliases, publishers)


def _product_model(product, name: str) -> AIModel | None:
    """The model of one of the product's usages that ``name`` names, however the vendor wrote it."""
    models = [u.model for u in ModelUsage.objects.filter(product=product).select_related("model__publisher")]
    aliases = model_aliases(m.pk for m in models)
    return next((m for m in models if model_names_match(name, _known(m, aliases.get(m.pk, ())))), None)


def _catalogued(name: str) -> tuple[str, str] | None:
    """(kind, name) of a closed API model in the catalogue that ``name`` names (``closed:gpt-4o``, ``GPT-4o``,
    ``openai/gpt-4o``), else None."""
    bare = model_name_normalise(name)
    for candidate in (bare, bare.rpartition("/")[2]):
        model = ai_model_find(kind=AIModel.Kind.CLOSED, name=candidate) if candidate else None
        if model is not None and model_names_match(name, _known(model)):
            return AIModel.Kind.CLOSED, model.name
    return None


def _kind(name: str) -> str:
    """A hub id has one slash; a name in the closed-model catalogue is that model; anything else is declared."""
    if ai_model_find(kind=AIModel.Kind.HUB, name=name) or (name.count("/") == 1 and " " not in name):
        return AIModel.Kind.HUB
    if ai_model_find(kind=AIModel.Kind.CLOSED, name=name):
        return AIModel.Kind.CLOSED
    return AIModel.Kind.DECLARED


def _host(text: str) -> Host | None:
    if not text:
        return None
    return (
        Host.objects.annotate(lkey=Lower("key"), lname=Lower("name")).filter(lkey=text.lower()).first()
        or Host.objects.annotate(lname=Lower("name")).filter(lname=text.lower()).first()
    )


def _region(host: Host | None, text: str) -> HostRegion | None:
    if host is None or not text:
        return None
    return HostRegion.objects.annotate(lcode=Lower("code")).filter(host=host, lcode=text.lower()).first()


def _row_apply(assessment: Assessment, number: int, row: dict, by, applied: Applied) -> None:
    product = assessment.product
    name = row["model"]
    model = _product_model(product, name)
    kind, name = (model.kind, model.name) if model is not None else _catalogued(name) or (_kind(name), name)
    role = row.get("role") or ModelUsage.Role.PRIMARY
    host = _host(row.get("host", ""))
    region = _region(host, row.get("region", ""))
    model = model or ai_model_find(kind=kind, name=name)
    existing = model is not None and ModelUsage.objects.filter(product=product, model=model).exists()
    try:
        if not existing:
            usage = model_usage_register(
                product=product,
                model_kind=kind,
                model_name=name,
                role=role,
                host=host,
                region=region,
                declared_by=ModelUsage.DeclaredBy.VENDOR,
                user=by,
                notes=f"Declared in assessment #{assessment.pk} ({assessment.questionnaire.key}).",
            )
            model = usage.model
            applied.usages.append(name)
        base = (row.get("base_model") or "").split(",")[0].strip()
        # A base model becomes a declared parent only where the lineage knows none; where it does, the claim is
        # checked against it by the rating (a contradiction opens a discrepancy finding).
        itself = model_names_match(base, _known(model, model_aliases([model.pk]).get(model.pk, ())))
        if base and not itself and not LineageEdge.objects.filter(child=model).exists():
            relation = row.get("relation") or "unknown"
            parent_kind, parent_name = _catalogued(base) or (_kind(base), base)
            lineage_parent_declare(
                child=model,
                parent_kind=parent_kind,
                parent_name=parent_name,
                relation=relation if relation != "none" else "unknown",
                source=LineageEdge.Source.VENDOR,
                user=by,
            )
            applied.parents.append(f"{name} ← {base}")
    except ValidationError as error:
        messages = "; ".join(error.messages)
        raise ValidationError(f"Model table row {number} ({name}): {messages}") from error


def answers_apply(*, assessment: Assessment, by) -> Applied:
    """Apply an accepted submission to the registry (inside the accepting transaction)."""
    q = questionnaire_of(assessment.questionnaire.definition)
    states = answer_states(assessment)
    shown = logic.visible(q, states)
    applied = Applied()
    for question in q.questions():
        state = states.get(question.id)
        if question.type != "model_table" or question.id not in shown or state is None or not state.value:
            continue
        for number, row in enumerate(state.value, start=1):
            _row_apply(assessment, number, row, by, applied)
    said = logic.claims(q, states)
    product = assessment.product
    changes = {}
    if said.criticality and said.criticality != product.criticality:
        changes["criticality"] = said.criticality
        applied.product_fields.append("criticality")
    categories = None
    if said.data_categories:
        categories = list(DataCategory.objects.filter(code__in=said.data_categories))
        applied.product_fields.append("data categories")
    if changes or categories is not None:
        product_update(product=product, data_categories=categories, **changes)
    usages_rescore_request(usage_ids=product.model_usages.values_list("pk", flat=True))
    return applied
