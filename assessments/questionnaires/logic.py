"""Pure rules over a questionnaire and its answers: which questions show, what a valid value is, what is still
missing before a submit, the risk points, and what the answers claim about the product's models.

Answers are plain ``AnswerState`` values keyed by question id; nothing here touches the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from assessments.questionnaires.schema import Question, Questionnaire

_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class AnswerState:
    value: object = None
    na: bool = False
    na_reason: str = ""

    @property
    def given(self) -> bool:
        return self.na or self.value not in (None, "", [])


class AnswerError(ValueError):
    """A value that does not fit its question; the message is for the person who typed it."""


def _show(question: Question, answers: Mapping[str, AnswerState], shown: set[str]) -> bool:
    if question.show_if is None:
        return True
    target = question.show_if.q
    if target not in shown:  # hiding cascades: a question under a hidden one is hidden too
        return False
    state = answers.get(target)
    if state is None or state.na:
        return False
    values = state.value if isinstance(state.value, list) else [state.value]
    return any(str(v) in question.show_if.in_ for v in values)


def visible(questionnaire: Questionnaire, answers: Mapping[str, AnswerState]) -> set[str]:
    """The ids of the questions shown for these answers (a hidden question is neither required nor scored)."""
    shown: set[str] = set()
    for question in questionnaire.questions():
        if _show(question, answers, shown):
            shown.add(question.id)
    return shown


def _text(raw: object, limit: int) -> str:
    if not isinstance(raw, str):
        raise AnswerError("Enter text.")
    value = raw.strip()
    if len(value) > limit:
        raise AnswerError(f"Keep it under {limit} characters (this has {len(value)}).")
    return value


def _choice(question: Question, raw: object) -> str:
    if not isinstance(raw, str) or question.choice(raw) is None:
        raise AnswerError("Choose one of the options.")
    return raw


def _number(question: Question, raw: object) -> int | float | None:
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
        try:
            raw = float(raw)
        except ValueError:
            raise AnswerError("Enter a number.") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise AnswerError("Enter a number.")
    if question.integer:
        if raw != int(raw):
            raise AnswerError("Enter a whole number.")
        raw = int(raw)
    if question.min is not None and raw < question.min:
        raise AnswerError(f"Enter {question.min:g} or more.")
    if question.max is not None and raw > question.max:
        raise AnswerError(f"Enter {question.max:g} or less.")
    return raw


def _date(question: Question, raw: object, today: date) -> str | None:
    if raw in (None, ""):
        return None
    try:
        value = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise AnswerError("Enter a date as YYYY-MM-DD.") from None
    if question.not_after_today and value > today:
        raise AnswerError("Enter a date that is not in the future.")
    return value.isoformat()


def _rows(question: Question, raw: object) -> list[dict]:
    if not isinstance(raw, list):
        raise AnswerError("Enter the table's rows.")
    if len(raw) > question.max_rows:
        raise AnswerError(f"At most {question.max_rows} rows.")
    rows = []
    for number, row in enumerate(raw, start=1):
        if not isinstance(row, Mapping):
            raise AnswerError(f"Row {number} is not a row.")
        unknown = set(row) - {c.id for c in question.columns}
        if unknown:
            raise AnswerError(f"Row {number} has unknown columns: {', '.join(sorted(map(str, unknown)))}.")
        clean = {}
        for column in question.columns:
            value = row.get(column.id, "")
            value = "" if value is None else value
            if not isinstance(value, str):
                raise AnswerError(f"Row {number}, {column.label}: enter text.")
            value = value.strip()
            if len(value) > column.max_length:
                raise AnswerError(f"Row {number}, {column.label}: at most {column.max_length} characters.")
            if value and column.type == "single_choice" and value not in column.choices:
                raise AnswerError(f"Row {number}, {column.label}: choose one of {', '.join(column.choices)}.")
            clean[column.id] = value
        if not any(clean.values()):
            continue  # an empty row is no row
        for column in question.columns:
            if column.required and not clean[column.id]:
                raise AnswerError(f"Row {number}: {column.label} is required.")
        rows.append(clean)
    return rows


def clean_value(question: Question, raw: object, *, today: date) -> object:
    """The stored form of a raw value (from a form or the API), or AnswerError. Blank gives None."""
    if raw is None or raw == "" or raw == []:
        return None
    kind = question.type
    if kind in ("yes_no", "single_choice"):
        return _choice(question, raw)
    if kind == "multiple_choice":
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            _choice(question, value)
        values = list(dict.fromkeys(values))
        exclusive = [v for v in values if question.choice(v).exclusive]
        if exclusive and len(values) > 1:
            raise AnswerError(f"“{question.choice(exclusive[0]).label}” cannot be combined with other options.")
        return values
    if kind == "text":
        return _text(raw, question.max_length) or None
    if kind == "number":
        return _number(question, raw)
    if kind == "date":
        return _date(question, raw, today)
    if kind == "file":
        if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            raise AnswerError("Attach files with the upload button.")
        if len(raw) > question.max_files:
            raise AnswerError(f"At most {question.max_files} files.")
        return raw
    if kind == "model_table":
        return _rows(question, raw) or None
    raise AnswerError(f"Unknown question type {kind}.")


def check_na(question: Question, na: bool, reason: str) -> str:
    """The N/A reason to store, or AnswerError when N/A is not allowed or needs a reason."""
    if not na:
        return ""
    if question.na is None or not question.na.allowed:
        raise AnswerError("This question cannot be marked not applicable.")
    reason = (reason or "").strip()
    if question.na.reason_required and not reason:
        raise AnswerError("Say why it does not apply.")
    if len(reason) > 2000:
        raise AnswerError("Keep the reason under 2000 characters.")
    return reason


def missing(questionnaire: Questionnaire, answers: Mapping[str, AnswerState]) -> list[str]:
    """Visible required questions without an answer (or N/A), and model tables short of rows."""
    shown = visible(questionnaire, answers)
    result = []
    for question in questionnaire.questions():
        if question.id not in shown:
            continue
        state = answers.get(question.id, AnswerState())
        if state.na:
            continue
        short_table = question.type == "model_table" and len(state.value or []) < question.min_rows
        if (question.required and not state.given) or short_table:
            result.append(question.id)
    return result


@dataclass(frozen=True)
class Score:
    """``score`` is 100 * earned / max over visible, answered-or-required scorable questions (None: nothing
    scorable); ``breakdown`` has one row per such question; ``factors`` the codes that earned points."""

    score: int | None
    breakdown: tuple[dict, ...] = ()
    factors: tuple[str, ...] = field(default=())


def score(questionnaire: Questionnaire, answers: Mapping[str, AnswerState]) -> Score:
    """Risk points: N/A leaves both sums, a required blank counts as the maximum, multiple choice sums then caps."""
    shown = visible(questionnaire, answers)
    rows, earned_total, max_total, factors = [], 0, 0, []
    for question in questionnaire.questions():
        if question.id not in shown or not question.scorable:
            continue
        state = answers.get(question.id, AnswerState())
        if state.na:
            continue
        top = question.max_score
        if not state.given:
            if not question.required:
                continue
            earned, codes = top, ["UNANSWERED"]
        else:
            values = state.value if isinstance(state.value, list) else [state.value]
            chosen = [c for v in values if (c := question.choice(str(v))) is not None]
            earned = min(sum(c.points for c in chosen), top)
            codes = [c.factor for c in chosen if c.points and c.factor]
        rows.append({"question_id": question.id, "value": state.value, "points": earned, "max": top, "factor": codes})
        earned_total += earned
        max_total += top
        factors += [code for code in codes if earned]
    if not max_total:
        return Score(None, tuple(rows), ())
    return Score(round(100 * earned_total / max_total), tuple(rows), tuple(dict.fromkeys(factors)))


@dataclass(frozen=True)
class AnswerClaims:
    """What the answers say that the lineage can confirm or refute."""

    no_country_of_concern: bool | None = None
    hosting_countries: tuple[str, ...] = ()
    #: model name (lower case) -> the base models the vendor names for it
    base_models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    criticality: str = ""
    data_categories: tuple[str, ...] = ()
    #: claim (``base_models:<model>`` per model) -> "question id “text”: the answer", to show beside a finding
    sources: Mapping[str, str] = field(default_factory=dict)


def countries(text: str) -> tuple[str, ...]:
    """ISO codes from "US, IE" (anything else is ignored)."""
    parts = (p.strip().upper() for p in re.split(r"[,;\s]+", text or ""))
    return tuple(dict.fromkeys(p for p in parts if _COUNTRY.match(p)))


def claims(questionnaire: Questionnaire, answers: Mapping[str, AnswerState]) -> AnswerClaims:
    shown = visible(questionnaire, answers)
    values: dict = {}
    sources: dict[str, str] = {}
    for question in questionnaire.questions():
        state = answers.get(question.id)
        if question.claim is None or question.id not in shown or state is None or state.na or not state.given:
            continue
        asked = f"{question.id} “{question.text[:160]}”"
        if question.claim == "no_country_of_concern":
            values["no_country_of_concern"] = state.value == "yes"
            sources["no_country_of_concern"] = f"{asked}: {state.value}"
        elif question.claim == "hosting_countries":
            values["hosting_countries"] = countries(str(state.value))
            sources["hosting_countries"] = f"{asked}: {str(state.value)[:200]}"
        elif question.claim == "base_models":
            bases: dict[str, list[str]] = {}
            for row in state.value:
                for base in (row.get("base_model") or "").split(","):
                    if base.strip():
                        bases.setdefault(row["model"].lower(), []).append(base.strip())
            values["base_models"] = {name: tuple(dict.fromkeys(b)) for name, b in bases.items()}
            for row in state.value:
                if row.get("base_model"):
                    how = row.get("relation") or "derived"
                    sources[f"base_models:{row['model'].lower()}"] = (
                        f"{asked}: {row['model']} ({how}) from {row['base_model']}"
                    )
        elif question.claim == "criticality":
            values["criticality"] = str(state.value)
        elif question.claim == "data_categories":
            values["data_categories"] = tuple(v for v in state.value if v != "public")
    return AnswerClaims(**values, sources=sources)
