"""Writes for assessments: rescoring (``rescoring``), policy versions (``policy``), the findings' workflow
(``findings``), attestation requests and signatures (``attestations``), questionnaire versions
(``questionnaires``), assessments' workflow (``assessments``), answers, comments and evidence (``answers``), what
an accepted submission changes (``registry``), portal links of any kind (``portal``) and emails (``notify``).
Views, tasks and commands call these; nothing else writes assessments' rows."""

from assessments.services.answers import (
    AssessmentLocked,
    RawAnswer,
    SaveResult,
    answer_comment_add,
    answer_review,
    answers_carry_over,
    answers_save,
    evidence_add,
    evidence_retire,
)
from assessments.services.assessments import (
    assessment_accept,
    assessment_cancel,
    assessment_link_reissue,
    assessment_link_revoke,
    assessment_return,
    assessment_send,
    assessment_submit,
    assessments_remind,
    assessments_send_vendor,
)
from assessments.services.attestations import (
    attestation_draft_save,
    attestation_request_cancel,
    attestation_request_create,
    attestation_sign,
    attestation_signed_notify,
    responses_clean,
)
from assessments.services.findings import (
    finding_accept,
    finding_acceptance_approve,
    finding_acceptance_revoke,
    finding_comment_add,
    finding_resolve,
    finding_update,
    findings_expire,
    findings_notify,
)
from assessments.services.model_files import questionnaire_model_files_upload
from assessments.services.policy import policy_default_ensure, policy_version_create
from assessments.services.portal import (
    PortalLinkGone,
    PortalLinkUnknown,
    portal_link_check,
    portal_link_find,
    portal_link_mint,
    portal_link_revoke,
    portal_link_touch,
    public_url,
    token_hash,
)
from assessments.services.questionnaires import (
    questionnaire_current,
    questionnaire_version_publish,
    questionnaire_versions_load,
)
from assessments.services.rescoring import ratings_refresh, ratings_refresh_request

__all__ = [
    "AssessmentLocked",
    "PortalLinkGone",
    "PortalLinkUnknown",
    "RawAnswer",
    "SaveResult",
    "answer_comment_add",
    "answer_review",
    "answers_carry_over",
    "answers_save",
    "assessment_accept",
    "assessment_cancel",
    "assessment_link_reissue",
    "assessment_link_revoke",
    "assessment_return",
    "assessment_send",
    "assessment_submit",
    "assessments_remind",
    "assessments_send_vendor",
    "attestation_draft_save",
    "attestation_request_cancel",
    "attestation_request_create",
    "attestation_sign",
    "attestation_signed_notify",
    "evidence_add",
    "evidence_retire",
    "finding_accept",
    "finding_acceptance_approve",
    "finding_acceptance_revoke",
    "finding_comment_add",
    "finding_resolve",
    "finding_update",
    "findings_expire",
    "findings_notify",
    "policy_default_ensure",
    "policy_version_create",
    "portal_link_check",
    "portal_link_find",
    "portal_link_mint",
    "portal_link_revoke",
    "portal_link_touch",
    "public_url",
    "questionnaire_current",
    "questionnaire_model_files_upload",
    "questionnaire_version_publish",
    "questionnaire_versions_load",
    "ratings_refresh",
    "ratings_refresh_request",
    "responses_clean",
    "token_hash",
]
