"""The REST API of questionnaires and assessments: the questionnaire versions (read), assessments with their
answers, comments and evidence, and the workflow, one action per verb (send, remind, reissue the link, return
with comments, accept, cancel), each through the service the pages use."""

from __future__ import annotations

import django_filters
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from assessments import selectors, services
from assessments.api.serializers import AssessmentSerializer
from assessments.filters import AssessmentFilterSet
from assessments.models import Answer, AnswerComment, AssessmentLink, Evidence, QuestionnaireVersion
from assessments.views.portal import evidence_response
from riskregistry.api_auth import needs
from riskregistry.api_base import RegistryViewSet
from riskregistry.filters import BoundedFilterSet
from vendors.models import Contact, Product

_READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
_CHANGE = needs("assessments.change_assessment")


# ---------------------------------------------------------------------------------------------------------------
# Questionnaires
# ---------------------------------------------------------------------------------------------------------------
class QuestionnaireVersionSerializer(serializers.ModelSerializer):
    """One published version of a questionnaire template (``key``); versions are frozen, an edit is a new one.
    ``is_current``: the version new assessments are sent with (the newest one not retired)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_current = serializers.SerializerMethodField()
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "key", "version", "title", "source", "note", "sha256", "question_count", "is_current",
                  "published_at", "retired_at", "created_by"]  # fmt: skip
        read_only_fields = fields

    def get_is_current(self, version) -> bool:
        return version.pk in self.context.get("current_ids", ())

    def get_question_count(self, version) -> int:
        return sum(len(section.get("questions", [])) for section in version.definition.get("sections", []))


class QuestionnaireVersionDetailSerializer(QuestionnaireVersionSerializer):
    """A questionnaire version with its whole document (sections, questions, choices, points, conditions), as
    validated when it was published."""

    definition = serializers.JSONField(read_only=True)

    class Meta(QuestionnaireVersionSerializer.Meta):
        fields = [*QuestionnaireVersionSerializer.Meta.fields, "definition"]
        read_only_fields = fields


class QuestionnaireVersionFilterSet(BoundedFilterSet):
    """Versions of one template (``key``), or only those new assessments are sent with (``current``)."""

    key = django_filters.CharFilter(label="Template key (ai-mbom, ai-intake, ...)")
    current = django_filters.BooleanFilter(method="filter_current", label="Only each template's current version")

    class Meta:
        model = QuestionnaireVersion
        fields = ["key", "current"]

    def filter_current(self, queryset, name, value):
        ids = selectors.questionnaire_current_ids()
        return queryset.filter(pk__in=ids) if value else queryset.exclude(pk__in=ids)


class QuestionnaireViewSet(*_READ, RegistryViewSet):
    """Questionnaire templates, one row per published version (``key`` and ``version``); a version's detail
    has the whole document. Versions are published by admins on the pages; they are never edited."""

    selector = staticmethod(selectors.questionnaire_version_queryset)
    serializer_class = QuestionnaireVersionSerializer
    filterset_class = QuestionnaireVersionFilterSet

    def get_serializer_class(self):
        return QuestionnaireVersionDetailSerializer if self.action == "retrieve" else QuestionnaireVersionSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "current_ids": selectors.questionnaire_current_ids()}


# ---------------------------------------------------------------------------------------------------------------
# Assessments: answers, comments, evidence
# ---------------------------------------------------------------------------------------------------------------
class EvidenceSerializer(serializers.ModelSerializer):
    """A file attached to a question: its checked type, size and SHA-256; ``download`` serves it (as an
    attachment, to signed-in users and keys that may view evidence). Retired files are kept but not listed."""

    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "assessment", "question_id", "original_name", "content_type", "size", "sha256", "channel",
                  "uploaded_by", "uploaded_at", "retired_at", "download"]  # fmt: skip
        read_only_fields = fields

    def get_download(self, evidence) -> str:
        return reverse("evidence-download", args=[evidence.pk], request=self.context.get("request"))


class AnswerCommentSerializer(serializers.ModelSerializer):
    """A comment on a question: the vendor's or an analyst's; ``internal`` notes are never shown to the vendor."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AnswerComment
        fields = ["id", "author_kind", "author", "body", "internal", "round", "created_at"]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    """One question of the assessment's questionnaire version with the vendor's answer (``answered`` false and
    ``value`` null when there is none yet), its comments and its evidence. Whose statement it is stays the
    vendor's; ``channel``, ``on_behalf`` and ``entered_by`` say how it came and who typed it."""

    question_id = serializers.CharField()
    section = serializers.CharField()
    text = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()
    answered = serializers.BooleanField()
    value = serializers.JSONField(allow_null=True, help_text="As the question's type: text, a choice, a list, ...")
    na = serializers.BooleanField(help_text="Answered not applicable (with ``na_reason``).")
    na_reason = serializers.CharField(allow_blank=True)
    channel = serializers.ChoiceField(choices=Answer.Channel.choices, allow_null=True)
    on_behalf = serializers.BooleanField(help_text="Entered by an analyst on the vendor's behalf.")
    entered_by = serializers.CharField(allow_null=True)
    round = serializers.IntegerField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    carried_state = serializers.ChoiceField(
        choices=Answer.Carried.choices,
        allow_blank=True,
        allow_null=True,
        help_text="A recurring round's answer carried over from the last accepted one, and whether the vendor "
        "confirmed or changed it (blank: answered in this round).",
    )
    review_status = serializers.ChoiceField(
        choices=Answer.Review.choices, allow_null=True, help_text="The analyst's review of this answer."
    )
    review_note = serializers.CharField(allow_blank=True, help_text="What the vendor should change, or why.")
    reviewed_by = serializers.CharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    comments = AnswerCommentSerializer(many=True)
    evidence = EvidenceSerializer(many=True)


