from django.urls import path

from vendors import views

app_name = "vendors"

urlpatterns = [
    path("vendors/", views.VendorListView.as_view(), name="vendor_list"),
    path("vendors/new/", views.VendorFormView.as_view(), name="vendor_create"),
    path("vendors/<int:pk>/", views.VendorDetailView.as_view(), name="vendor_detail"),
    path("vendors/<int:pk>/edit/", views.VendorFormView.as_view(), name="vendor_update"),
    path("vendors/<int:pk>/delete/", views.VendorRemoveView.as_view(), name="vendor_delete"),
    path("vendors/<int:pk>/archive/", views.VendorArchiveView.as_view(), name="vendor_archive"),
    path("vendors/<int:pk>/hub-orgs/add/", views.VendorHubOrgAddView.as_view(), name="vendor_hub_org_add"),
    path("vendors/<int:pk>/hub-orgs/remove/", views.VendorHubOrgRemoveView.as_view(), name="vendor_hub_org_remove"),
    path("vendors/<int:vendor_pk>/contacts/new/", views.ContactFormView.as_view(), name="contact_create"),
    path("contacts/<int:pk>/edit/", views.ContactFormView.as_view(), name="contact_update"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("vendors/<int:vendor_pk>/products/new/", views.ProductFormView.as_view(), name="product_create"),
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product_detail"),
    path("products/<int:pk>/mbom/", views.ProductMbomView.as_view(), name="product_mbom"),
    path("products/<int:pk>/mbom/import/", views.ProductMbomImportView.as_view(), name="product_mbom_import"),
    path("vendors/<int:pk>/mbom/", views.VendorMbomView.as_view(), name="vendor_mbom"),
    path("products/<int:pk>/pending.json", views.ProductPendingView.as_view(), name="product_pending"),
    path("products/<int:pk>/edit/", views.ProductFormView.as_view(), name="product_update"),
    path("products/<int:pk>/delete/", views.ProductRemoveView.as_view(), name="product_delete"),
    path("products/<int:product_pk>/models/new/", views.ModelUsageFormView.as_view(), name="usage_create"),
    path("usages/<int:pk>/edit/", views.ModelUsageFormView.as_view(), name="usage_update"),
    path("usages/<int:pk>/delete/", views.ModelUsageRemoveView.as_view(), name="usage_delete"),
    path("usages/<int:pk>/reinstate/", views.ModelUsageReinstateView.as_view(), name="usage_reinstate"),
    path("usages.csv", views.ModelUsageCsvView.as_view(), name="usage_csv"),
    path("imports/", views.CsvImportListView.as_view(), name="csv_import_list"),
    path("imports/template.csv", views.CsvTemplateView.as_view(), name="csv_import_template"),
    path("imports/<int:pk>/", views.CsvImportDetailView.as_view(), name="csv_import_detail"),
    path("imports/<int:pk>/apply/", views.CsvImportApplyView.as_view(), name="csv_import_apply"),
    path("models/", views.AIModelListView.as_view(), name="model_list"),
    path("models/<int:pk>/", views.AIModelDetailView.as_view(), name="model_detail"),
    path("models/<int:pk>/parents/new/", views.DeclaredParentView.as_view(), name="declared_parent_create"),
    path("lineage/edges/<int:pk>/delete/", views.DeclaredParentRemoveView.as_view(), name="declared_parent_delete"),
    path("knowledge/unknown-publishers/", views.UnknownPublishersView.as_view(), name="unknown_publishers"),
    path("lineage/refresh/", views.LineageRefreshCreateView.as_view(), name="lineage_refresh_create"),
    path("lineage/refreshes/<int:pk>/", views.LineageRefreshDetailView.as_view(), name="lineage_refresh_detail"),
]
