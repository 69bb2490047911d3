"""Whether a model name a vendor typed (in a questionnaire's model table or an attestation's correction) names one
of our lineage nodes.

Our node ids follow the lineage contract (``org/name`` for hub repos, ``closed:gpt-4o`` for closed API models,
``declared:Name`` otherwise), but vendors write ``gpt-4o``, ``GPT-4o``, ``openai/gpt-4o`` or a dated snapshot id.
Comparing the raw strings turned every such answer into a contradiction of the lineage. One pure function decides
for questionnaires and attestations alike:

- case and surrounding blanks never matter; a leading ``hub:``/``closed:``/``declared:`` is how we write the kind,
  not part of the name;
- a known alias of the node (a renamed hub repo, a dated or cloud-specific API id, from the knowledge base) names it;
- a closed or declared model may be prefixed with its publisher (``openai/gpt-4o``, ``OpenAI/GPT-4o``), as
  routers and SDKs write them. A hub id is never reduced to its last part: ``someone/Llama-3.1-8B`` is another
  repo than ``meta-llama/Llama-3.1-8B`` (often a re-packager's), and saying so is a real contradiction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_KIND_PREFIX = re.compile(r"^(hub|closed|declared)\s*:\s*", re.IGNORECASE)
_BLANKS = re.compile(r"\s+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class KnownModel:
    """One of our nodes as a vendor may name it: its id, kind, aliases and publisher (key and name)."""

    id: str
    kind: str = "hub"
    aliases: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()


def model_name_normalise(text: str) -> str:
    """The comparable form of a model name: without the kind prefix, blanks collapsed, case folded."""
    text = _BLANKS.sub(" ", str(text or "")).strip()
    return _KIND_PREFIX.sub("", text).strip().casefold()


def _slug(text: str) -> str:
    return _NOT_SLUG.sub("", text.casefold())


def _publisher_slugs(publisher: str) -> set[str]:
    """How routers and SDKs prefix a publisher's models: its key or name, the name before a parenthesis or its
    first word, or what the parenthesis says (``Qwen (Alibaba Cloud)``: qwen, alibabacloud; ``Moonshot AI
    (Kimi)``: moonshotai, moonshot, kimi; ``Mistral AI``: mistralai, mistral)."""
    outside, _, inside = publisher.partition("(")
    words = outside.split()
    return {_slug(publisher), _slug(outside), _slug(inside), _slug(words[0]) if words else ""} - {""}


def _kind_of(node_id: str, kind: str) -> str:
    match = _KIND_PREFIX.match(node_id or "")
    return match.group(1).lower() if match else kind


def model_names_match(typed: str, model: KnownModel) -> bool:
    """Whether ``typed`` (a vendor's words) names ``model``."""
    said = model_name_normalise(typed)
    if not said:
        return False
    names = {model_name_normalise(model.id), *(model_name_normalise(a) for a in model.aliases)}
    names.discard("")
    if said in names:
        return True
    if _kind_of(model.id, model.kind) == "hub" or "/" not in said:
        return False
    prefix, _, bare = said.rpartition("/")
    publishers = {slug for publisher in model.publishers for slug in _publisher_slugs(publisher or "")}
    return bare in names and _slug(prefix.rsplit("/", 1)[-1]) in publishers


def model_named(typed: str, models: Iterable[KnownModel]) -> KnownModel | None:
    """The first of ``models`` that ``typed`` names, or None."""
    return next((model for model in models if model_names_match(typed, model)), None)
