"""The project's URLs plus the bare views the API is measured against (benchmark only)."""

from django.urls import include, path

from benchmarks.api import bare

urlpatterns = [
    path("bare/products/", bare.products),
    path("bare/model-usages/", bare.model_usages),
    path("bare/findings/", bare.findings),
    path("bare/changes/", bare.changes),
    path("", include("riskregistry.urls")),
]
