"""The assessments app's REST API routes: (prefix, viewset, basename), registered on the one router."""

from assessments.api import questionnaires, views

ROUTES = [
    ("ratings", views.RiskRatingViewSet, "rating"),
    ("findings", views.FindingViewSet, "finding"),
    ("exposure", views.ExposureViewSet, "exposure"),
    ("policy-versions", views.PolicyVersionViewSet, "policy-version"),
    ("attestation-requests", views.AttestationRequestViewSet, "attestation-request"),
    ("questionnaires", questionnaires.QuestionnaireViewSet, "questionnaire"),
    ("assessments", questionnaires.AssessmentViewSet, "assessment"),
    ("evidence", questionnaires.EvidenceViewSet, "evidence"),
]
