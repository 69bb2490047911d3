"""The vendors app's REST API routes: (prefix, viewset, basename), registered on the one router."""

from vendors.api import imports, model_files, views

ROUTES = [
    ("vendors", views.VendorViewSet, "vendor"),
    ("contacts", views.ContactViewSet, "contact"),
    ("products", views.ProductViewSet, "product"),
    ("model-usages", views.ModelUsageViewSet, "model-usage"),
    ("models", views.AIModelViewSet, "model"),
    ("lineage-edges", views.LineageEdgeViewSet, "lineage-edge"),
    ("publishers", views.PublisherViewSet, "publisher"),
    ("hosts", views.HostViewSet, "host"),
    ("changes", views.ChangeEventViewSet, "change"),
    ("csv-imports", imports.CsvImportViewSet, "csv-import"),
    ("model-file-uploads", model_files.ModelFilesUploadViewSet, "model-file-upload"),
]
