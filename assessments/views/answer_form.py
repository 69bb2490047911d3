"""The questionnaire as an HTML form, shared by the vendor portal and the analyst's on-behalf page: what each
question shows (with its current answer, evidence and comments) and how a POST becomes answers.

Field names: ``q:<id>`` the value (repeated for multiple choice), ``na:<id>`` / ``nar:<id>`` not applicable and
its reason, ``t:<id>:<row>:<column>`` model-table cells, ``f:<id>`` file uploads, ``mf:<id>:config`` /
``mf:<id>:tokenizer`` a private model's config files for the model-table row ``mfrow:<id>``, ``c:<id>`` a new
comment, and ``shown`` lists the questions the form carried (so an unticked box means "no answer", not "not in this
form"), ``v:<id>`` the version of the answer it showed (so a save never overwrites one changed meanwhile).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assessments.questionnaires import logic
from assessments.questionnaires.schema import Question, Questionnaire
from assessments.services import RawAnswer
from riskregistry.versions import version_of
from vendors.selectors import model_files_current

BLANK_ROWS = 3
_CELL = re.compile(r"^t:(?P<q>[^:]+):(?P<row>\d{1,3}):(?P<col>[a-z_]+)$")


@dataclass
class QuestionView:
    question: Question
    number: str
    value: object = None
    na: bool = False
    na_reason: str = ""
    error: str = ""
    rows: list[dict] = field(default_factory=list)
    evidence: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    answer: object = None
    prefilled: bool = False
    # A model table's uploaded config files: (row number from 1, model name, its current upload) per row whose
    # model has one.
    model_files: list = field(default_factory=list)

    @property
    def row_choices(self) -> list[tuple[int, str]]:
        """The rows a model table's config files can be uploaded for: (row index, "Row 2: name")."""
        return [
            (index, f"Row {index + 1}: {row.get('model')}" if row.get("model") else f"Row {index + 1}")
            for index, row in enumerate(self.rows)
        ]

    @property
    def version(self) -> str:
        """The stored answer's version ("0" for none), carried by the form so a save never overwrites an answer
        someone else saved meanwhile."""
        return version_of(self.answer) if self.answer is not None else "0"

    @property
    def values(self) -> list[str]:
        return [str(v) for v in self.value] if isinstance(self.value, list) else [str(self.value or "")]

    @property
    def refs(self) -> str:
        return "; ".join(f"{r.fw} {r.ref}" for r in self.question.refs)


@dataclass
class SectionView:
    title: str
    intro: str
    questions: list[QuestionView]


def form_sections(
    q: Questionnaire,
    *,
    answers: dict,
    evidence: dict,
    comments: dict,
    prefill: list[dict] | None = None,
    posted: dict[str, RawAnswer] | None = None,
    errors: dict[str, str] | None = None,
) -> list[SectionView]:
    """The form's content: stored answers, or what was just posted (with its errors) so nothing typed is lost."""
    posted, errors = posted or {}, errors or {}
    sections = []
    for s_index, section in enumerate(q.sections, start=1):
        views = []
        for q_index, question in enumerate(section.questions, start=1):
            answer = answers.get(question.id)
            view = QuestionView(question, f"{s_index}.{q_index}", answer=answer)
            if question.id in posted:
                raw = posted[question.id]
                view.value, view.na, view.na_reason = raw.value, raw.na, raw.na_reason
            elif answer is not None:
                view.value, view.na, view.na_reason = answer.value, answer.na, answer.na_reason
            view.error = errors.get(question.id, "")
            if question.type == "model_table":
                rows = view.value if isinstance(view.value, list) else []
                if not rows and answer is None and question.id not in posted and prefill:
                    rows, view.prefilled = prefill, True
                view.rows = [*rows, *({} for _ in range(BLANK_ROWS))]
            view.evidence = evidence.get(question.id, [])
            view.comments = comments.get(question.id, [])
            views.append(view)
        sections.append(SectionView(section.title, section.intro, views))
    _model_files(view for s in sections for view in s.questions if view.question.type == "model_table")
    return sections


def _model_files(tables) -> None:
    """Attach to each model table the current uploaded config files of the models its rows name."""
    tables = list(tables)
    names = [row.get("model") for view in tables for row in view.rows if isinstance(row.get("model"), str)]
    current = model_files_current(names)
    for view in tables:
        view.model_files = [
            (index + 1, row["model"], current[row["model"].strip().lower()])
            for index, row in enumerate(view.rows)
            if isinstance(row.get("model"), str) and row["model"].strip().lower() in current
        ]


def parse_post(q: Questionnaire, data) -> tuple[dict[str, RawAnswer], dict[str, str]]:
    """(answers, new comments) from a POST; only the questions listed in ``shown`` are read."""
    shown = set(data.getlist("shown"))
    tables: dict[str, dict[int, dict[str, str]]] = {}
    for key in data:
        match = _CELL.match(key)
        if match and match["q"] in shown:
            tables.setdefault(match["q"], {}).setdefault(int(match["row"]), {})[match["col"]] = data.get(key, "")
    answers, comments = {}, {}
    for question in q.questions():
        qid = question.id
        if qid not in shown:
            continue
        na = data.get(f"na:{qid}") == "on"
        reason = data.get(f"nar:{qid}", "")
        if question.type == "multiple_choice":
            value: object = data.getlist(f"q:{qid}")
        elif question.type == "model_table":
            value = [tables.get(qid, {})[n] for n in sorted(tables.get(qid, {}))]
        elif question.type == "file":
            value = [int(v) for v in data.getlist(f"q:{qid}") if v.isdigit()]
        else:
            value = data.get(f"q:{qid}", "")
        answers[qid] = RawAnswer(value=value, na=na, na_reason=reason)
        comment = data.get(f"c:{qid}", "").strip()
        if comment:
            comments[qid] = comment
    return answers, comments


def posted_versions(data) -> dict[str, str]:
    """The version of each shown question's answer when the form was drawn (``v:<id>``), for ``answers_save``."""
    return {qid: data[f"v:{qid}"] for qid in data.getlist("shown") if f"v:{qid}" in data}


def progress(q: Questionnaire, states: dict[str, logic.AnswerState]) -> tuple[int, int]:
    """(answered, total) over the visible questions."""
    shown = logic.visible(q, states)
    answered = sum(1 for qid in shown if states.get(qid, logic.AnswerState()).given)
    return answered, len(shown)
