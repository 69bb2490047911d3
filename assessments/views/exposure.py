"""Exposure: the blast-radius page (which products depend on a publisher, model, root, country or licence) with
its CSV export, and the page of one model usage (its rating, history, findings and lineage)."""

from django.db.models import Count
from django.http import Http404, HttpResponseBadRequest
from django.views.generic import DetailView
from django_filters.views import FilterView

from assessments import selectors
from assessments.filters import ExposureFilterSet
from assessments.models import Finding
from assessments.scoring import TIERS
from riskregistry import spreadsheets
from vendors.selectors import lineage_reports, model_usage_queryset
from vendors.views.base import FilteredListMixin, Guarded


class ExposureView(Guarded, FilteredListMixin, FilterView):
    permission_required = "vendors.view_modelusage"
    filterset_class = ExposureFilterSet
    template_name = "assessments/exposure.html"
    paginate_by = 50

    def get_queryset(self):
        return model_usage_queryset().order_by("product__vendor__name", "product__name", "model__name", "pk")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def _matches(self, filterset, usage_ids):
        criteria = filterset.lineage_criteria()
        return selectors.exposure_matches(usage_ids, criteria) if criteria is not None else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        usages = list(context["object_list"])
        ids = [u.pk for u in usages]
        ratings = selectors.latest_ratings(ids)
        matches = self._matches(filterset, ids)
        context["rows"] = [(u, ratings.get(u.pk), matches.get(u.pk, [])) for u in usages]
        context["filtered"] = any(v not in (None, "", False) for v in filterset.form.cleaned_data.values())
        if filterset.is_valid():
            everything = filterset.qs.order_by()
            totals = everything.aggregate(
                usages=Count("pk", distinct=True),
                products=Count("product", distinct=True),
                vendors=Count("product__vendor", distinct=True),
            )
            tiers = dict(
                everything.filter(ratings__is_current=True)
                .values_list("ratings__tier")
                .annotate(n=Count("pk", distinct=True))
            )
            context["totals"] = totals
            context["tiers"] = [(tier, tiers.get(tier, 0)) for tier in reversed(TIERS)]
        return context

    def csv_response(self):
        filterset = self.filterset_class(self.request.GET or None, queryset=self.get_queryset(), request=self.request)
        if not filterset.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())
            return HttpResponseBadRequest(f"Invalid filters: {errors}", content_type="text/plain; charset=utf-8")
        header = ["vendor", "product", "model", "role", "tier", "score", "host", "region", "via (closest match)"]
        rows = (row for chunk in spreadsheets.chunked(filterset.qs) for row in self._csv_rows(filterset, chunk))
        return spreadsheets.csv_response(header, rows, "exposure.csv")

    def _csv_rows(self, filterset, usages):
        ids = [u.pk for u in usages]
        ratings, matches = selectors.latest_ratings(ids), self._matches(filterset, ids)
        for usage in usages:
            rating, found = ratings.get(usage.pk), matches.get(usage.pk)
            yield [
                usage.product.vendor.name,
                usage.product.name,
                usage.model.name,
                usage.get_role_display(),
                rating.tier if rating else "",
                rating.score if rating else "",
                usage.host.name if usage.host else "",
                usage.region.code if usage.region else "",
                " → ".join(found[0].path) if found else "",
            ]


class UsageDetailView(Guarded, DetailView):
    """One model usage: its current rating with every factor and its evidence, the rating history, the findings,
    and the chains to its root models."""

    permission_required = "vendors.view_modelusage"
    template_name = "assessments/usage_detail.html"
    context_object_name = "usage"

    def get_object(self, queryset=None):
        try:
            return model_usage_queryset().get(pk=self.kwargs["pk"])
        except model_usage_queryset().model.DoesNotExist:
            raise Http404("No such model usage.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        usage = self.object
        history = selectors.rating_history(usage)
        context["rating"] = next((r for r in history if r.is_current), None)
        context["history"] = [
            (rating, _factor_delta(rating, history[i + 1] if i + 1 < len(history) else None))
            for i, rating in enumerate(history)
        ]
        context["findings"] = Finding.objects.filter(usage=usage).select_related("owner").order_by("-opened_at")
        context["report"] = lineage_reports([usage.model])[0]
        return context


def _factor_delta(rating, previous) -> dict:
    """What moved between two snapshots: factors added and removed, and the policy version."""
    if previous is None:
        return {"first": True}
    now = {f["code"] for f in rating.counted_factors}
    before = {f["code"] for f in previous.counted_factors}
    return {
        "added": sorted(now - before),
        "removed": sorted(before - now),
        "policy": previous.policy_version != rating.policy_version,
    }
