"""Reading a vendor's CycloneDX BOM (JSON, spec 1.4 to 1.7): checked against the official schema shipped with
cyclonedx-python-lib (every problem named with where it is), then its machine-learning models and the pedigree
each declares, as plain values. Nothing here touches the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonValidator

SPECS = ("1.4", "1.5", "1.6", "1.7")
#: Problems listed before the rest are summed up: past this, the file is wrong in the same way many times.
MAX_PROBLEMS = 20
NS = "riskregistry:"


class BomError(ValueError):
    """The file cannot be imported; ``problems`` says why, one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DeclaredParent:
    name: str
    relation: str = "unknown"
    kind: str = ""  # riskregistry's model kind when the BOM says it (one of our exports), else ""


@dataclass(frozen=True)
class DeclaredModel:
    """A machine-learning model of the BOM, with what its pedigree declares."""

    name: str
    kind: str = ""
    version: str = ""
    publisher: str = ""
    country: str = ""  # the manufacturer's (or, before 1.6, the supplier's) address country
    parents: tuple[DeclaredParent, ...] = ()


@dataclass
class ImportedBom:
    """``models``: every machine-learning component, in order; ``declared``: those and the ancestors a pedigree
    describes with a pedigree of their own, by lower-case name; ``used``: the names of the models the product
    uses (the rest are their ancestors)."""

    spec: str
    serial: str
    models: list[DeclaredModel] = field(default_factory=list)
    declared: dict[str, DeclaredModel] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    countries: dict[str, str] = field(default_factory=dict)
    component_count: int = 0

    def by_name(self) -> dict[str, DeclaredModel]:
        return self.declared


@cache
def _validator(spec: str) -> JsonValidator:
    return JsonValidator(SchemaVersion.from_version(spec))


def _where(path) -> str:
    return "/".join(str(part) for part in path) or "the document"


def parse(content: bytes) -> ImportedBom:
    """The BOM's models, or ``BomError`` naming every problem (not JSON, not CycloneDX, an unsupported spec,
    each schema violation with its path)."""
    try:
        text = content.decode("utf-8-sig")
        document = json.loads(text)
    except UnicodeDecodeError:
        raise BomError(["The file is not UTF-8 text; a CycloneDX JSON BOM is."]) from None
    except json.JSONDecodeError as error:
        raise BomError([f"The file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."]) from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise BomError(['This is not a CycloneDX BOM: "bomFormat" must be "CycloneDX".'])
    spec = document.get("specVersion")
    if spec not in SPECS:
        raise BomError([f"CycloneDX spec version {spec!r} is not supported; use 1.4, 1.5, 1.6 or 1.7."])
    problems = []
    for error in _validator(spec).validate_str(text, all_errors=True) or ():
        problems.append(f"At {_where(error.data.absolute_path)}: {error.data.message[:300]}")
        if len(problems) > MAX_PROBLEMS:
            problems[-1] = "… and more problems of the same kind; fix these first."
            break
    if problems:
        raise BomError(problems)
    components = list(_walk(document.get("components") or ()))
    bom = ImportedBom(spec=spec, serial=str(document.get("serialNumber") or ""), component_count=len(components))
    refs: dict[str, str] = {}
    for component in components:
        if not is_model(component) or not model_name(component):
            continue
        model = _model(component)
        if model.name.lower() in bom.declared:
            continue
        bom.declared[model.name.lower()] = model
        bom.models.append(model)
        if component.get("bom-ref"):
            refs[str(component["bom-ref"])] = model.name
        if model.country:
            bom.countries.setdefault(model.name.lower(), model.country)
        for ancestor in _ancestors(component):  # a chain stated inside a pedigree
            stated = _model(ancestor)
            if stated.country:
                bom.countries.setdefault(stated.name.lower(), stated.country)
            if stated.parents and stated.name.lower() not in bom.declared:
                bom.declared[stated.name.lower()] = stated
    if not bom.models:
        raise BomError(
            [
                "The BOM lists no machine-learning model (a component of type machine-learning-model, or one with a "
                "pkg:huggingface package URL): there is nothing to import."
            ]
        )
    bom.used = _used(document, bom, refs)
    return bom


