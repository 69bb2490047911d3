"""The vendor portal for an attestation request: enter with the token, confirm or correct each claim, sign with
name and title, then read and download the signed statement. Writes go through the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from assessments import services
from assessments.attestation import ClaimKind, claim_list, missing_responses, snapshot_from_json
from assessments.documents import attestation_request_pdf, claim_sections
from assessments.models import AttestationLink, AttestationRequest
from assessments.views.attestations import pdf_response, signed_pdf_response
from assessments.views.portal_base import PortalEntryView, PortalSessionMixin
from riskregistry.client_ip import client_ip


class AttestationEnterView(PortalEntryView):
    link_model = AttestationLink

    def clean_url(self, link: AttestationLink) -> str:
        return reverse("portal:attestation", args=[link.request_id])


def _split(value: str) -> list[str]:
    return [part for part in value.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def parse_responses(post, claim_ids) -> dict[str, dict]:
    """The posted form as the service reads it: ``c:<id>`` confirm|correct, ``t:<id>`` the correction,
    ``b:<id>`` base models and ``n:<id>`` countries (comma-separated)."""
    raw = {}
    for claim_id in claim_ids:
        choice = post.get(f"c:{claim_id}")
        if choice not in ("confirm", "correct"):
            continue
        raw[claim_id] = {
            "confirmed": choice == "confirm",
            "correction": post.get(f"t:{claim_id}", ""),
            "base_models": _split(post.get(f"b:{claim_id}", "")),
            "countries": _split(post.get(f"n:{claim_id}", "")),
        }
    return raw


def _names_key(claim) -> str:
    return f"{'b' if claim.kind == ClaimKind.LINEAGE else 'n'}:{claim.id}"


def typed_responses(post, claims) -> dict[str, dict]:
    """Everything typed per claim, complete or not, as a draft keeps it: ``{claim_id: {choice, correction,
    names}}``."""
    return {
        claim.id: {
            "choice": post.get(f"c:{claim.id}", ""),
            "correction": post.get(f"t:{claim.id}", ""),
            "names": post.get(_names_key(claim), ""),
        }
        for claim in claims
    }


def draft_as_posted(draft, claims) -> dict:
    """A saved draft in the shape of a posted form, to fill the page again."""
    posted = {"name": draft.signer_name, "title": draft.signer_title, "email": draft.signer_email}
    for claim in claims:
        row = draft.responses.get(claim.id) or {}
        posted |= {f"c:{claim.id}": row.get("choice", ""), f"t:{claim.id}": row.get("correction", "")}
        posted[_names_key(claim)] = row.get("names", "")
    return posted


class AttestationPortalView(PortalSessionMixin, View):
    """GET: the claims to confirm or correct, filled with the saved draft (or, once signed, what was signed);
    POST: save the draft (``action=save``), or save it and sign."""

    link_model = AttestationLink
    template_name = "portal/attestation.html"

    def _request(self) -> AttestationRequest:
        return AttestationRequest.objects.select_related("vendor", "product", "attestation", "draft").get(
            pk=self.subject.pk
        )

    def render_page(self, request, *, posted=None, errors=None, status=200):
        attestation_request = self._request()
        attestation = getattr(attestation_request, "attestation", None)
        snapshot = snapshot_from_json(attestation_request.claims)
        draft = getattr(attestation_request, "draft", None) if attestation is None else None
        if posted is None and draft is not None:
            posted = draft_as_posted(draft, claim_list(snapshot))
        posted, errors = posted or {}, errors or {}
        sections = claim_sections(snapshot, attestation.response_map() if attestation else None)
        for section in sections:
            for usage in section.usages:
                usage.rows = [
                    {
                        "number": number,
                        "claim": claim,
                        "response": response,
                        "choice": posted.get(f"c:{claim.id}", ""),
                        "text": posted.get(f"t:{claim.id}", ""),
                        "names": posted.get(f"{'b' if claim.kind == ClaimKind.LINEAGE else 'n'}:{claim.id}", ""),
                        "structured": claim.kind in ClaimKind.STRUCTURED,
                        "lineage": claim.kind == ClaimKind.LINEAGE,
                        "error": errors.get(claim.id, ""),
                    }
                    for number, claim, response in usage.claims
                ]
        context = {
            "req": attestation_request,
            "snapshot": snapshot,
            "sections": sections,
            "attestation": attestation,
            "draft": draft,
            "posted": posted,
            "errors": errors,
            "claim_errors": sum(1 for key in errors if key.startswith("u")),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page(request)

    def post(self, request, pk):
        attestation_request = self._request()
        if attestation_request.status != AttestationRequest.Status.OPEN:
            messages.error(request, "This request can no longer be signed.")
            return self.render_page(request, status=409)
        snapshot = snapshot_from_json(attestation_request.claims)
        claims = claim_list(snapshot)
        try:
            # The draft is saved in its own transaction: a refused signature keeps everything typed.
            services.attestation_draft_save(
                request=attestation_request,
                responses=typed_responses(request.POST, claims),
                name=request.POST.get("name", ""),
                title=request.POST.get("title", ""),
                email=request.POST.get("email", ""),
                address=client_ip(request),
            )
        except ValidationError:
            messages.error(request, "This request can no longer be signed.")
            return self.render_page(request, status=409)
        if request.POST.get("action") == "save":
            messages.success(request, "Draft saved. Nothing is signed yet: come back with your link to continue.")
            return redirect("portal:attestation", pk=attestation_request.pk)
        claim_ids = [claim.id for claim in claims]
        raw = parse_responses(request.POST, claim_ids)
        posted = {
            **{f"c:{cid}": "confirm" if r["confirmed"] else "correct" for cid, r in raw.items()},
            **{k: v for k, v in request.POST.items() if k[:2] in ("t:", "b:", "n:")},
            **{k: request.POST.get(k, "") for k in ("name", "title", "email")},
            "authorised": request.POST.get("authorised") == "on",
        }
        errors: dict[str, str] = {}
        if request.POST.get("authorised") != "on":
            errors["authorised"] = "Confirm that you may sign for the vendor."
        try:
            responses = services.responses_clean(raw)
        except ValidationError as error:
            errors.update({key: " ".join(value) for key, value in error.message_dict.items()})
            responses = {}
        for claim in missing_responses(claim_list(snapshot), responses):
            errors.setdefault(
                claim.id,
                "Say what is wrong or missing in this claim." if claim.id in raw else "Confirm or correct this claim.",
            )
        if not errors:
            try:
                services.attestation_sign(
                    request=attestation_request,
                    responses=responses,
                    name=request.POST.get("name", ""),
                    title=request.POST.get("title", ""),
                    email=request.POST.get("email", ""),
                    address=client_ip(request),
                )
            except ValidationError as error:
                errors.update({key: " ".join(value) for key, value in error.message_dict.items()})
        if errors:
            messages.error(request, "Please complete the highlighted items; nothing was signed yet.")
            return self.render_page(request, posted=posted, errors=errors, status=400)
        messages.success(request, "Signed. Thank you: the signed statement is below and can be downloaded.")
        return redirect("portal:attestation", pk=attestation_request.pk)


class AttestationPortalPdfView(PortalSessionMixin, View):
    """The request PDF, or the signed PDF once signed (checked against its checksum)."""

    link_model = AttestationLink

    def get(self, request, pk, kind):
        attestation_request = AttestationRequest.objects.select_related("vendor", "attestation").get(pk=self.subject.pk)
        if kind == "signed":
            attestation = getattr(attestation_request, "attestation", None)
            if attestation is None:
                return redirect("portal:attestation", pk=pk)
            return signed_pdf_response(attestation)
        return pdf_response(attestation_request_pdf(attestation_request), f"{attestation_request.reference}.pdf")
