"""Every write that means something goes through these services; views, the API, tasks and commands call
them."""

from vendors.services.bom_import import bom_import
from vendors.services.bom_versions import bom_versions_record
from vendors.services.csv_import import (
    csv_import_apply,
    csv_import_apply_queued,
    csv_import_apply_request,
    csv_import_preview,
    csv_import_rows,
    csv_import_run,
    csv_import_stage,
)
from vendors.services.portfolio import (
    ai_model_find,
    ai_model_get_or_create,
    contact_create,
    contact_delete,
    contact_update,
    model_usage_register,
    model_usage_update,
    product_create,
    product_update,
    vendor_create,
    vendor_update,
)
from vendors.services.retirement import (
    Removal,
    model_usage_reinstate,
    model_usage_remove,
    model_usage_retire,
    product_remove,
    product_retire,
    records_depending_on,
    vendor_remove,
    vendor_retire,
)
from vendors.services.vendor_publisher import (
    vendor_hub_org_add,
    vendor_hub_org_remove,
    vendor_publisher_follow,
    vendor_publisher_get_or_create,
)

__all__ = [
    "Removal",
    "ai_model_find",
    "ai_model_get_or_create",
    "bom_import",
    "bom_versions_record",
    "contact_create",
    "contact_delete",
    "contact_update",
    "csv_import_apply",
    "csv_import_apply_queued",
    "csv_import_apply_request",
    "csv_import_preview",
    "csv_import_rows",
    "csv_import_run",
    "csv_import_stage",
    "model_usage_register",
    "model_usage_reinstate",
    "model_usage_remove",
    "model_usage_retire",
    "model_usage_update",
    "product_create",
    "product_remove",
    "product_retire",
    "product_update",
    "records_depending_on",
    "vendor_create",
    "vendor_hub_org_add",
    "vendor_hub_org_remove",
    "vendor_publisher_follow",
    "vendor_publisher_get_or_create",
    "vendor_remove",
    "vendor_retire",
    "vendor_update",
]