def answer_rows(assessment) -> list[dict]:
    """Every question of the assessment's version, in order, with its answer, comments and evidence."""
    questionnaire = selectors.questionnaire(assessment)
    answers = selectors.answers_by_question(assessment)
    evidence = selectors.evidence_by_question(assessment)
    comments = selectors.comments_by_question(assessment, include_internal=True)
    rows = []
    for section in questionnaire.sections:
        for question in section.questions:
            answer = answers.get(question.id)
            rows.append(
                {
                    "question_id": question.id,
                    "section": section.id,
                    "text": question.text,
                    "type": question.type,
                    "required": question.required,
                    "answered": answer is not None,
                    "value": answer.value if answer else None,
                    "na": answer.na if answer else False,
                    "na_reason": answer.na_reason if answer else "",
                    "channel": answer.channel if answer else None,
                    "on_behalf": answer.on_behalf if answer else False,
                    "entered_by": answer.entered_by.get_username() if answer and answer.entered_by else None,
                    "round": answer.round if answer else None,
                    "answered_at": answer.answered_at if answer else None,
                    "carried_state": answer.carried_state if answer else None,
                    "review_status": answer.review_status if answer else None,
                    "review_note": answer.review_note if answer else "",
                    "reviewed_by": answer.reviewed_by.get_username() if answer and answer.reviewed_by else None,
                    "reviewed_at": answer.reviewed_at if answer else None,
                    "comments": comments.get(question.id, []),
                    "evidence": evidence.get(question.id, []),
                }
            )
    return rows


class AssessmentEventSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="sent, saved, submitted, returned, accepted, link_reissue, ...")
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(source="actor_label", help_text="A username, or the vendor portal.")
    note = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class AssessmentDetailSerializer(AssessmentSerializer):
    """An assessment with every question and its answer, comments (analysts' internal notes included, marked
    ``internal``) and evidence, the scoring breakdown and the trail of its steps."""

    contacts = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)
    accepted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    breakdown = serializers.JSONField(read_only=True, help_text="[{question_id, value, points, max, factor}]")
    answers = serializers.SerializerMethodField()
    events = AssessmentEventSerializer(many=True, read_only=True)

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "contacts", "accepted_by", "breakdown", "answers", "events"]
        read_only_fields = fields

    def get_answers(self, assessment) -> AnswerSerializer(many=True):  # type: ignore[valid-type]
        return AnswerSerializer(answer_rows(assessment), many=True, context=self.context).data


class AssessmentSendSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    questionnaire = serializers.SlugField(help_text="The template key; its current version is sent.")
    due_date = serializers.DateField()
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), many=True, required=False)
    recurrence = serializers.ChoiceField(
        choices=AssessmentSerializer.Meta.model.Recurrence.choices, required=False, default="", allow_blank=True
    )


class AssessmentSentSerializer(AssessmentSerializer):
    """The assessment sent, with its portal link (shown once; it was emailed to the contacts)."""

    portal_url = serializers.SerializerMethodField()

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "portal_url"]
        read_only_fields = fields

    def get_portal_url(self, assessment) -> str:
        return self.context["portal_url"]


class PortalLinkSerializer(serializers.Serializer):
    portal_url = serializers.CharField(help_text="The new link (shown once; emailed to the contacts).")


