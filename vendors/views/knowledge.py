"""The knowledge base seen by analysts: what still needs a publisher, and the vendors that publish their own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from riskregistry import spreadsheets
from vendors import selectors, services
from vendors.models import Vendor
from vendors.views.base import Guarded


class UnknownPublishersView(Guarded, TemplateView):
    permission_required = "vendors.view_publisher"
    template_name = "vendors/unknown_publishers.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # the review queue, to share with whoever identifies them
            header = ["org", "model_count", "used_directly", "examples"]
            rows = (
                [o.org, o.model_count, o.used_directly, spreadsheets.LIST_SEPARATOR.join(o.examples)]
                for o in selectors.unknown_publishers()
            )
            return spreadsheets.csv_response(header, rows, "publishers-to-identify.csv")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "orgs": selectors.unknown_publishers(), "csv_url": "?format=csv"}


class VendorHubOrgAddView(Guarded, View):
    """Mark a hub organisation as the vendor's own (the vendor's publisher role), from the vendor page."""

    permission_required = "vendors.change_vendor"
    http_method_names = ["post"]

    def post(self, request, pk):
        vendor = get_object_or_404(Vendor, pk=pk)
        try:
            org = services.vendor_hub_org_add(vendor=vendor, org_id=request.POST.get("org_id", "")[:300])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{org.org_id} is marked as {vendor.name}'s own: {vendor.name} publishes its models."
            )
        return redirect(reverse("vendors:vendor_detail", args=[vendor.pk]) + "#own-orgs")


class VendorHubOrgRemoveView(Guarded, View):
    permission_required = "vendors.change_vendor"
    http_method_names = ["post"]

    def post(self, request, pk):
        vendor = get_object_or_404(Vendor, pk=pk)
        org_id = request.POST.get("org_id", "")[:300]
        try:
            services.vendor_hub_org_remove(vendor=vendor, org_id=org_id)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{org_id} is no longer marked as {vendor.name}'s own.")
        return redirect(reverse("vendors:vendor_detail", args=[vendor.pk]) + "#own-orgs")