def _ancestors(component: dict):
    for ancestor in (component.get("pedigree") or {}).get("ancestors") or ():
        yield ancestor
        yield from _ancestors(ancestor)


def _used(document: dict, bom: ImportedBom, refs: dict[str, str]) -> list[str]:
    """The models the product uses: those the BOM's subject depends on, when it says; else every model that is
    no other model's ancestor (the ends of the chains)."""
    subject = ((document.get("metadata") or {}).get("component") or {}).get("bom-ref")
    for dependency in document.get("dependencies") or ():
        if subject and dependency.get("ref") == subject:
            named = [refs[ref] for ref in dependency.get("dependsOn") or () if ref in refs]
            if named:
                return list(dict.fromkeys(named))
    parents = {p.name.lower() for m in bom.declared.values() for p in m.parents}
    return [m.name for m in bom.models if m.name.lower() not in parents]


def is_model(component: dict) -> bool:
    """A machine-learning model: so typed (CycloneDX 1.5 on), or named by a model hub package URL (the only way a
    1.4 BOM can say it)."""
    purl = str(component.get("purl") or "")
    return component.get("type") == "machine-learning-model" or purl.startswith("pkg:huggingface/")


def _walk(components):
    """Every component, nested ones included (a component may hold others)."""
    for component in components:
        yield component
        yield from _walk(component.get("components") or ())


def _props(component: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for prop in component.get("properties") or ():
        name, value = prop.get("name", ""), prop.get("value", "")
        if name.startswith(NS) and name not in found:
            found[name.removeprefix(NS)] = value
    return found


def model_name(component: dict) -> str:
    """``group/name`` when the group is given separately (``Qwen`` + ``Qwen2.5-7B``), the repo id of a model hub
    package URL (``pkg:huggingface/Qwen/Qwen2.5-7B@sha``), else the name."""
    purl = str(component.get("purl") or "")
    if purl.startswith("pkg:huggingface/"):
        repo = unquote(purl.removeprefix("pkg:huggingface/").split("@", 1)[0].split("?", 1)[0])
        if repo:
            return repo
    name = str(component.get("name", "")).strip()
    group = str(component.get("group") or "").strip()
    return f"{group}/{name}" if group and "/" not in name else name


def _kind(props: dict[str, str]) -> str:
    kind = props.get("model.kind", "")
    return kind if kind in ("hub", "closed", "declared") else ""


def _model(component: dict) -> DeclaredModel:
    props = _props(component)
    organisation = component.get("manufacturer") or component.get("supplier") or {}
    country = str((organisation.get("address") or {}).get("country") or props.get("publisher.country") or "")
    parents = []
    for ancestor in (component.get("pedigree") or {}).get("ancestors") or ():
        found = _props(ancestor)
        # One of our own exports says which child an ancestor was reached from: only direct parents count here
        # (the rest are parents of parents, stated on their own components).
        if found.get("derived-by") and found.get("depth", "1") != "1":
            continue
        parents.append(
            DeclaredParent(name=model_name(ancestor), relation=found.get("relation") or "unknown", kind=_kind(found))
        )
    return DeclaredModel(
        name=model_name(component),
        kind=_kind(props),
        version=str(component.get("version") or ""),
        publisher=str(component.get("publisher") or organisation.get("name") or ""),
        country=country.upper()[:2] if len(country) == 2 else "",
        parents=tuple(parents),
    )


def chains(bom: ImportedBom, name: str) -> list[list[str]]:
    """The vendor's chains from a model to each of its roots, as the BOM's pedigrees declare them (a cycle or a
    very long chain ends)."""
    by_name = bom.by_name()
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        model = by_name.get(path[-1].lower())
        parents = model.parents if model else ()
        if not parents or len(path) > 64 or len(found) > 64:
            found.append(path)
            return
        for parent in parents:
            if parent.name.lower() in (p.lower() for p in path):
                found.append([*path, parent.name])
                continue
            walk([*path, parent.name])

    walk([name])
    return found
