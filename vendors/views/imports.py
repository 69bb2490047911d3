"""Spreadsheet import of vendors, products and model usages: upload, preview row by row, then import all (or
nothing); the template and the current model usages in the same column set."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from assessments.selectors import model_usage_rated_queryset
from riskregistry import spreadsheets
from vendors import filters, selectors, services
from vendors.csv_import.columns import COLUMNS, EXPORT_ONLY, template_rows, usage_export_header, usage_export_rows
from vendors.forms import CsvImportForm
from vendors.models import CsvImport
from vendors.views.base import Guarded, form_errors_from


class CsvImportListView(Guarded, TemplateView):
    """The upload form, the column set and the imports made so far."""

    permission_required = "vendors.view_csvimport"
    template_name = "vendors/csv_import_list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or CsvImportForm(),
            "imports": selectors.csv_import_queryset()[:50],
            "columns": COLUMNS,
            "export_only": EXPORT_ONLY,
            "max_rows": settings.CSV_IMPORT_MAX_ROWS,
            "max_mb": settings.CSV_IMPORT_MAX_BYTES / 1_000_000,
        }

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("vendors.add_csvimport"):
            return self.handle_no_permission()
        form = CsvImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                csv_import = services.csv_import_stage(
                    data=upload.read(settings.CSV_IMPORT_MAX_BYTES + 1), filename=upload.name, user=request.user
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                return redirect(csv_import)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CsvImportDetailView(Guarded, TemplateView):
    """The preview of a stored file against the portfolio as it is now, or what it did once applied."""

    permission_required = "vendors.view_csvimport"
    template_name = "vendors/csv_import_detail.html"

    def get_context_data(self, **kwargs):
        csv_import = get_object_or_404(selectors.csv_import_queryset(), pk=kwargs["pk"])
        plan = None
        if csv_import.status == CsvImport.Status.PREVIEWED:
            plan = services.csv_import_preview(csv_import=csv_import)
        return {**super().get_context_data(**kwargs), "csv_import": csv_import, "plan": plan}


class CsvImportApplyView(Guarded, View):
    """ "Import all": every row of the preview, or none, by a worker (in-process without Redis)."""

    permission_required = "vendors.change_csvimport"

    def post(self, request, pk):
        csv_import = get_object_or_404(CsvImport, pk=pk)
        try:
            services.csv_import_apply_request(
                csv_import=csv_import, plan_digest=request.POST.get("plan", ""), user=request.user
            )
        except ValidationError as error:
            messages.error(request, "Nothing was imported. " + " ".join(error.messages))
        return redirect(csv_import)


class CsvTemplateView(Guarded, View):
    """The column set with example rows, to fill in."""

    permission_required = "vendors.view_csvimport"

    def get(self, request):
        header, *rows = template_rows()
        return spreadsheets.csv_response(header, rows, "riskregistry-import-template.csv")


class ModelUsageCsvView(Guarded, View):
    """Every model usage the filters select, in the import's column set: edit it and upload it again."""

    permission_required = "vendors.view_modelusage"

    def get(self, request):
        filterset = filters.ModelUsageFilterSet(request.GET, queryset=model_usage_rated_queryset())
        if not filterset.is_valid():
            errors = "; ".join(f"{name}: {' '.join(m)}" for name, m in filterset.errors.items())
            return HttpResponseBadRequest(f"Invalid filters: {errors}", content_type="text/plain; charset=utf-8")
        rows = usage_export_rows(filterset.qs.order_by("product__vendor__name", "product__name", "pk"))
        return spreadsheets.csv_response(usage_export_header(), rows, "model-usages.csv")
