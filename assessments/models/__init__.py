"""What we ask and conclude about vendors: the scoring policy, ratings, exposure and findings (``ratings``),
questionnaire versions (``questionnaires``), assessments with their answers, comments and evidence
(``assessments``), attestation requests and signed attestations (``attestations``) and the vendor portal's links
(``portal``)."""

from assessments.models.assessments import (
    Answer,
    AnswerComment,
    Assessment,
    AssessmentEvent,
    AssessmentLink,
    Evidence,
)
from assessments.models.attestations import (
    Attestation,
    AttestationCoverage,
    AttestationDraft,
    AttestationLink,
    AttestationRequest,
    AttestationRequestStatus,
    AttestationScope,
)
from assessments.models.portal import PortalLink, live_link_constraint
from assessments.models.questionnaires import QuestionnaireVersion
from assessments.models.ratings import (
    LIVE_STATUSES,
    TIER_ORDER,
    Exposure,
    Finding,
    FindingComment,
    FindingStatus,
    FindingTrigger,
    RiskRating,
    ScoringPolicy,
    Tier,
)

__all__ = [
    "LIVE_STATUSES",
    "TIER_ORDER",
    "Answer",
    "AnswerComment",
    "Assessment",
    "AssessmentEvent",
    "AssessmentLink",
    "Attestation",
    "AttestationCoverage",
    "AttestationDraft",
    "AttestationLink",
    "AttestationRequest",
    "AttestationRequestStatus",
    "AttestationScope",
    "Evidence",
    "Exposure",
    "Finding",
    "FindingComment",
    "FindingStatus",
    "FindingTrigger",
    "PortalLink",
    "QuestionnaireVersion",
    "RiskRating",
    "ScoringPolicy",
    "Tier",
    "live_link_constraint",
]
