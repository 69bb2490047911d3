"""The analysts' attestation pages: ask a vendor (all its active products) or one product to attest, the list of
requests, one request with its claims and, once signed, every response and the signature; the request PDF
and the signed PDF as downloads. Views validate with forms and write through the services."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from assessments import selectors, services
from assessments.api.serializers import AttestationRequestSerializer
from assessments.attestation import snapshot_from_json
from assessments.documents import attestation_request_pdf, claim_sections
from assessments.filters import AttestationRequestFilterSet
from assessments.forms_attestations import AttestationRequestForm
from assessments.models import AttestationRequest
from vendors.models import Product, Vendor
from vendors.views.base import PAGE_SIZE, CsvExportMixin, Guarded, form_errors_from

logger = logging.getLogger(__name__)


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class AttestationRequestListView(Guarded, CsvExportMixin, FilterView):
    permission_required = "assessments.view_attestationrequest"
    csv_serializer, csv_filename = AttestationRequestSerializer, "attestation-requests.csv"
    filterset_class = AttestationRequestFilterSet
    template_name = "assessments/attestation_request_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.attestation_request_queryset()

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "today": _today()}


class AttestationRequestCreateView(Guarded, FormView):
    """From a vendor's page (``vendor_pk``: all its active products) or a product's page (``product_pk``)."""

    permission_required = "assessments.add_attestationrequest"
    form_class = AttestationRequestForm
    template_name = "assessments/attestation_request_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():  # 403 before 404
            return self.handle_no_permission()
        self.vendor = self.product = None
        if "product_pk" in kwargs:
            self.product = get_object_or_404(Product.objects.select_related("vendor"), pk=kwargs["product_pk"])
        else:
            self.vendor = get_object_or_404(Vendor, pk=kwargs["vendor_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return AttestationRequestForm.initial_for(_today())

    def get_context_data(self, **kwargs):
        claims = selectors.attestation_claims(vendor=self.vendor, product=self.product)
        return {
            **super().get_context_data(**kwargs),
            "vendor": self.vendor or self.product.vendor,
            "product": self.product,
            "sections": claim_sections(claims),
            "usage_count": len(claims.usage_ids),
        }

    def form_valid(self, form):
        try:
            request = services.attestation_request_create(
                vendor=self.vendor,
                product=self.product,
                deadline=form.cleaned_data["deadline"],
                message=form.cleaned_data["message"],
                by=self.request.user,
            )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Attestation request {request.reference} recorded with {request.claim_count} claims. "
            "Download its PDF for the vendor below.",
        )
        return redirect(request)


class AttestationRequestDetailView(Guarded, DetailView):
    permission_required = "assessments.view_attestationrequest"
    template_name = "assessments/attestation_request_detail.html"
    context_object_name = "attestation_request"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.attestation_request_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        request = self.object
        attestation = getattr(request, "attestation", None)
        responses = attestation.response_map() if attestation else None
        can_change = self.request.user.has_perm("assessments.change_attestationrequest")
        now = timezone.now()
        links = list(request.links.select_related("issued_by"))
        for link in links:
            link.state_now = link.state(now)
        return {
            **super().get_context_data(**kwargs),
            "snapshot": snapshot_from_json(request.claims),
            "sections": claim_sections(snapshot_from_json(request.claims), responses),
            "attestation": attestation,
            "today": _today(),
            "history": request.history.select_related("history_user").order_by("history_date", "history_id"),
            "can_cancel": can_change and request.status == AttestationRequest.Status.OPEN,
            "can_send": can_change and request.status == AttestationRequest.Status.OPEN,
            "links": links,
            "live_link": any(link.state_now == "live" for link in links),
            "contacts": list(request.vendor.contacts.all()),
        }


class AttestationRequestPdfView(Guarded, View):
    """The request as the vendor receives it (rendered from the stored claims: the same bytes every time)."""

    permission_required = "assessments.view_attestationrequest"

    def get(self, request, pk):
        attestation_request = get_object_or_404(selectors.attestation_request_queryset(), pk=pk)
        pdf = attestation_request_pdf(attestation_request)
        return pdf_response(pdf, f"{attestation_request.reference}-request.pdf")


class AttestationSignedPdfView(Guarded, View):
    """The signed PDF as stored, after checking it still matches the checksum taken when it was signed."""

    permission_required = "assessments.view_attestation"

    def get(self, request, pk):
        attestation_request = get_object_or_404(selectors.attestation_request_queryset(), pk=pk)
        attestation = getattr(attestation_request, "attestation", None)
        if attestation is None:
            return HttpResponse("This request has not been signed.", status=404, content_type="text/plain")
        return signed_pdf_response(attestation)


def signed_pdf_response(attestation) -> HttpResponse:
    """The stored signed PDF; refused (500, logged) if its bytes no longer match the recorded SHA-256."""
    with attestation.pdf.open("rb") as file:
        data = file.read()
    if hashlib.sha256(data).hexdigest() != attestation.pdf_sha256:
        logger.error("Signed PDF of attestation %s does not match its checksum", attestation.pk)
        return HttpResponse(
            "The stored PDF does not match the checksum recorded when it was signed.",
            status=500,
            content_type="text/plain",
        )
    return pdf_response(data, f"{attestation.request.reference}-signed.pdf")


class AttestationRequestCancelView(Guarded, View):
    permission_required = "assessments.change_attestationrequest"
    http_method_names = ["post"]

    def post(self, request, pk):
        attestation_request = get_object_or_404(AttestationRequest, pk=pk)
        try:
            services.attestation_request_cancel(request=attestation_request, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Attestation request {attestation_request.reference} cancelled.")
        return redirect(attestation_request)
