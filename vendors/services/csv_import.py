"""Importing vendors, products and model usages from a spreadsheet: the file is stored when uploaded (so the
preview and "import all" read the same rows), previewed against the portfolio as it is, and applied all or
nothing in one transaction through the portfolio services, so history, change events, lineage resolution and
rescoring follow as if each row had been entered on its page."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from vendors.csv_import.parse import CsvFileError, Row, parse_csv
from vendors.csv_import.plan import Plan, RowPlan, import_plan
from vendors.models import (
    AIModel,
    CsvImport,
    DataCategory,
    Host,
    HostRegion,
    LineageRefresh,
    ModelUsage,
    Product,
    Vendor,
)
from vendors.selectors.csv_import import csv_import_state
from vendors.services.portfolio import (
    model_usage_register,
    model_usage_update,
    product_create,
    product_update,
    vendor_create,
    vendor_update,
)
from vendors.services.rescoring import usages_rescore_request

logger = logging.getLogger(__name__)


def _user(user: AbstractBaseUser | None):
    return user if user is not None and user.is_authenticated else None


def csv_import_rows(data: bytes) -> list[Row]:
    """The file's rows, or a ValidationError that says why the file cannot be read."""
    try:
        return parse_csv(data, max_bytes=settings.CSV_IMPORT_MAX_BYTES, max_rows=settings.CSV_IMPORT_MAX_ROWS)
    except CsvFileError as error:
        raise ValidationError({"file": error.messages}, code="invalid_csv") from None


@transaction.atomic
def csv_import_stage(*, data: bytes, filename: str, user: AbstractBaseUser | None = None) -> CsvImport:
    """Store an uploaded file for preview; a file that cannot be read is refused and nothing is stored."""
    rows = csv_import_rows(data)
    csv_import = CsvImport(
        filename=(filename or "upload.csv")[:255],
        content=data.decode("utf-8-sig"),
        sha256=hashlib.sha256(data).hexdigest(),
        row_count=len(rows),
        uploaded_by=_user(user),
    )
    csv_import.full_clean()
    csv_import.save()
    return csv_import


def csv_import_preview(*, csv_import: CsvImport) -> Plan:
    """What applying the stored file would do to the portfolio as it is now (writes nothing)."""
    rows = csv_import_rows(csv_import.content.encode("utf-8"))
    return import_plan(rows, csv_import_state(rows))


def _checked_plan(csv_import: CsvImport, plan_digest: str) -> Plan:
    """The plan of a stored file, if it is still the previewed one and refuses no row."""
    if csv_import.status == CsvImport.Status.APPLIED:
        raise ValidationError("This file was imported already.", code="already_applied")
    plan = csv_import_preview(csv_import=csv_import)
    if plan.digest != plan_digest:
        raise ValidationError(
            {"plan": "The portfolio changed since this preview; look at the new preview and import again."},
            code="stale_preview",
        )
    if plan.refused:
        raise ValidationError({f"row {r.row.line}": list(r.notes) for r in plan.refused}, code="rows_refused")
    return plan


@transaction.atomic
def csv_import_apply(*, csv_import: CsvImport, plan_digest: str, user: AbstractBaseUser | None = None) -> Plan:
    """Apply every row of a previewed import, or nothing: refused if a row is refused, if the import was applied
    already, or if the plan is no longer the one previewed (``plan_digest``: the portfolio changed since)."""
    csv_import = CsvImport.objects.select_for_update().get(pk=csv_import.pk)
    plan = _checked_plan(csv_import, plan_digest)
    _Applier(user=_user(user), filename=csv_import.filename).apply(plan)
    csv_import.status, csv_import.applied_at, csv_import.error = CsvImport.Status.APPLIED, timezone.now(), ""
    csv_import.applied_by, csv_import.plan_digest = _user(user), plan_digest
    csv_import.outcome = plan.counts
    csv_import.full_clean()
    csv_import.save(update_fields=["status", "applied_at", "applied_by", "plan_digest", "error", "outcome"])
    return plan


@transaction.atomic
def csv_import_apply_request(
    *, csv_import: CsvImport, plan_digest: str, user: AbstractBaseUser | None = None
) -> CsvImport:
    """ "Import all": check the preview is still what will be applied, then hand the import to a worker after
    commit (a large file takes longer than a web request should). Without Redis it runs in-process."""
    from vendors import tasks

    csv_import = CsvImport.objects.select_for_update().get(pk=csv_import.pk)
    if csv_import.status == CsvImport.Status.APPLYING:
        raise ValidationError("This file is being imported already.", code="already_applying")
    _checked_plan(csv_import, plan_digest)
    csv_import.status, csv_import.plan_digest, csv_import.applied_by, csv_import.error = (
        CsvImport.Status.APPLYING,
        plan_digest,
        _user(user),
        "",
    )
    csv_import.full_clean()
    csv_import.save(update_fields=["status", "plan_digest", "applied_by", "error"])
    tasks.csv_import_apply.delay_on_commit(csv_import.pk)
    return csv_import


