"""Every write that means something goes through these services; views, the API, tasks and commands call
them."""

from vendors.services.portfolio import (
    ai_model_find,
    ai_model_get_or_create,
    contact_create,
    contact_delete,
    contact_update,
    model_usage_register,
    model_usage_remove,
    model_usage_update,
    product_create,
    product_delete,
    product_update,
    vendor_archive,
    vendor_create,
    vendor_delete,
    vendor_update,
)

__all__ = [
    "ai_model_find",
    "ai_model_get_or_create",
    "contact_create",
    "contact_delete",
    "contact_update",
    "model_usage_register",
    "model_usage_remove",
    "model_usage_update",
    "product_create",
    "product_delete",
    "product_update",
    "vendor_archive",
    "vendor_create",
    "vendor_delete",
    "vendor_update",
]
