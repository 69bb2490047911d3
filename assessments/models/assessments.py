"""Assessments: a questionnaire version sent to a vendor for one product, its answers, per-question comments,
evidence files, the trail of its status changes and its portal links."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from assessments.models.portal import PortalLink, live_link_constraint
from riskregistry.versions import VersionedHistory
from vendors.models.base import choices_check


def evidence_storage():
    """The ``evidence`` storage of settings.STORAGES: outside the web root, never served by URL."""
    from django.core.files.storage import storages

    return storages["evidence"]


class AssessmentStatus(models.TextChoices):
    SENT = "sent", "Sent"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Cancelled"


class Recurrence(models.TextChoices):
    NONE = "", "Once"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


#: Statuses in which the vendor may still write (and the assessment can become overdue).
OPEN_STATUSES = (AssessmentStatus.SENT, AssessmentStatus.IN_PROGRESS, AssessmentStatus.RETURNED)


class Assessment(models.Model):
    """A questionnaire version sent to a vendor's contacts about one product, due on ``due_date``.

    Statuses: sent → in progress (first save) → submitted → returned (with comments) → in progress … →
    accepted; cancelled from any open state. Overdue is computed (an open assessment past its due date), never
    stored. ``recurrence`` makes accepting it create the next one, due a quarter or a year later.
    """

    Status = AssessmentStatus
    Recurrence = Recurrence

    questionnaire = models.ForeignKey(
        "assessments.QuestionnaireVersion", on_delete=models.PROTECT, related_name="assessments"
    )
    product = models.ForeignKey("vendors.Product", on_delete=models.PROTECT, related_name="assessments")
    contacts = models.ManyToManyField("vendors.Contact", blank=True, related_name="assessments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SENT)
    due_date = models.DateField()
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices, default=Recurrence.NONE, blank=True)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_assessment"
    )
    round = models.PositiveSmallIntegerField(default=1, help_text="1, then one more each time it is returned.")
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Risk points of the answers, 0-100 (higher is riskier); null: none scorable."
    )
    breakdown = models.JSONField(
        default=list, blank=True, help_text="[{question_id, value, points, max, factor}] as scored."
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminders_sent = models.JSONField(
        default=list, blank=True, help_text="Reminder stamps already sent (days before, overdue)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            choices_check("status", AssessmentStatus, "assessment_status_valid"),
            choices_check("recurrence", Recurrence, "assessment_recurrence_valid"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="assessment_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.title} · {self.product}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:assessment_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_date < today


class AssessmentEvent(models.Model):
    """One step of an assessment's trail: a status change, a reminder, a link issued or revoked."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=32, help_text="sent, saved, submitted, returned, accepted, link_issued, ...")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Who acted: a username, or the vendor portal.")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.action} by {self.actor_label}"


class AnswerChannel(models.TextChoices):
    PORTAL = "portal", "Vendor portal"
    ANALYST = "analyst", "Analyst on the vendor's behalf"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Not reviewed"
    ACCEPTED = "accepted", "Accepted"
    CHANGES_REQUESTED = "changes_requested", "Needs changes"


class CarriedState(models.TextChoices):
    NONE = "", "Answered in this round"
    TO_CONFIRM = "to_confirm", "Carried over, to confirm"
    CONFIRMED = "confirmed", "Carried over and confirmed"
    CHANGED = "changed", "Carried over, then changed"


class Answer(models.Model):
    """The vendor's answer to one question (``question_id`` is the stable id in the questionnaire file).

    An analyst reviewing a submission marks each answer accepted or needing changes (with a note the vendor
    reads in the portal); a returned assessment carries those marks, an assessment with an answer still needing
    changes cannot be accepted, and a vendor's new value puts the answer back to "not reviewed".

    A recurring round starts from the last accepted answers: such an answer is ``carried_from`` the earlier one
    and waits for the vendor to confirm it is still true or to change it (``carried_state``) before submitting.

    ``value`` is "yes"/"no", a choice value, a list of values, a number, an ISO date, text, a list of file
    evidence ids, or a list of row dicts for a model table. N/A is an answer with a reason. Whose statement it is
    stays the vendor's; ``channel`` and ``entered_by`` say how it came and who typed it (an analyst on the
    vendor's behalf is marked so). Earlier values are kept in the history.
    """

    Channel = AnswerChannel
    Review = ReviewStatus
    Carried = CarriedState

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="answers")
    question_id = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True)
    na = models.BooleanField("not applicable", default=False)
    na_reason = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.PositiveSmallIntegerField(default=1)
    answered_at = models.DateTimeField(auto_now=True)
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The accepted answer of the previous round this one started from.",
    )
    carried_state = models.CharField(max_length=16, choices=CarriedState.choices, default=CarriedState.NONE, blank=True)
    review_status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    review_note = models.TextField(blank=True, max_length=4000, help_text="What the vendor should change, or why.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["assessment_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question_id"], name="answer_unique_per_question"),
            choices_check("channel", AnswerChannel, "answer_channel_valid"),
            choices_check("review_status", ReviewStatus, "answer_review_status_valid"),
            models.CheckConstraint(
                condition=~Q(review_status=ReviewStatus.CHANGES_REQUESTED) | ~Q(review_note=""),
                name="answer_changes_requested_has_note",
            ),
            choices_check("carried_state", CarriedState, "answer_carried_state_valid"),
            models.CheckConstraint(
                condition=Q(carried_from__isnull=True, carried_state="")
                | (Q(carried_from__isnull=False) & ~Q(carried_state="")),
                name="answer_carried_state_with_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.question_id}"

    @property
    def on_behalf(self) -> bool:
        return self.channel == AnswerChannel.ANALYST

    @property
    def to_confirm(self) -> bool:
        return self.carried_state == CarriedState.TO_CONFIRM

    @property
    def needs_changes(self) -> bool:
        return self.review_status == ReviewStatus.CHANGES_REQUESTED


class CommentAuthor(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    ANALYST = "analyst", "Analyst"


class AnswerComment(models.Model):
    """A comment on one question: the vendor's, or an analyst's (shown to the vendor unless ``internal``)."""

    AuthorKind = CommentAuthor

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="comments")
    question_id = models.CharField(max_length=100)
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="An analysts' note the vendor never sees.")
    round = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            choices_check("author_kind", CommentAuthor, "answercomment_author_kind_valid"),
            models.CheckConstraint(
                condition=Q(internal=False) | Q(author_kind=CommentAuthor.ANALYST),
                name="answercomment_internal_analyst",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.question_id}: {self.body[:40]}"


class Evidence(models.Model):
    """A file the vendor (or an analyst) attached to a question. Stored outside the web root under a random
    name; its type was read from the content, its SHA-256 taken on upload. Served only as an attachment to
    signed-in users and to the portal session of its assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="evidence")
    question_id = models.CharField(max_length=100)
    file = models.FileField(storage=evidence_storage, upload_to="evidence/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=AnswerChannel.choices, default=AnswerChannel.PORTAL)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Removed from the answer; the file is kept.")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [choices_check("channel", AnswerChannel, "evidence_channel_valid")]

    def __str__(self) -> str:
        return self.original_name


class AssessmentLink(PortalLink):
    """A portal link that opens one assessment."""

    SUBJECT_FIELD = "assessment"

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="links")

    class Meta(PortalLink.Meta):
        constraints = [
            *PortalLink.Meta.constraints,
            live_link_constraint("assessment", "assessmentlink_one_live_per_assessment"),
        ]
