"""Reads for assessments: lists, one assessment's answers as the questionnaire rules take them, the model table
pre-filled from what we know of the product, and the accepted answers the rating checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from assessments.models import Answer, AnswerComment, Assessment, Evidence, QuestionnaireVersion
from assessments.questionnaires import logic, questionnaire_of
from assessments.questionnaires.schema import Questionnaire
from riskregistry.versions import version_annotate
from vendors.models import LineageEdge, ModelUsage, Product
from vendors.selectors import lineage_reports, node_key


def assessment_queryset() -> QuerySet[Assessment]:
    """Assessments with what lists and the API show loaded."""
    return Assessment.objects.select_related("questionnaire", "product__vendor", "sent_by", "accepted_by")


def questionnaire_version_queryset() -> QuerySet[QuestionnaireVersion]:
    return QuestionnaireVersion.objects.select_related("created_by")


def questionnaire_versions_live() -> QuerySet[QuestionnaireVersion]:
    """Published versions not retired, by template key, each key's newest first."""
    return QuestionnaireVersion.objects.filter(retired_at__isnull=True).order_by("key", "-version")


def questionnaire_current_ids() -> set[int]:
    """The newest version not retired of every template key: what new assessments are sent with (one query)."""
    current: dict[str, int] = {}
    for key, pk in questionnaire_versions_live().values_list("key", "pk"):
        current.setdefault(key, pk)
    return set(current.values())


def evidence_queryset() -> QuerySet[Evidence]:
    return Evidence.objects.select_related("uploaded_by")


def questionnaire(assessment: Assessment) -> Questionnaire:
    return questionnaire_of(assessment.questionnaire.definition)


def answer_states(assessment: Assessment) -> dict[str, logic.AnswerState]:
    return {
        a.question_id: logic.AnswerState(a.value, a.na, a.na_reason)
        for a in Answer.objects.filter(assessment=assessment).only("question_id", "value", "na", "na_reason")
    }


def answers_by_question(assessment: Assessment) -> dict[str, Answer]:
    answers = version_annotate(
        Answer.objects.filter(assessment=assessment).select_related(
            "entered_by", "reviewed_by", "carried_from__assessment"
        )
    )
    return {a.question_id: a for a in answers}


def review_counts(assessment: Assessment) -> dict[str, int]:
    """How many answers are in each review status (``pending``, ``accepted``, ``changes_requested``)."""
    counts = dict.fromkeys(Answer.Review.values, 0)
    for status in assessment.answers.values_list("review_status", flat=True):
        counts[status] += 1
    return counts


def changes_requested(assessment: Assessment) -> list[tuple[str, str, str]]:
    """(question id, question text, the analyst's note) of each answer marked as needing changes, in the
    questionnaire's order."""
    questionnaire = questionnaire_of(assessment.questionnaire.definition)
    order = {q.id: n for n, q in enumerate(questionnaire.questions())}
    marked = assessment.answers.filter(review_status=Answer.Review.CHANGES_REQUESTED).values_list(
        "question_id", "review_note"
    )
    return [
        (qid, getattr(questionnaire.question(qid), "text", qid), note)
        for qid, note in sorted(marked, key=lambda row: order.get(row[0], len(order)))
    ]


def evidence_by_question(assessment: Assessment) -> dict[str, list[Evidence]]:
    result: dict[str, list[Evidence]] = {}
    for item in Evidence.objects.filter(assessment=assessment, retired_at__isnull=True):
        result.setdefault(item.question_id, []).append(item)
    return result


def comments_by_question(assessment: Assessment, *, include_internal: bool) -> dict[str, list[AnswerComment]]:
    comments = AnswerComment.objects.filter(assessment=assessment).select_related("author")
    if not include_internal:
        comments = comments.filter(internal=False)
    result: dict[str, list[AnswerComment]] = {}
    for comment in comments:
        result.setdefault(comment.question_id, []).append(comment)
    return result


def model_table_prefill(product: Product) -> list[dict]:
    """One row per registered usage of the product: the model, its publisher, the resolved root(s) it derives
    from and how, the role, host and region; the vendor confirms or corrects them."""
    usages = list(
        ModelUsage.objects.filter(product=product)
        .select_related("model__publisher", "host", "region")
        .order_by("role", "id")
    )
    if not usages:
        return []
    reports = lineage_reports([u.model for u in usages])
    direct = {
        e.child_id: e.relation
        for e in LineageEdge.objects.filter(child_id__in=[u.model_id for u in usages]).order_by("id")
    }
    rows = []
    for usage, report in zip(usages, reports, strict=True):
        subject = node_key(usage.model)
        # Roots by the names vendors use (``gpt-4o``, not our ``closed:gpt-4o``); matching takes either.
        roots = [report.models[r].name if r in report.models else r for r in report.roots if r != subject]
        rows.append(
            {
                "model": usage.model.name,
                "publisher": usage.model.publisher.name if usage.model.publisher else "",
                "base_model": ", ".join(roots)[:300],
                "relation": direct.get(usage.model_id, "none") if roots else "none",
                "role": usage.role,
                "host": usage.host.name if usage.host else "",
                "region": usage.region.code if usage.region else "",
            }
        )
    return rows


@dataclass(frozen=True)
class AcceptedAnswers:
    """The claims of a product's latest accepted assessment of each questionnaire, for the rating."""

    assessment_id: int
    key: str
    title: str
    score: int | None
    factors: tuple[str, ...]
    claims: logic.AnswerClaims


def accepted_answers(product_ids: Iterable[int]) -> dict[int, list[AcceptedAnswers]]:
    """product id -> the latest accepted assessment of each questionnaire key, with its claims (two queries)."""
    latest: dict[tuple[int, str], Assessment] = {}
    accepted = (
        Assessment.objects.filter(product_id__any_of=list(set(product_ids)), status=Assessment.Status.ACCEPTED)
        .select_related("questionnaire")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.only("assessment_id", "question_id", "value", "na"))
        )
        .order_by("accepted_at", "id")
    )
    for assessment in accepted:
        latest[(assessment.product_id, assessment.questionnaire.key)] = assessment
    result: dict[int, list[AcceptedAnswers]] = {}
    for (product_id, key), assessment in sorted(latest.items()):
        states = {a.question_id: logic.AnswerState(a.value, a.na, "") for a in assessment.answers.all()}
        q = questionnaire_of(assessment.questionnaire.definition)
        factors = tuple(dict.fromkeys(code for row in assessment.breakdown if row["points"] for code in row["factor"]))
        result.setdefault(product_id, []).append(
            AcceptedAnswers(
                assessment.pk, key, assessment.questionnaire.title, assessment.score, factors, logic.claims(q, states)
            )
        )
    return result


def vendor_statements(product: Product, *, limit: int = 5) -> list[tuple[Assessment, list[Evidence]]]:
    """The product's accepted assessments, newest first, with their evidence: what a discrepancy finding shows
    beside the resolved chain."""
    accepted = (
        Assessment.objects.filter(product=product, status=Assessment.Status.ACCEPTED)
        .select_related("questionnaire")
        .order_by("-accepted_at", "-id")[:limit]
    )
    return [(a, list(Evidence.objects.filter(assessment=a, retired_at__isnull=True))) for a in accepted]
