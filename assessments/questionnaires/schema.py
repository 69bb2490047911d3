"""The schema of a questionnaire file: every key is known and typed, unknown or missing keys are refused.

A file is YAML (``<key>/v<N>.yaml`` beside this module); ``parse`` validates it into a frozen ``Questionnaire``.
Question ids are stable across versions: answers, comments and factors point at them, never at rows.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

QUESTION_TYPES = (
    "yes_no",
    "single_choice",
    "multiple_choice",
    "text",
    "number",
    "date",
    "file",
    "model_table",
)
CHOICE_TYPES = ("yes_no", "single_choice", "multiple_choice")
FILE_KINDS = ("pdf", "png", "jpeg", "docx", "xlsx", "txt", "csv", "json")
#: Where an answer says something the rating checks (assessments.scoring.Claims).
CLAIMS = ("no_country_of_concern", "hosting_countries", "base_models", "criticality", "data_categories")
#: The columns a model table may have; ``model`` is required. Rows become declared model usages.
TABLE_COLUMNS = ("model", "publisher", "host", "region", "role", "base_model", "relation", "datasets")

_ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
Id = Annotated[str, Field(pattern=_ID, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Ref(_Strict):
    """A framework clause the question serves; ``fw`` and ``ref`` must be in the sourced catalogue."""

    fw: Literal["nist-ai-rmf-1.0", "nist-ai-600-1", "iso-42001", "eu-ai-act", "csa-aicm"]
    ref: Annotated[str, Field(min_length=1, max_length=40)]


class Choice(_Strict):
    """One answer value; ``points`` are risk points (higher is riskier), ``factor`` names why."""

    value: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]
    label: Text
    points: Annotated[int, Field(ge=0, le=100)] = 0
    factor: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=64)] | None = None
    exclusive: bool = False

    @model_validator(mode="after")
    def _factor_with_points(self) -> Choice:
        if self.points and not self.factor:
            raise ValueError(f"choice {self.value!r} has points but no factor code")
        return self


class ShowIf(_Strict):
    """Show the question only when an earlier question's answer is one of ``in_`` (any of them, for lists)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    q: Id
    in_: Annotated[list[str], Field(alias="in", min_length=1)]


class NotApplicable(_Strict):
    allowed: bool
    reason_required: bool = True


class Column(_Strict):
    id: Literal[TABLE_COLUMNS]  # type: ignore[valid-type]
    label: Text
    type: Literal["text", "single_choice"] = "text"
    required: bool = False
    help: str = ""
    choices: list[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]] = []
    max_length: Annotated[int, Field(ge=1, le=2000)] = 300


class Question(_Strict):
    id: Id
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    text: Text
    help: str = ""
    required: bool = False
    refs: Annotated[list[Ref], Field(min_length=1)]
    show_if: ShowIf | None = None
    na: NotApplicable | None = None
    claim: Literal[CLAIMS] | None = None  # type: ignore[valid-type]
    choices: list[Choice] = []
    max_points: Annotated[int, Field(ge=0, le=100)] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    max_length: Annotated[int, Field(ge=1, le=20000)] = 4000
    not_after_today: bool = False
    accept: list[Literal[FILE_KINDS]] = []  # type: ignore[valid-type]
    max_files: Annotated[int, Field(ge=1, le=20)] = 5
    columns: list[Column] = []
    min_rows: Annotated[int, Field(ge=0, le=500)] = 0
    max_rows: Annotated[int, Field(ge=1, le=500)] = 200
    prefill: Literal["product_usages"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        problems = []
        is_choice = self.type in CHOICE_TYPES
        if is_choice and not self.choices:
            problems.append("needs choices")
        if not is_choice and (self.choices or self.max_points is not None):
            problems.append("has choices but is not a choice question")
        if self.type == "yes_no" and sorted(c.value for c in self.choices) != ["no", "yes"]:
            problems.append("a yes_no question has exactly the choices yes and no")
        values = [c.value for c in self.choices]
        if len(values) != len(set(values)):
            problems.append("repeats a choice value")
        if self.type == "model_table":
            ids = [c.id for c in self.columns]
            if "model" not in ids:
                problems.append("a model table needs a model column")
            if len(ids) != len(set(ids)):
                problems.append("repeats a column")
        elif self.columns or self.prefill:
            problems.append("has columns or prefill but is not a model table")
        if self.type != "file" and self.accept:
            problems.append("has accept but is not a file question")
        if self.type == "file" and not self.accept:
            problems.append("a file question lists the file kinds it accepts")
        if self.type != "number" and (self.min is not None or self.max is not None or self.integer):
            problems.append("has min/max/integer but is not a number question")
        if self.claim == "base_models" and self.type != "model_table":
            problems.append("the base_models claim comes from a model table")
        if self.claim == "no_country_of_concern" and self.type != "yes_no":
            problems.append("the no_country_of_concern claim is a yes_no question")
        if problems:
            raise ValueError(f"question {self.id}: " + "; ".join(problems))
        return self

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    @property
    def scorable(self) -> bool:
        return any(c.points for c in self.choices)

    @property
    def max_score(self) -> int:
        if self.type == "multiple_choice":
            total = sum(c.points for c in self.choices)
            return min(total, self.max_points) if self.max_points is not None else total
        return max((c.points for c in self.choices), default=0)


class Section(_Strict):
    id: Id
    title: Text
    intro: str = ""
    questions: Annotated[list[Question], Field(min_length=1)]


class Questionnaire(_Strict):
    """A whole template version."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
    version: Annotated[int, Field(ge=1)]
    title: Text
    intro: Text
    sections: Annotated[list[Section], Field(min_length=1)]

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, sections: list[Section]) -> list[Section]:
        ids = [s.id for s in sections]
        if len(ids) != len(set(ids)):
            raise ValueError("section ids repeat")
        return sections

    @model_validator(mode="after")
    def _references(self) -> Questionnaire:
        seen: dict[str, Question] = {}
        for question in self.questions():
            if question.id in seen:
                raise ValueError(f"question id {question.id} repeats")
            if question.show_if is not None:
                target = seen.get(question.show_if.q)
                if target is None:
                    raise ValueError(
                        f"question {question.id}: show_if names {question.show_if.q}, not an earlier question"
                    )
                if target.choices and set(question.show_if.in_) - {c.value for c in target.choices}:
                    raise ValueError(f"question {question.id}: show_if values are not choices of {target.id}")
            seen[question.id] = question
        return self

    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions() if q.id == question_id), None)


class QuestionnaireError(ValueError):
    """A questionnaire file is invalid; the message lists every problem with where it is."""


def _location(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(file)"


def parse(document: object, *, catalogue: dict[str, set[str]] | None = None) -> Questionnaire:
    """Validate a loaded YAML document; ``catalogue`` (framework -> clause ids) checks every ref."""
    try:
        questionnaire = Questionnaire.model_validate(document)
    except ValidationError as error:
        raise QuestionnaireError(
            "; ".join(f"{_location(e)}: {e['msg']}" for e in error.errors(include_url=False))
        ) from error
    if catalogue is not None:
        unknown = sorted(
            f"{q.id}: {ref.fw} {ref.ref}"
            for q in questionnaire.questions()
            for ref in q.refs
            if ref.ref not in catalogue.get(ref.fw, set())
        )
        if unknown:
            raise QuestionnaireError("references not in the sourced catalogue: " + "; ".join(unknown))
    return questionnaire


def slug_ok(value: str) -> bool:
    return bool(re.fullmatch(_ID, value))
