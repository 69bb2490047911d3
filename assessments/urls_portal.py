"""The vendor portal (no account: links hold a token). Part of the ``portal`` namespace."""

from django.urls import path

from assessments.views import attestation_portal, portal

app_name = "portal"

urlpatterns = [
    path("a/<str:token>/", portal.AssessmentEnterView.as_view(), name="assessment_enter"),
    path("assessments/<int:pk>/", portal.AssessmentPortalView.as_view(), name="assessment"),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_pk>/",
        portal.AssessmentPortalEvidenceView.as_view(),
        name="assessment_evidence",
    ),
    path("t/<str:token>/", attestation_portal.AttestationEnterView.as_view(), name="attestation_enter"),
    path("attestations/<int:pk>/", attestation_portal.AttestationPortalView.as_view(), name="attestation"),
    path(
        "attestations/<int:pk>/<str:kind>.pdf",
        attestation_portal.AttestationPortalPdfView.as_view(),
        name="attestation_pdf",
    ),
]
