"""Removing vendors, products and model usages: one confirmation page that says whether the record will be
retired (it has history) or deleted (it has none), and asks why. The services decide; nothing is erased."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView

from vendors import forms, selectors, services
from vendors.models import Product, Vendor
from vendors.services.retirement import describe_records
from vendors.views.base import Guarded, form_errors_from


class _RemovalView(Guarded, FormView):
    """Confirm with a reason, then remove through the service (retired when it has history, else deleted)."""

    form_class = forms.RemovalForm
    template_name = "confirm_remove.html"
    object_type = ""
    retire_only = False  # the archive page: always retire, never delete

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        raise NotImplementedError

    def remove(self, reason: str):
        raise NotImplementedError

    def back_url(self) -> str:
        return self.object.get_absolute_url()

    def done_url(self, removal) -> str:
        return self.back_url()

    def get_context_data(self, **kwargs):
        kept = services.records_depending_on(self.object)
        return {
            **super().get_context_data(**kwargs),
            "object": self.object,
            "object_type": self.object_type,
            "kept": describe_records(kept),
            "will_retire": bool(kept) or self.retire_only,
            "already_retired": self.object.is_retired,
            "cancel_url": self.back_url(),
        }

    def form_valid(self, form):
        try:
            removal = self.remove(form.cleaned_data["reason"])
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        label = f"{self.object_type.capitalize()} {self.object}"
        if removal is None or removal.retired:
            messages.success(self.request, f"{label} retired; its records and history are kept.")
        else:
            messages.success(self.request, f"{label} deleted; the audit trail keeps a record.")
        return redirect(self.done_url(removal))


class VendorRemoveView(_RemovalView):
    permission_required = "vendors.delete_vendor"
    object_type = "vendor"

    def get_object(self):
        return get_object_or_404(Vendor, pk=self.kwargs["pk"])

    def remove(self, reason):
        return services.vendor_remove(vendor=self.object, reason=reason, user=self.request.user)

    def done_url(self, removal):
        return self.back_url() if removal.retired else "vendors:vendor_list"


class VendorArchiveView(_RemovalView):
    permission_required = "vendors.change_vendor"
    object_type = "vendor"
    retire_only = True

    def get_object(self):
        return get_object_or_404(Vendor, pk=self.kwargs["pk"])

    def remove(self, reason):
        services.vendor_retire(vendor=self.object, reason=reason, user=self.request.user)


class ProductRemoveView(_RemovalView):
    permission_required = "vendors.delete_product"
    object_type = "product"

    def get_object(self):
        return get_object_or_404(Product.objects.select_related("vendor"), pk=self.kwargs["pk"])

    def remove(self, reason):
        return services.product_remove(product=self.object, reason=reason, user=self.request.user)

    def done_url(self, removal):
        return self.back_url() if removal.retired else self.object.vendor.get_absolute_url()


class ModelUsageRemoveView(_RemovalView):
    permission_required = "vendors.delete_modelusage"
    object_type = "model usage"

    def get_object(self):
        return get_object_or_404(selectors.model_usage_queryset(), pk=self.kwargs["pk"])

    def back_url(self):
        return self.object.product.get_absolute_url()

    def remove(self, reason):
        return services.model_usage_remove(usage=self.object, reason=reason, user=self.request.user)


class ModelUsageReinstateView(Guarded, FormView):
    """Put a retired usage back in use, with a reason (its retirement stays in the history)."""

    permission_required = "vendors.change_modelusage"
    form_class = forms.ReinstateForm
    template_name = "vendors/confirm_reinstate.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(selectors.model_usage_queryset(), pk=self.kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "usage": self.object, "cancel_url": self.back_url()}

    def back_url(self) -> str:
        return reverse("assessments:usage_detail", args=[self.object.pk])

    def form_valid(self, form):
        try:
            services.model_usage_reinstate(
                usage=self.object, reason=form.cleaned_data["reason"], user=self.request.user
            )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, f"{self.object.model.name} is in use again by {self.object.product}; it is being rated."
        )
        return redirect(self.back_url())
