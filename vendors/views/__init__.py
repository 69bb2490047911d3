"""The web UI of vendors/: one module per area."""

from vendors.views.bom import ProductMbomImportView, ProductMbomView, VendorMbomView
from vendors.views.imports import (
    CsvImportApplyView,
    CsvImportDetailView,
    CsvImportListView,
    CsvTemplateView,
    ModelUsageCsvView,
)
from vendors.views.knowledge import UnknownPublishersView, VendorHubOrgAddView, VendorHubOrgRemoveView
from vendors.views.lineage import (
    DeclaredParentRemoveView,
    DeclaredParentView,
    LineageRefreshCreateView,
    LineageRefreshDetailView,
)
from vendors.views.model_files import ModelFilesDownloadView, ModelFilesUploadView
from vendors.views.models import AIModelDetailView, AIModelListView
from vendors.views.portfolio import (
    ContactDeleteView,
    ContactFormView,
    ModelUsageFormView,
    ProductDetailView,
    ProductFormView,
    ProductListView,
    ProductPendingView,
    VendorDetailView,
    VendorFormView,
    VendorListView,
)
from vendors.views.retirement import (
    ModelUsageReinstateView,
    ModelUsageRemoveView,
    ProductRemoveView,
    VendorArchiveView,
    VendorRemoveView,
)

__all__ = [
    "AIModelDetailView",
    "AIModelListView",
    "ContactDeleteView",
    "ContactFormView",
    "CsvImportApplyView",
    "CsvImportDetailView",
    "CsvImportListView",
    "CsvTemplateView",
    "DeclaredParentRemoveView",
    "DeclaredParentView",
    "LineageRefreshCreateView",
    "LineageRefreshDetailView",
    "ModelFilesDownloadView",
    "ModelFilesUploadView",
    "ModelUsageCsvView",
    "ModelUsageFormView",
    "ModelUsageReinstateView",
    "ModelUsageRemoveView",
    "ProductDetailView",
    "ProductFormView",
    "ProductListView",
    "ProductMbomImportView",
    "ProductMbomView",
    "ProductPendingView",
    "ProductRemoveView",
    "UnknownPublishersView",
    "VendorArchiveView",
    "VendorDetailView",
    "VendorFormView",
    "VendorHubOrgAddView",
    "VendorHubOrgRemoveView",
    "VendorListView",
    "VendorMbomView",
    "VendorRemoveView",
]
