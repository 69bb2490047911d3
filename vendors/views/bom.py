"""Model Bills of Materials on the pages: a product's MBOM and a vendor's (a zip of its products') to download,
and what changed between two versions of a product's MBOM, shown on the product's page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from assessments.selectors import mbom_risk
from vendors import bom, selectors, services
from vendors.models import BomVersion, Product, Vendor
from vendors.views.base import Guarded


def _options(request) -> dict:
    fmt = request.GET.get("format", "cyclonedx")
    spec = request.GET.get("spec", "1.6")
    if fmt not in bom.FORMATS or spec not in bom.SPECS:
        raise Http404("No such MBOM format.")
    return {"fmt": fmt, "spec": spec, "risk": mbom_risk, "include_rating": request.GET.get("rating") == "1"}


def _download(document: selectors.MbomFile) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.media_type)
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    return response


class ProductMbomView(Guarded, View):
    """``?format=cyclonedx|spdx&spec=1.6|1.7&rating=1``: the product's MBOM as a file."""

    permission_required = "vendors.view_product"

    def get(self, request, pk: int):
        product = get_object_or_404(Product.objects.select_related("vendor"), pk=pk)
        return _download(selectors.product_mbom(product, **_options(request)))


class VendorMbomView(Guarded, View):
    """A zip with one MBOM per product the vendor still offers."""

    permission_required = "vendors.view_vendor"

    def get(self, request, pk: int):
        vendor = get_object_or_404(Vendor, pk=pk)
        return _download(selectors.vendor_mbom_zip(vendor, **_options(request)))


def mbom_context(request, product: Product) -> dict:
    """The product page's MBOM section: the versions, and the difference between the two asked for (by default
    the latest and the one before it)."""
    versions = list(selectors.bom_versions_for(product)[:50])
    context: dict = {"bom_versions": versions, "bom_imports": list(selectors.bom_imports_for(product)[:5])}
    if request.user.has_perm("vendors.add_modelusage") and not product.is_retired:
        context["mbom_import_url"] = reverse("vendors:product_mbom_import", args=[product.pk])
    if len(versions) < 2:
        return context
    try:
        new = int(request.GET.get("bom_to") or versions[0].number)
        old = int(request.GET.get("bom_from") or versions[1].number)
    except ValueError:
        context["bom_diff_error"] = "Choose two version numbers."
        return context
    try:
        context["bom_diff"] = selectors.bom_version_diff(product, old, new)
    except BomVersion.DoesNotExist as error:
        message = str(error)
        context["bom_diff_error"] = f"{message[:1].upper()}{message[1:]}."
        return context
    context["bom_diff_from"], context["bom_diff_to"] = old, new
    return context


class ProductMbomImportView(Guarded, View):
    """POST a vendor's CycloneDX BOM (a file) for the product; back to the product page with what happened."""

    permission_required = "vendors.add_modelusage"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        product = get_object_or_404(Product.objects.select_related("vendor"), pk=pk)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose the vendor's CycloneDX BOM file to import.")
            return redirect(f"{product.get_absolute_url()}#mbom")
        content = upload.read(settings.MBOM_IMPORT_MAX_BYTES + 1)  # past the limit the service refuses it
        try:
            record = services.bom_import(product=product, content=content, file_name=upload.name, user=request.user)
        except ValidationError as error:
            messages.error(request, "The BOM was not imported; nothing was saved.")
            for message in error.messages:
                messages.error(request, message)
            return redirect(f"{product.get_absolute_url()}#mbom")
        messages.success(
            request,
            f"Imported {upload.name}: {len(record.usages_added)} model usage(s) added, "
            f"{len(record.parents_declared)} parent(s) declared. The lineage is being resolved and rated.",
        )
        return redirect(f"{product.get_absolute_url()}#mbom")
