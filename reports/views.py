"""The reports pages: the list (filtered, with the form that asks for a new one), one report with its progress,
its download, and the status the progress bar polls."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from reports import selectors, services
from reports.api.serializers import ReportSerializer
from reports.filters import ReportFilterSet
from reports.forms import ReportRequestForm
from reports.models import Report
from vendors.views.base import PAGE_SIZE, CsvExportMixin, Guarded, form_errors_from


class ReportListView(Guarded, CsvExportMixin, FilterView):
    permission_required = "reports.view_report"
    csv_serializer, csv_filename = ReportSerializer, "reports.csv"
    filterset_class = ReportFilterSet
    template_name = "reports/report_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.report_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("reports.add_report"):
            context["request_form"] = self.kwargs.get("request_form") or ReportRequestForm()
        return context


class ReportRequestView(Guarded, View):
    permission_required = "reports.add_report"

    def post(self, request):
        form = ReportRequestForm(request.POST)
        if form.is_valid():
            try:
                report = services.report_request(
                    kind=form.cleaned_data["kind"],
                    quarter=form.cleaned_data["quarter"],
                    vendor=form.cleaned_data.get("vendor"),
                    requested_by=request.user,
                )
            except ValidationError as error:
                form_errors_from(form, error, {"period": "quarter"})
            else:
                messages.success(request, f"{report} is being generated.")
                return redirect(report)
        view = ReportListView.as_view()
        request.method = "GET"
        response = view(request, request_form=form)
        response.status_code = 400
        return response


class ReportDetailView(Guarded, DetailView):
    permission_required = "reports.view_report"
    template_name = "reports/report_detail.html"
    context_object_name = "report"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.report_queryset(), pk=self.kwargs["pk"])


class ReportStatusView(Guarded, View):
    permission_required = "reports.view_report"

    def get(self, request, pk):
        report = get_object_or_404(Report, pk=pk)
        return JsonResponse(
            {"status": report.status, "progress": report.progress, "step": report.step, "error": report.error}
        )


class ReportDownloadView(Guarded, View):
    permission_required = "reports.view_report"

    def get(self, request, pk):
        report = get_object_or_404(Report, pk=pk)
        if not report.is_ready:
            raise Http404("This report is not ready.")
        response = FileResponse(report.file.open("rb"), as_attachment=True, filename=report.download_name)
        response["Content-Type"] = "application/pdf"
        response["X-Content-SHA256"] = report.sha256
        return response
