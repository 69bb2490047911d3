"""Questionnaire templates: the YAML files beside this module (``<key>/v<N>.yaml``), their schema, the sourced
framework catalogue their ``refs`` cite, and the pure rules over answers (``logic``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from assessments.questionnaires.schema import Questionnaire, QuestionnaireError, parse
from vendors.knowledge.provenance import parse_sources

DIRECTORY = Path(__file__).resolve().parent
KEYS = ("ai-mbom", "ai-intake")


@cache
def framework_catalogue() -> dict[str, dict]:
    """framework -> {title, sources, checked, clauses: {id: short title}}; ``sources`` as
    :class:`~vendors.knowledge.provenance.Source` records, each classified primary or secondary."""
    catalogue = yaml.safe_load((DIRECTORY / "frameworks.yaml").read_text(encoding="utf-8"))["frameworks"]
    problems = []
    for key, framework in catalogue.items():
        framework["sources"], found = parse_sources(framework.get("sources"), "framework", f"frameworks.yaml: {key}")
        problems += found
    if problems:
        raise QuestionnaireError("; ".join(problems))
    return catalogue


def clause_ids() -> dict[str, set[str]]:
    return {key: set(fw["clauses"]) for key, fw in framework_catalogue().items()}


def canonical_sha256(definition: dict) -> str:
    """The hash of a definition's canonical JSON: the same content gives the same hash, whatever the YAML looks
    like (comments, key order, quoting)."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TemplateFile:
    path: Path
    questionnaire: Questionnaire
    definition: dict
    sha256: str


def parse_document(document: object) -> tuple[Questionnaire, dict]:
    """Validate a document (a loaded YAML file or an admin's edit) against the schema and the catalogue; return
    the model and its normalised JSON definition."""
    questionnaire = parse(document, catalogue=clause_ids())
    return questionnaire, questionnaire.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def read_file(path: Path) -> TemplateFile:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise QuestionnaireError(f"{path.name}: not valid YAML: {error}") from error
    try:
        questionnaire, definition = parse_document(document)
    except QuestionnaireError as error:
        raise QuestionnaireError(f"{path.parent.name}/{path.name}: {error}") from error
    expected = (path.parent.name, f"v{questionnaire.version}.yaml")
    if (questionnaire.id, path.name) != expected:
        raise QuestionnaireError(
            f"{path.parent.name}/{path.name} declares id {questionnaire.id} v{questionnaire.version}"
        )
    return TemplateFile(path, questionnaire, definition, canonical_sha256(definition))


def template_files(directory: Path = DIRECTORY) -> list[TemplateFile]:
    """Every ``<key>/v<N>.yaml`` under ``directory``, validated, in key and version order."""
    paths = sorted(directory.glob("*/v*.yaml"), key=lambda p: (p.parent.name, int(p.stem[1:] or 0)))
    return [read_file(path) for path in paths]


@cache
def _from_definition(text: str) -> Questionnaire:
    return Questionnaire.model_validate(json.loads(text))


def questionnaire_of(definition: dict) -> Questionnaire:
    """The model of a stored definition (cached by content)."""
    return _from_definition(json.dumps(definition, sort_keys=True))


__all__ = [
    "DIRECTORY",
    "KEYS",
    "Questionnaire",
    "QuestionnaireError",
    "TemplateFile",
    "canonical_sha256",
    "clause_ids",
    "framework_catalogue",
    "parse_document",
    "questionnaire_of",
    "read_file",
    "template_files",
]
