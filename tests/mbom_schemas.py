"""The official CycloneDX and SPDX JSON schemas, read from ../shared/schemas (never copied into the project), as
cached ``jsonschema`` validators whose $refs resolve through a ``referencing`` registry."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft7Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def cyclonedx_validator(spec: str) -> Draft7Validator:
    folder = SCHEMAS / "cyclonedx"
    resources = []
    for name in ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"):
        schema = _load(folder / name)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    schema = _load(folder / f"bom-{spec}.schema.json")
    registry = Registry().with_resources(resources)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@cache
def spdx_validator():
    """SPDX 3.0.1's schema is one large ``anyOf`` over every class: pure-Python validation of a big document
    takes minutes, so the Rust implementation (jsonschema-rs) checks it, formats included."""
    schema = _load(SCHEMAS / "spdx" / "spdx-3.0.1-json-schema.json")
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def errors(validator, document: dict) -> list[str]:
    """Every schema error, as ``path: message`` lines (empty when valid)."""
    found = []
    for error in validator.iter_errors(document):
        path = getattr(error, "absolute_path", None)
        if path is None:
            path = error.instance_path
        found.append(f"{'/'.join(str(p) for p in path)}: {error.message[:300]}")
    return sorted(found)