def csv_import_apply_queued(*, csv_import_id: int) -> None:
    """The worker's part of "import all": apply the queued import, all or nothing; when nothing could be
    imported, the import is back to previewed with the reason. Running it twice is harmless."""
    csv_import = CsvImport.objects.filter(pk=csv_import_id, status=CsvImport.Status.APPLYING).first()
    if csv_import is None:
        return
    try:
        csv_import_apply(csv_import=csv_import, plan_digest=csv_import.plan_digest, user=csv_import.applied_by)
    except ValidationError as error:
        _failed(csv_import, "Nothing was imported. " + " ".join(_messages(error)))
    except Exception:
        logger.exception("Import %s failed", csv_import_id)
        _failed(csv_import, "Nothing was imported: the database refused a row (see the server log).")


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" if field != "__all__" else m for field, ms in error.message_dict.items() for m in ms]
    return error.messages


def _failed(csv_import: CsvImport, reason: str) -> None:
    CsvImport.objects.filter(pk=csv_import.pk, status=CsvImport.Status.APPLYING).update(
        status=CsvImport.Status.PREVIEWED, error=reason[:5000]
    )


@transaction.atomic
def csv_import_run(*, data: bytes, filename: str, user: AbstractBaseUser | None = None) -> CsvImport:
    """Upload and import all at once (no look at the preview): a file that cannot be read or a refused row
    stores nothing; otherwise the import is queued as by "import all"."""
    csv_import = csv_import_stage(data=data, filename=filename, user=user)
    plan = csv_import_preview(csv_import=csv_import)
    return csv_import_apply_request(csv_import=csv_import, plan_digest=plan.digest, user=user)


class _Applier:
    """Writes a plan through the portfolio services, remembering what earlier rows created."""

    def __init__(self, *, user, filename: str):
        self.user, self.filename = user, filename
        self.vendors: dict[str, Vendor] = {}
        self.products: dict[tuple[str, str], Product] = {}
        self.new_hub_models: set[str] = set()
        self.usage_ids: list[int] = []
        self.categories = {c.code: c for c in DataCategory.objects.all()}
        self.hosts = {h.key: h for h in Host.objects.all()}

    def apply(self, plan: Plan) -> None:
        for row_plan in plan.rows:
            if row_plan.outcome in ("create", "change"):
                try:
                    self._row(row_plan)
                except ValidationError as error:
                    raise ValidationError({f"row {row_plan.row.line}": error.messages}, code="row_failed") from None
        usages_rescore_request(usage_ids=self.usage_ids)  # one rescoring for the whole file, after it commits
        if self.new_hub_models:  # and one lineage refresh
            from vendors.services.lineage import lineage_refresh_request

            lineage_refresh_request(
                scope=LineageRefresh.Scope.MODELS, model_names=sorted(self.new_hub_models), user=self.user
            )

    def _vendor(self, row: Row) -> Vendor:
        key = row.vendor.lower()
        if key not in self.vendors:
            self.vendors[key] = Vendor.objects.annotate(lname=Lower("name")).get(lname=key)
        return self.vendors[key]

    def _product(self, row: Row) -> Product:
        key = (row.vendor.lower(), row.product.lower())
        if key not in self.products:
            self.products[key] = Product.objects.annotate(lname=Lower("name")).get(
                vendor=self._vendor(row), lname=key[1]
            )
        return self.products[key]

    def _categories(self, codes):
        return [self.categories[c] for c in codes]

    def _row(self, plan: RowPlan) -> None:
        row = plan.row
        if plan.vendor == "create":
            self.vendors[row.vendor.lower()] = vendor_create(name=row.vendor, **plan.vendor_changes)
        elif plan.vendor == "update":
            vendor_update(vendor=self._vendor(row), user=self.user, **plan.vendor_changes)
        if plan.product == "create":
            fields = dict(plan.product_changes)
            categories = self._categories(fields.pop("data_categories", ()))
            product = product_create(vendor=self._vendor(row), name=row.product, data_categories=categories, **fields)
            self.products[(row.vendor.lower(), row.product.lower())] = product
        elif plan.product == "update":
            fields = dict(plan.product_changes)
            categories = fields.pop("data_categories", None)
            product_update(
                product=self._product(row),
                user=self.user,
                data_categories=self._categories(categories) if categories is not None else None,
                **fields,
            )
        if plan.usage == "create":
            host = self.hosts.get(row.host) if row.host else None
            region = HostRegion.objects.get(host=host, code__iexact=row.region) if row.region else None
            usage = model_usage_register(
                product=self._product(row),
                model_kind=row.model_kind,
                model_name=row.model,
                role=row.role,
                host=host,
                region=region,
                share=row.share,
                declared_by=ModelUsage.DeclaredBy.ANALYST,
                user=self.user,
                notes=f"Imported from {self.filename}.",
                resolve=False,
                rescore=False,
            )
            self.usage_ids.append(usage.pk)
            if usage.model.kind == AIModel.Kind.HUB and usage.model.fetched_at is None:
                self.new_hub_models.add(usage.model.name)
        elif plan.usage == "update":
            usage = ModelUsage.objects.select_related("model", "host", "region").get(pk=plan.usage_id)
            model_usage_update(
                usage=usage,
                model_kind=usage.model.kind,
                model_name=usage.model.name,
                role=usage.role,
                host=usage.host,
                region=usage.region,
                share=plan.usage_changes.get("share", usage.share),
                notes=usage.notes,
                rescore=False,
            )
            self.usage_ids.append(usage.pk)
