"""Lineage refreshes started from the UI, and their progress."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, View

from vendors.models import AIModel, LineageRefresh, Product
from vendors.services import lineage
from vendors.views.portfolio import Guarded


class LineageRefreshCreateView(Guarded, View):
    """POST: refresh the whole portfolio, one product's models (``product``), or one model (``model``)."""

    permission_required = "vendors.change_aimodel"
    http_method_names = ["post"]

    def post(self, request):
        product = _object_or_none(Product, request.POST.get("product"))
        model = _object_or_none(AIModel.objects.filter(kind=AIModel.Kind.HUB), request.POST.get("model"))
        if model is not None:
            refresh = lineage.lineage_refresh_request(
                scope=LineageRefresh.Scope.MODELS, model_names=[model.name], user=request.user
            )
        else:
            scope = LineageRefresh.Scope.PRODUCT if product else LineageRefresh.Scope.PORTFOLIO
            refresh = lineage.lineage_refresh_request(scope=scope, product=product, user=request.user)
        messages.info(request, "Lineage refresh started.")
        return redirect("vendors:lineage_refresh_detail", pk=refresh.pk)


def _object_or_none(queryset, pk: str | None):
    if not pk:
        return None
    try:
        return get_object_or_404(queryset, pk=int(pk))
    except ValueError:
        raise Http404("No such object.") from None


class LineageRefreshDetailView(Guarded, DetailView):
    permission_required = "vendors.view_aimodel"
    template_name = "vendors/lineage_refresh_detail.html"
    context_object_name = "refresh"
    queryset = LineageRefresh.objects.select_related("product__vendor", "requested_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        refresh = self.object
        known = max(refresh.nodes_known, refresh.nodes_done)
        context["percent"] = 100 if refresh.status == "done" else int(100 * refresh.nodes_done / known) if known else 0
        context["running"] = refresh.status in (LineageRefresh.Status.QUEUED, LineageRefresh.Status.RUNNING)
        return context
