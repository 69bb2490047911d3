"""The vendor portal (no account: links hold a token). Part of the ``portal`` namespace."""

from django.urls import path

from assessments.views import portal

app_name = "portal"

urlpatterns = [
    path("a/<str:token>/", portal.AssessmentEnterView.as_view(), name="assessment_enter"),
    path("assessments/<int:pk>/", portal.AssessmentPortalView.as_view(), name="assessment"),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_pk>/",
        portal.AssessmentPortalEvidenceView.as_view(),
        name="assessment_evidence",
    ),
]
