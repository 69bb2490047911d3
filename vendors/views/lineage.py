"""Lineage from the UI: refreshes and their progress, and parents declared by vendors or analysts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, FormView, View

from vendors import selectors
from vendors.forms import DeclaredParentForm
from vendors.models import AIModel, LineageRefresh, Product
from vendors.services import lineage
from vendors.views.base import Guarded, form_errors_from


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
        refresh = lineage.refresh_progress(self.object)
        known = max(refresh.nodes_known, refresh.nodes_done)
        context["percent"] = 100 if refresh.finished_at else int(100 * refresh.nodes_done / known) if known else 0
        context["running"] = refresh.status in (LineageRefresh.Status.QUEUED, LineageRefresh.Status.RUNNING)
        context["knowledge_warning"] = selectors.knowledge_base_warning()
        context["problems"] = selectors.problem_summary(refresh.problems)
        return context


class DeclaredParentView(Guarded, FormView):
    """Declare a parent the hub does not show (GET: the form; POST: record it)."""

    permission_required = "vendors.add_lineageedge"
    form_class = DeclaredParentForm
    template_name = "vendors/declared_parent_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.model = get_object_or_404(AIModel, pk=kwargs["pk"])
        if self.model.kind == AIModel.Kind.CLOSED and request.user.has_perm(self.permission_required):
            # A closed API model is its provider's own: nobody outside it can say what it was derived from.
            messages.error(request, f"{self.model.name} is a closed API model: it has no parent to declare.")
            return redirect("vendors:model_detail", pk=self.model.pk)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                lineage.lineage_parent_declare(
                    child=self.model,
                    parent_kind=data["parent_kind"],
                    parent_name=data["parent_name"],
                    relation=data["relation"],
                    source=data["source"],
                    user=self.request.user,
                )
        except ValidationError as error:
            form_errors_from(form, error, {"name": "parent_name"})
            return self.form_invalid(form)
        messages.success(self.request, f"Declared {data['parent_name']} as a parent of {self.model.name}.")
        return redirect("vendors:model_detail", pk=self.model.pk)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "model": self.model}


class DeclaredParentRemoveView(Guarded, View):
    permission_required = "vendors.delete_lineageedge"
    http_method_names = ["post"]

    def post(self, request, pk):
        edge = get_object_or_404(selectors.lineage_edge_queryset(), pk=pk)
        try:
            lineage.lineage_parent_remove(edge=edge, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{edge.parent.name} is no longer declared as a parent.")
        return redirect("vendors:model_detail", pk=edge.child_id)
