"""Attestations: asking a vendor to confirm what we resolved, and recording its signature for good.

A request snapshots the claims when it is made; signing checks every claim has a response, writes the exact
statement, its SHA-256 and the signed PDF with its own SHA-256, and never changes afterwards. What the vendor
confirmed or corrected then counts in the rating of every usage the request covers (rescored after commit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assessments import selectors
from assessments.attestation import (
    MAX_CORRECTION,
    Response,
    Signature,
    claim_list,
    clean_correction,
    clean_names,
    missing_responses,
    snapshot_from_json,
    statement_sha256,
    statement_text,
)
from assessments.documents import attestation_signed_pdf
from assessments.models import Attestation, AttestationCoverage, AttestationDraft, AttestationRequest
from assessments.selectors.attestations import attestation_claims
from assessments.services.rescoring import ratings_refresh_request
from assessments.signals import attestation_signed_announce
from riskregistry.pdf import PdfAttachment
from vendors.lineage.sanitize import clean_text
from vendors.models import Product, Vendor
from vendors.selectors import products_mbom

#: The furthest a deadline may be set.
MAX_DEADLINE_DAYS = 366


def today() -> date:
    return timezone.now().astimezone(UTC).date()


@transaction.atomic
def attestation_request_create(
    *,
    vendor: Vendor | None = None,
    product: Product | None = None,
    deadline: date,
    message: str = "",
    by=None,
) -> AttestationRequest:
    """Ask a vendor to attest what we resolved about all its active products, or about one product, by
    ``deadline``. The claims are read now, from the stored lineage, and kept with the request."""
    if (vendor is None) == (product is None):
        raise ValidationError("Ask about a vendor (all its active products) or about one product.")
    errors: dict[str, str] = {}
    first = today()
    if deadline <= first:
        errors["deadline"] = "The deadline must be after today."
    elif deadline > first + timedelta(days=MAX_DEADLINE_DAYS):
        errors["deadline"] = f"The deadline must be within {MAX_DEADLINE_DAYS} days."
    if len(message) > 2000:
        errors["message"] = "Keep the note under 2,000 characters."
    if product is not None and product.status != Product.Status.ACTIVE:
        errors["__all__"] = "This product is retired: there is nothing to attest."
    claims = attestation_claims(vendor=vendor, product=product)
    if not errors and not claims.usage_ids:
        errors["__all__"] = (
            "No model usage is registered for this product."
            if product is not None
            else "None of this vendor's active products has a model usage registered."
        )
    if errors:
        raise ValidationError(errors)
    request = AttestationRequest(
        vendor=vendor or product.vendor,
        product=product,
        scope=AttestationRequest.Scope.PRODUCT if product is not None else AttestationRequest.Scope.VENDOR,
        claims=claims.to_json(),
        claim_count=len(claim_list(claims)),
        deadline=deadline,
        message=clean_correction(message),
        created_by=by,
    )
    request._change_reason = "Requested"
    request.full_clean()
    request.save()
    AttestationCoverage.objects.bulk_create(
        AttestationCoverage(request=request, usage_id=usage_id) for usage_id in claims.usage_ids
    )
    return request


@transaction.atomic
def attestation_request_cancel(*, request: AttestationRequest, by=None) -> AttestationRequest:
    """Withdraw an open request (it stays on record, marked cancelled)."""
    request.status = AttestationRequest.objects.select_for_update().values_list("status", flat=True).get(pk=request.pk)
    if request.status != AttestationRequest.Status.OPEN:
        raise ValidationError(f"A {request.get_status_display().lower()} request cannot be cancelled.")
    request.status, request.cancelled_at, request.cancelled_by = AttestationRequest.Status.CANCELLED, timezone.now(), by
    request._change_reason = "Cancelled"
    request.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
    return request


def responses_clean(raw: Mapping[str, Mapping]) -> dict[str, Response]:
    """Responses as the portal or a script sends them (``{claim_id: {confirmed, correction, base_models,
    countries}}``), cleaned: text bounded and stripped of control characters, names de-duplicated."""
    cleaned = {}
    for claim_id, data in raw.items():
        correction = data.get("correction") or ""
        if len(correction) > MAX_CORRECTION:
            raise ValidationError({claim_id: f"Keep a correction under {MAX_CORRECTION} characters."})
        cleaned[claim_id] = _response_clean(
            Response(
                claim_id=claim_id,
                confirmed=bool(data.get("confirmed")),
                correction=correction,
                base_models=tuple(data.get("base_models") or ()),
                countries=tuple(data.get("countries") or ()),
            )
        )
    return cleaned


def _response_clean(response: Response) -> Response:
    """What enters the statement: a confirmation carries nothing else; a correction's text and names are
    cleaned of control and direction-override characters and bounded."""
    if response.confirmed:
        return Response(response.claim_id, confirmed=True)
    return Response(
        response.claim_id,
        confirmed=False,
        correction=clean_correction(response.correction),
        base_models=clean_names(response.base_models),
        countries=clean_names(response.countries, upper=True),
    )


def _mbom_snapshots(request: AttestationRequest, now: datetime) -> list[PdfAttachment]:
    """The MBOM (CycloneDX 1.6) of each product the request covers, as of the signature, to attach to the PDF."""
    product_ids = set(request.coverage.values_list("usage__product_id", flat=True))
    if not product_ids and request.product_id:
        product_ids = {request.product_id}
    documents = products_mbom(Product.objects.filter(pk__in=product_ids), now=now)
    return [
        PdfAttachment(
            name=d.file_name, data=d.content, description="The product's MBOM when the attestation was signed"
        )
        for d in documents
    ]


@transaction.atomic
def attestation_draft_save(
    *,
    request: AttestationRequest,
    responses: Mapping[str, Mapping],
    name: str = "",
    title: str = "",
    email: str = "",
    address: str | None = None,
) -> AttestationDraft:
    """Keep what the vendor typed on the signing page (``{claim_id: {choice, correction, names}}`` and the
    signer's fields) so a reload, a new link or an expired session loses nothing. Only an open request takes a
    draft; anything typed is kept as typed (cleaned of control characters and bounded), never checked: checking
    is for signing."""
    locked = AttestationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != AttestationRequest.Status.OPEN:
        raise ValidationError(f"This request is {locked.get_status_display().lower()}: its draft no longer changes.")
    known = {claim.id for claim in claim_list(snapshot_from_json(locked.claims))}
    kept = {}
    for claim_id, row in responses.items():
        if claim_id not in known:
            continue
        choice = row.get("choice") if row.get("choice") in ("confirm", "correct") else ""
        correction = clean_correction(str(row.get("correction") or "")[: MAX_CORRECTION * 2])
        names = clean_text(str(row.get("names") or ""), MAX_CORRECTION)
        if choice or correction or names:
            kept[claim_id] = {"choice": choice, "correction": correction, "names": names}
    draft = AttestationDraft.objects.select_for_update().filter(request=locked).first() or AttestationDraft(
        request=locked
    )
    draft.responses = kept
    draft.signer_name, draft.signer_title, draft.signer_email = (clean_text(v, 200) for v in (name, title, email))
    draft.saved_at, draft.saved_from = timezone.now(), address or None
    draft.full_clean()
    draft.save()
    return draft


@transaction.atomic
def attestation_sign(
    *,
    request: AttestationRequest,
    responses: Mapping[str, Response],
    name: str,
    title: str,
    email: str = "",
    address: str | None = None,
    now: datetime | None = None,
) -> Attestation:
    """Record the vendor's signature: every claim confirmed or corrected (a correction says what is wrong). The
    statement text, its SHA-256, the signed PDF and its SHA-256 are stored, and the request is marked signed;
    the covered usages are rescored and the analyst told after commit."""
    requests = AttestationRequest.objects.select_for_update(of=("self",)).select_related("vendor", "product")
    locked = requests.get(pk=request.pk)
    if locked.status != AttestationRequest.Status.OPEN:
        raise ValidationError(f"This request is {locked.get_status_display().lower()}: it can no longer be signed.")
    name, title, email = (clean_text(value, 200) for value in (name, title, email))
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Type your full name to sign."]
    if not title:
        errors["title"] = ["Type your title (your role at the vendor)."]
    snapshot = snapshot_from_json(locked.claims)
    claims = claim_list(snapshot)
    known = {c.id for c in claims}
    responses = {claim_id: _response_clean(r) for claim_id, r in responses.items() if claim_id in known}
    for claim in missing_responses(claims, responses):
        errors[claim.id] = [
            "Say what is wrong or missing in this claim." if claim.id in responses else "Confirm or correct this claim."
        ]
    if errors:
        raise ValidationError(errors)
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    signature = Signature(name=name, title=title, signed_at=now.isoformat(), email=email)
    statement = statement_text(locked.reference, snapshot, responses, signature)
    digest = statement_sha256(statement)
    ordered = [responses[c.id] for c in claims]
    pdf = attestation_signed_pdf(
        locked,
        responses=responses,
        signature=signature,
        statement=statement,
        statement_sha256=digest,
        signed_at=now,
        mboms=_mbom_snapshots(locked, now),
    )
    policy = selectors.policy_current()
    attestation = Attestation(
        request=locked,
        signer_name=name,
        signer_title=title,
        signer_email=email,
        signed_at=now,
        signed_from=address or None,
        responses=[r.to_json() for r in ordered],
        corrected_count=sum(1 for r in ordered if not r.confirmed),
        statement=statement,
        statement_sha256=digest,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        expires_at=now + timedelta(days=policy.attestation_max_age_days),
    )
    attestation.pdf.save(f"{locked.reference}-signed-{digest[:12]}.pdf", ContentFile(pdf), save=False)
    attestation.full_clean()
    attestation.save()
    locked.status = AttestationRequest.Status.SIGNED
    locked._change_reason = f"Signed by {name}, {title}"[:100]
    locked.save(update_fields=["status", "updated_at"])
    usage_ids = list(locked.coverage.values_list("usage_id", flat=True))
    if usage_ids:
        ratings_refresh_request(usage_ids=usage_ids)
    from assessments import tasks

    tasks.attestation_signed_notify.delay_on_commit(attestation.pk)
    attestation_signed_announce(attestation)
    request.status = locked.status
    return attestation


def attestation_signed_notify(*, attestation_id: int) -> int:
    """Tell the analyst who made the request that the vendor signed it (returns the number of emails sent)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from riskregistry.pdf import site_url

    attestation = (
        Attestation.objects.select_related("request__vendor", "request__created_by").filter(pk=attestation_id).first()
    )
    if attestation is None:
        return 0
    request = attestation.request
    to = request.created_by.email if request.created_by and request.created_by.email else ""
    if not to:
        return 0
    context = {"attestation": attestation, "request": request, "url": site_url() + request.get_absolute_url()[1:]}
    subject = f"Attestation {request.reference} signed by {request.vendor.name}"
    if attestation.corrected_count:
        subject += f" ({attestation.corrected_count} correction{'s' if attestation.corrected_count > 1 else ''})"
    return send_mail(
        subject.replace("\n", " ")[:200],
        render_to_string("assessments/email/attestation_signed.txt", context),
        None,
        [to],
    )
