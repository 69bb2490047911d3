"""Claims as sentences a vendor's compliance officer can confirm or correct one by one, the exact statement a
signature covers (and its SHA-256), and what the vendor's responses declare for scoring.

Pure: the same snapshot, responses and signature always give the same text, byte for byte, so anyone holding
the stored statement can check its hash. Names from the hub or the vendor are used as plain text here; HTML
escaping is the templates' job.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assessments.attestation.claims import AttestationClaims, Response, Signature, UsageClaims
from assessments.scoring import Claims
from vendors.lineage.sanitize import clean_text

#: Longest correction a vendor may write for one claim.
MAX_CORRECTION = 2000
#: Most base models or countries a correction may name.
MAX_NAMED = 32

_RELATIONS = {
    "finetune": "a fine-tune of",
    "adapter": "an adapter on",
    "merge": "a merge that includes",
    "quantized": "a quantized version of",
}
_ROLES = {
    "primary": "primary model",
    "fallback": "fallback model",
    "embedding": "embedding model",
    "reranker": "reranker",
    "routed": "routed model",
}
_KINDS = {"hub": "a model hub repository", "closed": "a closed API model", "declared": "a model with no public record"}


class ClaimKind:
    MODEL = "model"
    LINEAGE = "lineage"
    PUBLISHER = "publisher"
    HOSTING = "hosting"
    LICENCES = "licences"
    DATASETS = "datasets"

    #: Kinds whose correction may name base models (lineage) or serving countries (hosting) for scoring.
    STRUCTURED = (LINEAGE, HOSTING)


@dataclass(frozen=True)
class Claim:
    """One sentence to confirm or correct. ``id`` is unique within a request (``u12.lineage``, ``u12.node.3``);
    ``base_models`` and ``countries`` are what confirming a lineage or hosting claim declares."""

    id: str
    kind: str
    product_id: int
    product_name: str
    usage_id: int
    model: str
    text: str
    base_models: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


def _country(code: str, name: str) -> str:
    return f"{name} ({code})" if code and name else code or "country unknown"


def _lineage_text(usage: UsageClaims) -> str:
    if not usage.edges:
        text = f"{usage.model} has no base model on record: it is a root model."
    else:
        steps, seen = [], set()
        for chain in usage.chains:
            for child, parent in itertools.pairwise(chain):
                if (child, parent) not in seen:
                    seen.add((child, parent))
                    relation = _RELATIONS.get(usage.relation(child, parent), "derived from")
                    steps.append(f"{child} is {relation} {parent}")
        roots = ", ".join(usage.roots) or "none found"
        text = "; ".join(steps) + f". Root model{'s' if len(usage.roots) > 1 else ''}: {roots}."
    if not usage.complete:
        reasons = "; ".join(usage.incomplete_reasons[:5]) or "some ancestors could not be read"
        text += f" This lineage is incomplete ({reasons})."
    return text


def _publisher_text(usage: UsageClaims, node_id: str) -> str:
    node = usage.node(node_id)
    if node is None or not node.publisher:
        return f"The publisher of {node_id} is not known to us."
    text = f"{node_id} is published by {node.publisher} ({_country(node.country, node.country_name)})"
    if node.repackager:
        text += ", which republishes others' weights and is not the model's origin"
    return text + "."


def _hosting_text(usage: UsageClaims, product: str) -> tuple[str, tuple[str, ...]]:
    host = usage.host
    if host is None:
        return f"No host or serving region is on record for {usage.model} in {product}.", ()
    operator = f"operated by {host.operator}, " if host.operator else "operated from "
    where = _country(host.country, host.country_name)
    text = f"{usage.model} is served for {product} by {host.name} ({operator}{where})"
    if host.region:
        where = _country(host.region_country, host.region_country_name) if host.region_country else "global routing"
        text += f" in region {host.region_name or host.region} ({where})."
    else:
        text += "; no serving region is on record."
    countries = tuple(dict.fromkeys(c for c in (host.country, host.region_country) if c))
    return text, countries


def _licences_text(usage: UsageClaims) -> str:
    known = [f"{node.id}: {node.license}" for node in usage.nodes if node.license]
    unknown = [node.id for node in usage.nodes if not node.license]
    text = f"Licences along the chain: {'; '.join(known)}." if known else "No licence is on record along the chain."
    if known and unknown:
        text += f" No licence is on record for {', '.join(unknown)}."
    return text


def _datasets_text(usage: UsageClaims) -> str:
    if not usage.datasets:
        return "No training or fine-tuning dataset is named anywhere along the chain."
    return f"Datasets named along the chain: {', '.join(usage.datasets)}."


def claim_list(snapshot: AttestationClaims) -> list[Claim]:
    """Every claim of the request, product by product, usage by usage, in a fixed order."""
    claims: list[Claim] = []
    for product in snapshot.products:
        for usage in product.usages:

            def claim(suffix: str, kind: str, text: str, *, usage=usage, product=product, **rest) -> Claim:
                claim_id = f"u{usage.id}.{suffix}"
                return Claim(claim_id, kind, product.id, product.name, usage.id, usage.model, text, **rest)

            role = _ROLES.get(usage.role, usage.role)
            share = f", routed {usage.share}% of its traffic" if usage.share else ""
            claims.append(
                claim(
                    "model",
                    ClaimKind.MODEL,
                    f"{product.name} uses {usage.model} ({_KINDS.get(usage.model_kind, usage.model_kind)}) as its "
                    f"{role}{share}.",
                )
            )
            claims.append(claim("lineage", ClaimKind.LINEAGE, _lineage_text(usage), base_models=usage.roots))
            for index, node in enumerate(usage.nodes):
                claims.append(claim(f"node.{index}", ClaimKind.PUBLISHER, _publisher_text(usage, node.id)))
            hosting, countries = _hosting_text(usage, product.name)
            claims.append(claim("hosting", ClaimKind.HOSTING, hosting, countries=countries))
            claims.append(claim("licences", ClaimKind.LICENCES, _licences_text(usage)))
            claims.append(claim("datasets", ClaimKind.DATASETS, _datasets_text(usage)))
    return claims


def clean_correction(text: str) -> str:
    """A correction as it enters the statement: lines kept, control and direction-override characters removed,
    each line trimmed, at most ``MAX_CORRECTION`` characters."""
    lines = [clean_text(line, MAX_CORRECTION) for line in (text or "").replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line)[:MAX_CORRECTION].strip()


def clean_names(values: Iterable[str], *, upper: bool = False) -> tuple[str, ...]:
    """Base model ids or country codes as typed (one per item), cleaned, de-duplicated, bounded."""
    names: dict[str, None] = {}
    for value in values:
        name = clean_text(value, 200)
        if name:
            names.setdefault(name.upper() if upper else name)
    return tuple(names)[:MAX_NAMED]


def _response_text(claim: Claim, response: Response | None) -> list[str]:
    if response is None:
        return ["   Response: none"]
    if response.confirmed:
        return ["   Response: confirmed"]
    lines = ["   Response: corrected"]
    lines += [f"   | {line}" for line in response.correction.split("\n")]
    if response.base_models:
        lines.append(f"   Base (root) models stated: {', '.join(response.base_models)}")
    if response.countries:
        lines.append(f"   Serving countries stated: {', '.join(response.countries)}")
    return lines


def statement_text(
    reference: str,
    snapshot: AttestationClaims,
    responses: Mapping[str, Response] | None = None,
    signature: Signature | None = None,
) -> str:
    """The statement as plain text (``\\n`` line ends, final newline): the claims, then, once signed, each
    response and the signature. This exact text is what the SHA-256 of a signed attestation covers."""
    scope = "all active products" if snapshot.scope == "vendor" else "one product"
    lines = [
        "Attestation of the AI model supply chain",
        f"Request: {reference}",
        f"Vendor: {snapshot.vendor_name} ({_country(snapshot.vendor_country, snapshot.vendor_country_name)})",
        f"Scope: {scope}",
        f"Facts as of: {snapshot.as_of}",
    ]
    current = None
    for number, claim in enumerate(claim_list(snapshot), start=1):
        if claim.product_id != current:
            current = claim.product_id
            lines += ["", f"Product: {claim.product_name}"]
        lines.append(f"{number}. [{claim.id}] {claim.text}")
        if responses is not None:
            lines += _response_text(claim, responses.get(claim.id))
    if signature is not None:
        lines += [
            "",
            "I confirm the claims above except where corrected, to the best of my knowledge, on behalf of the vendor.",
            f"Signed by: {signature.name}",
            f"Title: {signature.title}",
        ]
        if signature.email:
            lines.append(f"Email: {signature.email}")
        lines.append(f"Signed at: {signature.signed_at}")
    return "\n".join(lines) + "\n"


def statement_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def missing_responses(claims: Sequence[Claim], responses: Mapping[str, Response]) -> list[Claim]:
    """Claims with no response, or corrected without saying what is wrong."""
    return [
        c
        for c in claims
        if c.id not in responses or (not responses[c.id].confirmed and not (responses[c.id].correction or "").strip())
    ]


def declared_claims(claims: Sequence[Claim], responses: Mapping[str, Response]) -> dict[int, Claims]:
    """What the vendor's signature declares about each usage, to be checked against the lineage like
    questionnaire answers: the base (root) models and the serving countries, as confirmed or as corrected.
    A correction that names none declares nothing checkable (its text is kept for the analyst)."""
    base: dict[int, tuple[str, ...]] = {}
    countries: dict[int, tuple[str, ...]] = {}
    for claim in claims:
        response = responses.get(claim.id)
        if response is None or claim.kind not in ClaimKind.STRUCTURED:
            continue
        if claim.kind == ClaimKind.LINEAGE:
            base[claim.usage_id] = claim.base_models if response.confirmed else response.base_models
        else:
            countries[claim.usage_id] = claim.countries if response.confirmed else response.countries
    return {
        usage_id: Claims(base_models=base.get(usage_id, ()), hosting_countries=countries.get(usage_id, ()))
        for usage_id in dict.fromkeys(c.usage_id for c in claims)
    }
