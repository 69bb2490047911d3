"""Portal benchmark: saving and submitting a 60-question assessment with a 30-row model table through the vendor
portal, each as wall time, peak Python memory and SQL statements, beside the answers service doing the same
writes alone (the portal's own overhead: form parsing, the session and link checks, throttling, the response).

A synthetic questionnaire version (``questionnaire_plan``: every question type, a conditional question, the
model table) is published through ``questionnaire_version_publish``; the portal is driven with Django's test
client through the real URL, middleware and views. Checks: every answer stored, the model table's rows kept in
order, the assessment submitted. Everything it creates is deleted again at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import yaml

NAME = "portal"
DEFAULT_QUESTIONS = 60
DEFAULT_ROWS = 30
DEFAULT_REPEAT = 3
KEY = "bench-portal"
REF = [{"fw": "nist-ai-rmf-1.0", "ref": "GOVERN 6.1"}]
TABLE = ("model", "publisher", "base_model", "host", "region")


def questionnaire_plan(questions: int) -> dict:
    """A questionnaire of ``questions`` questions (the first the model table), cycling through every type."""
    columns = [{"id": c, "label": c} for c in TABLE]
    items = [{"id": "s.models", "type": "model_table", "text": "Models", "required": True, "min_rows": 1, "refs": REF,
              "columns": columns}]  # fmt: skip
    kinds = ["yes_no", "single_choice", "multiple_choice", "text", "number", "date"]
    for n in range(1, questions):
        kind = kinds[n % len(kinds)]
        item: dict[str, Any] = {"id": f"s.q{n}", "type": kind, "text": f"Question {n}?", "required": True, "refs": REF}
        if kind == "yes_no":
            item["choices"] = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No", "points": 5,
                                                                     "factor": "NO"}]  # fmt: skip
        elif kind in ("single_choice", "multiple_choice"):
            item["choices"] = [{"value": f"c{i}", "label": f"Choice {i}", "points": i, "factor": f"F{i}" if i else None}
                               for i in range(4)]  # fmt: skip
            item["choices"] = [{k: v for k, v in c.items() if v is not None} for c in item["choices"]]
        items.append(item)
    return {"id": KEY, "version": 1, "title": "Benchmark questionnaire", "intro": "Synthetic.",
            "sections": [{"id": "s", "title": "All", "questions": items}]}  # fmt: skip


def form_data(document: dict, rows: int) -> dict:
    """A complete answer to every question as the portal form posts it."""
    data: dict[str, Any] = {"shown": [], "action": "save"}
    for question in document["sections"][0]["questions"]:
        qid, kind = question["id"], question["type"]
        data["shown"].append(qid)
        if kind == "model_table":
            for r in range(rows):
                values = (f"org{r}/model-{r}", f"Publisher {r}", f"base{r}/root-{r}", "Host", "eu-west-1")
                for column, value in zip(TABLE, values, strict=True):
                    data[f"t:{qid}:{r}:{column}"] = value
        elif kind == "yes_no":
            data[f"q:{qid}"] = "yes"
        elif kind == "single_choice":
            data[f"q:{qid}"] = "c1"
        elif kind == "multiple_choice":
            data[f"q:{qid}"] = ["c1", "c2"]
        elif kind == "text":
            data[f"q:{qid}"] = "An answer of a few words, as a compliance officer writes it. " * 3
        elif kind == "number":
            data[f"q:{qid}"] = "12"
        elif kind == "date":
            data[f"q:{qid}"] = "2026-01-15"
    return data


@contextmanager
def _measured(into: dict):
    from django.db import connection

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        yield
    into["wall_s"] = time.perf_counter() - started
    into["peak_mib"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    into["queries"] = len(statements)
    tracemalloc.stop()


def _one_round(product, version, data, by) -> dict[str, dict]:
    from django.test import Client

    from assessments import services
    from assessments.questionnaires import questionnaire_of
    from assessments.views.answer_form import parse_post

    results: dict[str, dict] = {"portal_save": {}, "portal_submit": {}, "service_save": {}}
    assessment, url = services.assessment_send(product=product, questionnaire=version, due_date=_due(), by=by)
    client = Client()
    page = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])["Location"]
    with _measured(results["portal_save"]):
        response = client.post(page, data)
    assert response.status_code == 302, response.content[:500]
    with _measured(results["portal_submit"]):
        response = client.post(page, {**data, "action": "submit"})
    assert response.status_code == 302, response.content[:500]
    assessment.refresh_from_db()
    results["submitted"] = assessment.status == assessment.Status.SUBMITTED
    results["answers"] = assessment.answers.count()
    results["rows"] = len(assessment.answers.get(question_id="s.models").value)

    # The baseline: the same answers written by the service alone, on a fresh assessment.
    other, _url = services.assessment_send(product=product, questionnaire=version, due_date=_due(), by=by)
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    answers, _comments = parse_post(questionnaire_of(version.definition), query)
    with _measured(results["service_save"]):
        services.answers_save(assessment=other, answers=answers)
    return results


def _due():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now().date() + timedelta(days=30)


def run(*, questions: int = DEFAULT_QUESTIONS, rows: int = DEFAULT_ROWS, repeat: int = DEFAULT_REPEAT,
        log: Callable[[str], object] = lambda message: None) -> dict[str, Any]:  # fmt: skip
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from assessments import services
    from assessments.models import Answer, Assessment, AssessmentEvent, AssessmentLink, QuestionnaireVersion
    from vendors.models import Product, Vendor

    document = questionnaire_plan(questions)
    data = form_data(document, rows)
    saved = settings.PORTAL_RATE_PER_LINK, settings.PORTAL_RATE_PER_ADDRESS
    settings.PORTAL_RATE_PER_LINK = settings.PORTAL_RATE_PER_ADDRESS = "100000/m"  # measure the work, not 429s
    vendor = Vendor.objects.create(name="Benchmark Portal Vendor", country="US")
    product = Product.objects.create(vendor=vendor, name="Benchmark Copilot")
    user = get_user_model().objects.create(username="bench-portal")
    rounds = []
    try:
        version = services.questionnaire_version_publish(key=KEY, text=yaml.safe_dump(document), note="benchmark")
        for n in range(repeat):
            log(f"portal: round {n + 1} of {repeat} ({questions} questions, {rows} model-table rows)")
            rounds.append(_one_round(product, version, data, user))
    finally:
        settings.PORTAL_RATE_PER_LINK, settings.PORTAL_RATE_PER_ADDRESS = saved
        assessments = Assessment.objects.filter(product=product)
        Answer.history.filter(assessment__in=assessments).delete()
        for model in (Answer, AssessmentEvent, AssessmentLink):
            model.objects.filter(assessment__in=assessments).delete()
        assessments.delete()
        QuestionnaireVersion.objects.filter(key=KEY).delete()
        product.delete()
        vendor.delete()
        user.delete()
    figures = {}
    for step in ("portal_save", "portal_submit", "service_save"):
        figures[step] = {
            "wall_s": statistics.median(r[step]["wall_s"] for r in rounds),
            "peak_mib": max(r[step]["peak_mib"] for r in rounds),
            "queries": max(r[step]["queries"] for r in rounds),
        }
    figures["save_overhead_ratio"] = figures["portal_save"]["wall_s"] / figures["service_save"]["wall_s"]
    checks = [
        {"name": "every question answered", "ok": all(r["answers"] == questions for r in rounds)},
        {"name": f"{rows} model-table rows kept", "ok": all(r["rows"] == rows for r in rounds)},
        {"name": "submitted", "ok": all(r["submitted"] for r in rounds)},
    ]
    return {"benchmark": NAME, "config": {"questions": questions, "rows": rows, "repeat": repeat},
            "figures": figures, "checks": checks}  # fmt: skip


def format_report(report: dict[str, Any]) -> str:
    config, figures = report["config"], report["figures"]
    lines = [f"Portal: a {config['questions']}-question assessment with a {config['rows']}-row model table "
             f"(median of {config['repeat']} rounds; peak Python memory by tracemalloc)"]  # fmt: skip
    for step, label in (("portal_save", "portal save (POST)"), ("portal_submit", "portal submit (POST)"),
                        ("service_save", "answers_save alone")):  # fmt: skip
        f = figures[step]
        lines.append(f"  {label:24} {f['wall_s'] * 1000:8.1f} ms  {f['peak_mib']:6.1f} MiB  {f['queries']:4d} SQL")
    lines.append(f"  portal save / service alone: {figures['save_overhead_ratio']:.2f}x")
    lines += [f"  [{'ok' if c['ok'] else 'FAILED'}] {c['name']}" for c in report["checks"]]
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    return all(check["ok"] for check in report["checks"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("portal")
    group.add_argument("--portal-questions", type=int, default=DEFAULT_QUESTIONS, metavar="N")
    group.add_argument("--portal-rows", type=int, default=DEFAULT_ROWS, metavar="N")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(questions=args.portal_questions, rows=args.portal_rows, log=log)
