"""Analyst actions on an attestation request's portal link: send it to the vendor's contacts (or reissue it: the
old link then answers 410), and revoke it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from assessments.forms_attestations import AttestationLinkSendForm
from assessments.models import AttestationLink, AttestationRequest
from assessments.services import attestation_links
from vendors.views.base import Guarded


class AttestationLinkSendView(Guarded, View):
    permission_required = "assessments.change_attestationrequest"
    http_method_names = ["post"]

    def post(self, request, pk):
        attestation_request = get_object_or_404(AttestationRequest.objects.select_related("vendor"), pk=pk)
        form = AttestationLinkSendForm(request.POST, vendor=attestation_request.vendor)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["contacts"]))
            return redirect(attestation_request)
        contacts = form.cleaned_data["contacts"]
        reissue = attestation_request.links.filter(superseded_at__isnull=True, revoked_at__isnull=True).exists()
        reason = AttestationLink.Reason.REISSUE if reissue else AttestationLink.Reason.SEND
        try:
            _link, url = attestation_links.attestation_link_send(
                request=attestation_request, contacts=contacts, by=request.user, reason=reason
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            sent_to = ", ".join(contact.email for contact in contacts)
            messages.success(
                request,
                f"Link {'reissued' if reissue else 'sent'} to {sent_to}. It is shown here once: {url}",
            )
        return redirect(attestation_request)


class AttestationLinkRevokeView(Guarded, View):
    permission_required = "assessments.change_attestationrequest"
    http_method_names = ["post"]

    def post(self, request, pk):
        attestation_request = get_object_or_404(AttestationRequest, pk=pk)
        if attestation_links.attestation_link_revoke(request=attestation_request, by=request.user):
            messages.success(request, "Link revoked: it now answers 410. Send a new one if needed.")
        else:
            messages.info(request, "There was no live link to revoke.")
        return redirect(attestation_request)
