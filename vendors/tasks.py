"""Celery entry points for lineage and spreadsheet imports; the logic lives in vendors.services."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def lineage_refresh(refresh_id: int) -> None:
    """Run one lineage refresh from scratch (a redelivered task after a worker died simply runs it again)."""
    from vendors.models import LineageRefresh
    from vendors.services import lineage

    if not LineageRefresh.objects.filter(pk=refresh_id).exists():
        return
    lineage.lineage_refresh_run(refresh_id=refresh_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def lineage_refresh_chunk(self, chunk_id: int) -> None:
    """Walk one chunk of a large refresh (several run at once on the workers)."""
    from vendors.models import LineageRefreshChunk
    from vendors.services import lineage

    if not LineageRefreshChunk.objects.filter(pk=chunk_id).exists():
        return
    lineage.lineage_refresh_chunk_run(chunk_id=chunk_id, worker=self.request.hostname or "")


@shared_task(acks_late=True, ignore_result=True)
def lineage_refresh_portfolio() -> None:
    """Beat's daily re-resolution of every model in use."""
    from vendors.models import LineageRefresh
    from vendors.services import lineage

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def csv_import_apply(csv_import_id: int) -> None:
    """Apply a spreadsheet import queued by "import all" (all rows or none); the logic is
    vendors.services.csv_import_apply_queued."""
    from vendors import services

    services.csv_import_apply_queued(csv_import_id=csv_import_id)


@shared_task(acks_late=True, ignore_result=True)
def bom_versions_refresh(product_ids: list[int] | None) -> None:
    """Record new MBOM versions for products whose supply chain changed (None: every product in use)."""
    from vendors.services.bom_versions import bom_versions_record

    bom_versions_record(product_ids=product_ids)
