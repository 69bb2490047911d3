"""The web UI of vendors/: one module per area."""

from vendors.views.knowledge import UnknownPublishersView
from vendors.views.lineage import (
    DeclaredParentRemoveView,
    DeclaredParentView,
    LineageRefreshCreateView,
    LineageRefreshDetailView,
)
from vendors.views.models import AIModelDetailView, AIModelListView
from vendors.views.portfolio import (
    ContactDeleteView,
    ContactFormView,
    ModelUsageDeleteView,
    ModelUsageFormView,
    ProductDeleteView,
    ProductDetailView,
    ProductFormView,
    ProductListView,
    VendorArchiveView,
    VendorDeleteView,
    VendorDetailView,
    VendorFormView,
    VendorListView,
)

__all__ = [
    "AIModelDetailView",
    "AIModelListView",
    "ContactDeleteView",
    "ContactFormView",
    "DeclaredParentRemoveView",
    "DeclaredParentView",
    "LineageRefreshCreateView",
    "LineageRefreshDetailView",
    "ModelUsageDeleteView",
    "ModelUsageFormView",
    "ProductDeleteView",
    "ProductDetailView",
    "ProductFormView",
    "ProductListView",
    "UnknownPublishersView",
    "VendorArchiveView",
    "VendorDeleteView",
    "VendorDetailView",
    "VendorFormView",
    "VendorListView",
]
