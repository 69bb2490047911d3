"""The attestation PDFs: the request (cover letter, the claims product by product, the deadline, how to respond)
and the signed attestation (each claim with the vendor's response, the signature, the statement's SHA-256).

Both are Django templates rendered to HTML (autoescaped: hub and vendor text cannot become markup or a URL) and
laid out by ``riskregistry.pdf.render_pdf``, which fetches nothing but the app's static files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string

from assessments.attestation import (
    AttestationClaims,
    Claim,
    Response,
    Signature,
    claim_list,
    snapshot_from_json,
)
from assessments.models import AttestationRequest
from riskregistry.pdf import PdfAttachment, PdfMetadata, render_pdf, site_url


@dataclass
class UsageSection:
    model: str
    claims: list[tuple[int, Claim, Response | None]] = field(default_factory=list)


@dataclass
class ProductSection:
    id: int
    name: str
    usages: list[UsageSection] = field(default_factory=list)


def claim_sections(
    snapshot: AttestationClaims, responses: Mapping[str, Response] | None = None
) -> list[ProductSection]:
    """The claims numbered as in the statement, grouped by product and model usage (products with no model
    usage are listed with none)."""
    sections = {p.id: ProductSection(p.id, p.name) for p in snapshot.products}
    usages: dict[int, UsageSection] = {}
    for number, claim in enumerate(claim_list(snapshot), start=1):
        if claim.usage_id not in usages:
            usages[claim.usage_id] = UsageSection(claim.model)
            sections[claim.product_id].usages.append(usages[claim.usage_id])
        usages[claim.usage_id].claims.append((number, claim, (responses or {}).get(claim.id)))
    return list(sections.values())


def _context(request: AttestationRequest, snapshot: AttestationClaims) -> dict:
    return {
        "request": request,
        "snapshot": snapshot,
        "sections": claim_sections(snapshot),
        "site_url": site_url(),
        "claim_total": len(claim_list(snapshot)),
    }


def attestation_request_html(request: AttestationRequest) -> str:
    snapshot = snapshot_from_json(request.claims)
    return render_to_string("assessments/pdf/attestation_request.html", _context(request, snapshot))


def attestation_request_pdf(request: AttestationRequest, *, html: str | None = None) -> bytes:
    """The request as a PDF (the same request always gives the same bytes); the claims ride along as JSON."""
    return render_pdf(
        html if html is not None else attestation_request_html(request),
        metadata=PdfMetadata(
            title=f"Attestation request {request.reference}: {request.vendor.name}",
            created=request.created_at,
            description=f"Please confirm or correct each claim by {request.deadline:%Y-%m-%d}.",
            keywords=("attestation", "AI supply chain"),
        ),
        attachments=[
            PdfAttachment(
                name="claims.json",
                data=json.dumps(request.claims, ensure_ascii=False, indent=1, sort_keys=True).encode(),
                description="The claims of this request, as data",
            )
        ],
    )


def attestation_signed_pdf(
    request: AttestationRequest,
    *,
    responses: Mapping[str, Response],
    signature: Signature,
    statement: str,
    statement_sha256: str,
    signed_at: datetime,
    mboms: Sequence[PdfAttachment] = (),
) -> bytes:
    """The signed attestation: every claim with its response, the signature and the hash of the statement
    (attached as ``statement.txt``, so anyone can check the hash), and the covered products' MBOMs as they stood
    when it was signed."""
    snapshot = snapshot_from_json(request.claims)
    context = {
        **_context(request, snapshot),
        "sections": claim_sections(snapshot, responses),
        "signature": signature,
        "statement_sha256": statement_sha256,
        "corrected": sum(1 for r in responses.values() if not r.confirmed),
    }
    html = render_to_string("assessments/pdf/attestation_signed.html", context)
    return render_pdf(
        html,
        metadata=PdfMetadata(
            title=f"Signed attestation {request.reference}: {request.vendor.name}",
            created=signed_at,
            authors=(signature.name,),
            description=f"Statement SHA-256 {statement_sha256}",
            keywords=("attestation", "signed"),
        ),
        attachments=[
            PdfAttachment(
                name="statement.txt",
                data=statement.encode("utf-8"),
                description=f"The exact statement signed; SHA-256 {statement_sha256}",
            ),
            *mboms,
        ],
    )
