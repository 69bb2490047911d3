"""The web UI for the portfolio. Views validate with forms and write through the services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView

from assessments import charts
from assessments.selectors import (
    latest_ratings,
    product_rated_queryset,
    vendor_rated_queryset,
    with_worst_rating,
    worst_rating,
)
from assessments.selectors.pending import product_pending_work
from assessments.selectors.trends import moment_label, product_score_trend
from vendors import filters, forms, selectors, services
from vendors.api import serializers as api_serializers
from vendors.models import AIModel, Contact, Product, Vendor
from vendors.selectors.hub_check import MISSING
from vendors.views.base import (
    PAGE_SIZE,
    CsvExportMixin,
    FilteredListMixin,
    Guarded,
    based_on,
    detached,
    form_errors_from,
    with_version,
)
from vendors.views.bom import mbom_context


# ---------------------------------------------------------------------------------------------------------------
# Vendors
# ---------------------------------------------------------------------------------------------------------------
class VendorListView(Guarded, CsvExportMixin, FilteredListMixin, FilterView):
    permission_required = "vendors.view_vendor"
    csv_serializer, csv_filename = api_serializers.VendorSerializer, "vendors.csv"
    filterset_class = filters.VendorFilterSet
    template_name = "vendors/vendor_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return vendor_rated_queryset().order_by("name")


class VendorDetailView(Guarded, DetailView):
    permission_required = "vendors.view_vendor"
    template_name = "vendors/vendor_detail.html"
    context_object_name = "vendor"

    def get_object(self, queryset=None):
        try:
            return selectors.vendor_detail(pk=self.kwargs["pk"])
        except Vendor.DoesNotExist:
            raise Http404("No such vendor.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["products"] = with_worst_rating(
            selectors.product_queryset().filter(vendor=self.object), "model_usages"
        ).order_by("status", "name")
        context["worst"] = worst_rating(
            Q(product__vendor=self.object, product__status=Product.Status.ACTIVE, retired_at__isnull=True)
        )
        context["history"] = selectors.vendor_history(vendor=self.object, limit=50)
        context["changes"] = selectors.change_events_for(vendor=self.object)[:20]
        context["own_orgs"] = selectors.vendor_own_orgs(vendor=self.object)
        return context


class VendorFormView(Guarded, FormView):
    """Create (no pk) or edit (pk) a vendor."""

    form_class = forms.VendorForm
    template_name = "vendors/vendor_form.html"

    def get_permission_required(self):
        return ["vendors.change_vendor" if "pk" in self.kwargs else "vendors.add_vendor"]

    def dispatch(self, request, *args, **kwargs):
        self.vendor = get_object_or_404(Vendor, pk=kwargs["pk"]) if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": detached(self.vendor)}

    def get_form(self, form_class=None):
        return with_version(super().get_form(form_class), self.vendor)

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if self.vendor is None:
                vendor = services.vendor_create(**fields)
                messages.success(self.request, f"Vendor {vendor.name} created.")
            else:
                vendor = services.vendor_update(
                    vendor=self.vendor, user=self.request.user, based_on=based_on(form), **fields
                )
                messages.success(self.request, f"Vendor {vendor.name} saved.")
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        return redirect(vendor)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "vendor": self.vendor}


# ---------------------------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------------------------
class ContactFormView(Guarded, FormView):
    form_class = forms.ContactForm
    template_name = "vendors/contact_form.html"

    def get_permission_required(self):
        return ["vendors.change_contact" if "pk" in self.kwargs else "vendors.add_contact"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.contact = get_object_or_404(Contact.objects.select_related("vendor"), pk=kwargs["pk"])
            self.vendor = self.contact.vendor
        else:
            self.contact = None
            self.vendor = get_object_or_404(Vendor, pk=kwargs["vendor_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        instance = detached(self.contact) or Contact(vendor=self.vendor)
        return {**super().get_form_kwargs(), "instance": instance}

    def get_form(self, form_class=None):
        return with_version(super().get_form(form_class), self.contact)

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if self.contact is None:
                services.contact_create(vendor=self.vendor, **fields)
            else:
                services.contact_update(contact=self.contact, based_on=based_on(form), **fields)
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Contact {fields['name']} saved.")
        return redirect(self.vendor)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "vendor": self.vendor, "contact": self.contact}


class ContactDeleteView(Guarded, TemplateView):
    permission_required = "vendors.delete_contact"
    template_name = "confirm_delete.html"

    def dispatch(self, request, *args, **kwargs):
        self.contact = get_object_or_404(Contact.objects.select_related("vendor"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "object": self.contact,
            "object_type": "contact",
            "cancel_url": self.contact.vendor.get_absolute_url(),
        }

    def post(self, request, *args, **kwargs):
        vendor = self.contact.vendor
        services.contact_delete(contact=self.contact)
        messages.success(request, "Contact removed.")
        return redirect(vendor)


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------
class ProductListView(Guarded, CsvExportMixin, FilteredListMixin, FilterView):
    permission_required = "vendors.view_product"
    csv_serializer, csv_filename = api_serializers.ProductSerializer, "products.csv"
    filterset_class = filters.ProductFilterSet
    template_name = "vendors/product_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return product_rated_queryset().order_by("vendor__name", "name")


class ProductPendingView(Guarded, View):
    """What is still being worked out for a product, as JSON: the product and finding pages poll it
    (``riskregistry/pending.js``) and reload once nothing is pending."""

    permission_required = "vendors.view_product"

    def get(self, request, pk):
        product = get_object_or_404(Product, pk=pk)
        response = JsonResponse(product_pending_work(product).as_dict())
        response["Cache-Control"] = "no-store"
        return response


class ProductDetailView(Guarded, DetailView):
    permission_required = "vendors.view_product"
    template_name = "vendors/product_detail.html"
    context_object_name = "product"

    def get_object(self, queryset=None):
        try:
            return selectors.product_detail(pk=self.kwargs["pk"])
        except Product.DoesNotExist:
            raise Http404("No such product.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["changes"] = selectors.change_events_for(product=self.object)[:20]
        context.update(mbom_context(self.request, self.object))
        context["knowledge_warning"] = selectors.knowledge_base_warning()
        everything = list(self.object.model_usages.all())
        usages = [u for u in everything if not u.is_retired]
        reports = selectors.lineage_reports([u.model for u in usages])
        ratings = latest_ratings(u.pk for u in everything)
        context["exposure"] = [(u, r, ratings.get(u.pk)) for u, r in zip(usages, reports, strict=True)]
        context["ended"] = [(u, ratings.get(u.pk)) for u in everything if u.is_retired]
        # A product is as risky as its riskiest model usage still in use.
        current = [ratings[u.pk] for u in usages if u.pk in ratings]
        context["worst"] = max(current, key=lambda rating: rating.score, default=None)
        context["pending_work"] = product_pending_work(self.object)
        trend = product_score_trend(self.object)
        moments = [moment for moment, _ in trend]
        context["score_trend"] = (
            charts.score_trend_chart(
                [(moment_label(moment, moments), score) for moment, score in trend], title="Score over time"
            )
            if trend
            else ""
        )
        context["origin_countries"] = sorted({c for r in reports for c in r.countries})
        context["host_countries"] = sorted(
            {str(u.region.country) for u in usages if u.region and u.region.country}
            | {str(u.host.country) for u in usages if u.host and u.host.country and not u.region}
        )
        return context


class ProductFormView(Guarded, FormView):
    form_class = forms.ProductForm
    template_name = "vendors/product_form.html"

    def get_permission_required(self):
        return ["vendors.change_product" if "pk" in self.kwargs else "vendors.add_product"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.product = get_object_or_404(Product.objects.select_related("vendor"), pk=kwargs["pk"])
            self.vendor = self.product.vendor
        else:
            self.product = None
            self.vendor = get_object_or_404(Vendor, pk=kwargs["vendor_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": detached(self.product), "vendor": self.vendor}

    def get_form(self, form_class=None):
        return with_version(super().get_form(form_class), self.product)

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if self.product is None:
                product = services.product_create(vendor=self.vendor, **fields)
            else:
                product = services.product_update(
                    product=self.product, user=self.request.user, based_on=based_on(form), **fields
                )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Product {product.name} saved.")
        return redirect(product)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "vendor": self.vendor, "product": self.product}


# ---------------------------------------------------------------------------------------------------------------
# Model usages
# ---------------------------------------------------------------------------------------------------------------
class ModelUsageFormView(Guarded, FormView):
    form_class = forms.ModelUsageForm
    template_name = "vendors/modelusage_form.html"

    def get_permission_required(self):
        return ["vendors.change_modelusage" if "pk" in self.kwargs else "vendors.add_modelusage"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.usage = get_object_or_404(selectors.model_usage_queryset(), pk=kwargs["pk"])
            self.product = self.usage.product
        else:
            self.usage = None
            self.product = get_object_or_404(Product.objects.select_related("vendor"), pk=kwargs["product_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return forms.ModelUsageForm.initial_for(self.usage) if self.usage else super().get_initial()

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.usage is not None:  # who declared a usage is kept as it was registered: not asked again
            del form.fields["declared_by"]
        return with_version(form, self.usage)

    def _hub_repo_missing(self, data) -> bool:
        """A hub id newly named here that the hub says does not exist (asked briefly; see hub_repo_check)."""
        if data["model_kind"] != AIModel.Kind.HUB or data.get("confirm_missing"):
            return False
        if self.usage is not None and self.usage.model.name.lower() == data["model_name"].lower():
            return False
        return selectors.hub_repo_check(data["model_name"]) == MISSING

    def form_valid(self, form):
        data = form.cleaned_data
        if self._hub_repo_missing(data):
            form.ask_to_confirm_missing(data["model_name"])
            return self.form_invalid(form)
        common = {
            "model_kind": data["model_kind"],
            "model_name": data["model_name"],
            "role": data["role"],
            "host": data["host"],
            "region": data["region"],
            "share": data["share"],
            "notes": data["notes"],
        }
        try:
            with transaction.atomic():
                if self.usage is None:
                    services.model_usage_register(
                        product=self.product, declared_by=data["declared_by"], user=self.request.user, **common
                    )
                else:
                    services.model_usage_update(usage=self.usage, based_on=based_on(form), **common)
        except ValidationError as error:
            form_errors_from(form, error, {"name": "model_name", "model": "model_name", "__all__": "__all__"})
            return self.form_invalid(form)
        messages.success(self.request, f"{data['model_name']} saved on {self.product.name}.")
        return redirect(self.product)

    def get_context_data(self, **kwargs):
        closed = AIModel.objects.filter(kind=AIModel.Kind.CLOSED).values_list("name", flat=True)
        return {
            **super().get_context_data(**kwargs),
            "product": self.product,
            "usage": self.usage,
            "closed_models": closed,
        }
