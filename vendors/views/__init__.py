"""The web UI of vendors/: one module per area."""

from vendors.views.lineage import LineageRefreshCreateView, LineageRefreshDetailView
from vendors.views.portfolio import (
    AIModelDetailView,
    AIModelListView,
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
    "LineageRefreshCreateView",
    "LineageRefreshDetailView",
    "ModelUsageDeleteView",
    "ModelUsageFormView",
    "ProductDeleteView",
    "ProductDetailView",
    "ProductFormView",
    "ProductListView",
    "VendorArchiveView",
    "VendorDeleteView",
    "VendorDetailView",
    "VendorFormView",
    "VendorListView",
]
