"""The reports app's REST API routes: (prefix, viewset, basename), registered on the one router."""

from reports.api import views

ROUTES = [
    ("reports", views.ReportViewSet, "report"),
]
