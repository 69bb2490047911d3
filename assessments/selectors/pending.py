"""Work still under way for a product, as its page and its findings' pages show it: lineage being resolved
(models not resolved yet, a refresh queued or running) and model usages waiting for their first rating. With
Celery these finish in the background; the pages say so and follow them (``riskregistry/pending.js``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assessments.models import RiskRating
from vendors.models import AIModel, LineageRefresh, ModelUsage, Product

#: A refresh queued or running for longer than this is not waited for (a worker died; its page says so).
REFRESH_PATIENCE = timedelta(hours=1)


@dataclass(frozen=True)
class PendingWork:
    models_resolving: int  # models of the product's usages not resolved yet
    refreshes: int  # lineage refreshes covering the product, queued or running
    unrated: int  # usages in use whose lineage is settled and that have no rating yet

    @property
    def pending(self) -> bool:
        return bool(self.models_resolving or self.refreshes or self.unrated)

    def as_dict(self) -> dict:
        return {
            "pending": self.pending,
            "models_resolving": self.models_resolving,
            "refreshes": self.refreshes,
            "unrated": self.unrated,
        }


def product_pending_work(product: Product) -> PendingWork:
    """What is still being worked out for ``product`` (three queries)."""
    usages = ModelUsage.objects.filter(product=product, retired_at__isnull=True)
    resolving = usages.filter(model__status=AIModel.Status.PENDING).values("model_id").distinct().count()
    running = (LineageRefresh.Status.QUEUED, LineageRefresh.Status.RUNNING)
    refreshes = LineageRefresh.objects.filter(
        Q(product=product) | Q(scope=LineageRefresh.Scope.PORTFOLIO),
        status__in=running,
        created_at__gte=timezone.now() - REFRESH_PATIENCE,
    ).count()
    rated = RiskRating.objects.filter(usage=OuterRef("pk"), is_current=True)
    unrated = (
        usages.exclude(model__status=AIModel.Status.PENDING).filter(~Exists(rated)).count()
        if product.status == Product.Status.ACTIVE
        else 0
    )
    return PendingWork(models_resolving=resolving, refreshes=refreshes, unrated=unrated)