class CommentInSerializer(serializers.Serializer):
    question_id = serializers.CharField(max_length=100)
    body = serializers.CharField(max_length=4000)
    internal = serializers.BooleanField(default=False, help_text="An analysts' note the vendor never sees.")


class AssessmentReturnSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, help_text="What the vendor should correct.")
    comments = CommentInSerializer(many=True, required=False, help_text="Comments on questions, added first.")


class AssessmentCancelSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class AssessmentViewSet(*_READ, RegistryViewSet):
    """Questionnaires sent to vendors, filtered as on the assessments page; one assessment has every answer,
    comment and evidence file. The workflow: ``send``, ``remind`` or ``reissue-link`` (a new portal link; the old
    one answers 410), ``return`` (with comments), ``accept``, ``cancel``."""

    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(selectors.assessment_queryset)  # in the model's order: soonest due first
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            return queryset.prefetch_related("contacts", "events")
        return queryset

    def get_serializer_class(self):
        return AssessmentDetailSerializer if self.action == "retrieve" else AssessmentSerializer

    @extend_schema(request=AssessmentSendSerializer, responses={201: AssessmentSentSerializer})
    @action(
        detail=False, methods=["post"], filter_backends=[], permission_classes=[needs("assessments.add_assessment")]
    )
    def send(self, request):
        """Send the current version of a questionnaire about a product, due on a date: the portal link is emailed
        to the contacts and returned once here."""
        data = AssessmentSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment, url = services.assessment_send(**data.validated_data, by=request.user)
        row = self.get_queryset().get(pk=assessment.pk)
        context = {**self.get_serializer_context(), "portal_url": url}
        return Response(AssessmentSentSerializer(row, context=context).data, status=201)

    @extend_schema(request=None, responses={200: PortalLinkSerializer})
    @action(detail=True, methods=["post"], permission_classes=[_CHANGE])
    def remind(self, request, pk=None):
        """Remind the contacts: a new portal link is emailed as a reminder (the old link answers 410)."""
        url = services.assessment_link_reissue(
            assessment=self.get_object(), by=request.user, reason=AssessmentLink.Reason.REMINDER
        )
        return Response({"portal_url": url})

    @extend_schema(request=None, responses={200: PortalLinkSerializer})
    @action(detail=True, methods=["post"], url_path="reissue-link", permission_classes=[_CHANGE])
    def reissue_link(self, request, pk=None):
        """Issue a new portal link (a lost or leaked one stops working: it answers 410) and email it."""
        return Response({"portal_url": services.assessment_link_reissue(assessment=self.get_object(), by=request.user)})

    @extend_schema(request=AssessmentReturnSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[_CHANGE])
    def return_(self, request, pk=None):
        """Send a submission back to the vendor with a note and comments on questions; the vendor's next save
        opens a new round. All or nothing: a refused comment returns nothing."""
        data = AssessmentReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = self.get_object()
        with transaction.atomic():
            for comment in data.validated_data.get("comments", []):
                services.answer_comment_add(assessment=assessment, **comment, by=request.user)
            services.assessment_return(assessment=assessment, note=data.validated_data["note"], by=request.user)
        return self.detail_response(assessment)

    @extend_schema(request=None, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[_CHANGE])
    def accept(self, request, pk=None):
        """Accept a submission: its model table becomes declared usages, its answers reach the rating, and a
        recurring assessment sends its next one."""
        return self.detail_response(services.assessment_accept(assessment=self.get_object(), by=request.user))

    @extend_schema(request=AssessmentCancelSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[_CHANGE])
    def cancel(self, request, pk=None):
        """Cancel an open or submitted assessment; its portal link stops working."""
        data = AssessmentCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = self.get_object()
        return self.detail_response(
            services.assessment_cancel(assessment=assessment, note=data.validated_data["note"], by=request.user)
        )

    def detail_response(self, assessment) -> Response:
        row = selectors.assessment_queryset().prefetch_related("contacts", "events").get(pk=assessment.pk)
        return Response(AssessmentDetailSerializer(row, context=self.get_serializer_context()).data)


class EvidenceViewSet(mixins.RetrieveModelMixin, RegistryViewSet):
    """One evidence file's metadata and its download (the files of an assessment are listed in its detail)."""

    selector = staticmethod(selectors.evidence_queryset)
    serializer_class = EvidenceSerializer

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file as uploaded, as an attachment, with its checked type."
            )
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, always as an attachment (never rendered inline); its SHA-256 is in the metadata."""
        return evidence_response(self.get_object())
