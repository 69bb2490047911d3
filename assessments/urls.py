from django.urls import path

from assessments.views import assessments, attestation_links, attestations, exposure, findings, policy

app_name = "assessments"

urlpatterns = [
    # findings
    path("findings/", findings.FindingListView.as_view(), name="finding_list"),
    path("findings/mine/", findings.MyFindingListView.as_view(), name="finding_list_mine"),
    path("findings/<int:pk>/", findings.FindingDetailView.as_view(), name="finding_detail"),
    path("findings/<int:pk>/comment/", findings.FindingCommentView.as_view(), name="finding_comment"),
    path("findings/<int:pk>/edit/", findings.FindingUpdateView.as_view(), name="finding_update"),
    path("findings/<int:pk>/accept/", findings.FindingAcceptView.as_view(), name="finding_accept"),
    path("findings/<int:pk>/revoke/", findings.FindingRevokeView.as_view(), name="finding_revoke"),
    path("findings/<int:pk>/approve/", findings.FindingApproveView.as_view(), name="finding_approve"),
    path("findings/<int:pk>/resolve/", findings.FindingResolveView.as_view(), name="finding_resolve"),
    # assessments
    path("assessments/", assessments.AssessmentListView.as_view(), name="assessment_list"),
    path("assessments/send/", assessments.AssessmentSendView.as_view(), name="assessment_send"),
    path("assessments/<int:pk>/", assessments.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("assessments/<int:pk>/answer/", assessments.AssessmentAnswerView.as_view(), name="assessment_answer"),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_pk>/",
        assessments.AssessmentEvidenceView.as_view(),
        name="assessment_evidence",
    ),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_pk>/retire/",
        assessments.EvidenceRetireView.as_view(),
        name="evidence_retire",
    ),
    path("assessments/<int:pk>/cancel/", assessments.AssessmentCancelView.as_view(), name="assessment_cancel"),
    path("assessments/<int:pk>/<str:action>/", assessments.AssessmentActionView.as_view(), name="assessment_action"),
    # policy
    path("policy/", policy.PolicyDetailView.as_view(), name="policy_detail"),
    path("policy/edit/", policy.PolicyEditView.as_view(), name="policy_edit"),
    # exposure and usages
    path("exposure/", exposure.ExposureView.as_view(), name="exposure"),
    path("usages/<int:pk>/", exposure.UsageDetailView.as_view(), name="usage_detail"),
    # attestations
    path("attestations/", attestations.AttestationRequestListView.as_view(), name="attestation_request_list"),
    path(
        "vendors/<int:vendor_pk>/attestations/new/",
        attestations.AttestationRequestCreateView.as_view(),
        name="attestation_request_create_vendor",
    ),
    path(
        "products/<int:product_pk>/attestations/new/",
        attestations.AttestationRequestCreateView.as_view(),
        name="attestation_request_create_product",
    ),
    path(
        "attestations/<int:pk>/", attestations.AttestationRequestDetailView.as_view(), name="attestation_request_detail"
    ),
    path(
        "attestations/<int:pk>/request.pdf",
        attestations.AttestationRequestPdfView.as_view(),
        name="attestation_request_pdf",
    ),
    path("attestations/<int:pk>/signed.pdf", attestations.AttestationSignedPdfView.as_view(), name="attestation_pdf"),
    path(
        "attestations/<int:pk>/cancel/",
        attestations.AttestationRequestCancelView.as_view(),
        name="attestation_request_cancel",
    ),
    path(
        "attestations/<int:pk>/link/",
        attestation_links.AttestationLinkSendView.as_view(),
        name="attestation_link_send",
    ),
    path(
        "attestations/<int:pk>/link/revoke/",
        attestation_links.AttestationLinkRevokeView.as_view(),
        name="attestation_link_revoke",
    ),
]
