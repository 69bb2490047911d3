"""The models pages: every node of the lineage graph, with its diagram, ancestry and history."""

from django.http import Http404
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.generic import DetailView
from django_filters.views import FilterView

from assessments.selectors import latest_ratings
from vendors import diagrams, filters, selectors
from vendors.api import serializers as api_serializers
from vendors.models import AIModel, LineageRefresh, ModelUsage
from vendors.views.base import PAGE_SIZE, CsvExportMixin, FilteredListMixin, Guarded


class AIModelListView(Guarded, CsvExportMixin, FilteredListMixin, FilterView):
    permission_required = "vendors.view_aimodel"
    csv_serializer, csv_filename = api_serializers.AIModelSerializer, "models.csv"
    filterset_class = filters.AIModelFilterSet
    template_name = "vendors/aimodel_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.ai_model_queryset().order_by("name")

    def get_context_data(self, **kwargs):
        last = LineageRefresh.objects.filter(scope=LineageRefresh.Scope.PORTFOLIO).first()
        context = super().get_context_data(**kwargs)
        problems = selectors.problem_summary(last.problems) if last else ""
        return {
            **context,
            "last_refresh": last,
            "last_refresh_problems": problems,
            "knowledge_warning": selectors.knowledge_base_warning(),
        }


class AIModelDetailView(Guarded, DetailView):
    permission_required = "vendors.view_aimodel"
    template_name = "vendors/aimodel_detail.html"
    context_object_name = "model"

    def get_object(self, queryset=None):
        try:
            return selectors.ai_model_detail(pk=self.kwargs["pk"])
        except AIModel.DoesNotExist:
            raise Http404("No such model.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["changes"] = selectors.change_events_for(model=self.object)[:20]
        context["knowledge_warning"] = selectors.knowledge_base_warning()
        report = selectors.lineage_reports([self.object])[0]
        context["report"] = report
        context["diagram"], context["diagram_problem"] = lineage_diagram(report)
        context["ancestors"] = [
            (node, reverse("vendors:model_detail", args=[report.model_ids[node["id"]]])) for node in report.nodes
        ]
        context["inferred"] = [
            (edge, reverse("vendors:model_detail", args=[report.inferred_parent_ids[edge["parent"]]]))
            for edge in report.inferred_edges
        ]
        if self.object.kind == AIModel.Kind.DECLARED:
            context["uploads"] = selectors.model_files_uploads(self.object)
        usages = list(self.object.usages.all())
        ratings = latest_ratings(u.pk for u in usages)
        context["usages"] = [(usage, ratings.get(usage.pk)) for usage in usages]
        context["dependents"] = ModelUsage.objects.filter(exposures__model=self.object, exposures__depth__gt=0).count()
        return context


def lineage_diagram(report) -> tuple[str | None, str]:
    """The report as inline SVG with each node linking to its model page, or None and why there is none."""

    def url_for(node_id: str) -> str | None:
        pk = report.model_ids.get(node_id) or report.inferred_parent_ids.get(node_id)
        return reverse("vendors:model_detail", args=[pk]) if pk else None

    try:
        return mark_safe(diagrams.lineage_svg(report, url_for=url_for)), ""  # noqa: S308 - checked by lineage_svg
    except diagrams.DiagramUnavailable as problem:
        return None, problem.reason
