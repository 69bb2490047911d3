"""Questionnaire files: the schema refuses unknown and missing keys and unsourced references, the loader refuses
a published version changed in place, an admin's edit becomes the next version, and the pure rules over answers
(conditions that cascade, N/A with a reason, points summed and capped, claims)."""

import copy
from datetime import date

import pytest
import yaml
from django.core.exceptions import ValidationError

from assessments import services
from assessments.models import QuestionnaireVersion
from assessments.questionnaires import DIRECTORY, QuestionnaireError, logic, parse_document, read_file, template_files
from assessments.questionnaires.logic import AnswerState

MBOM = DIRECTORY / "ai-mbom" / "v1.yaml"


def _mbom() -> dict:
    return yaml.safe_load(MBOM.read_text())


def test_the_shipped_questionnaires_are_valid_and_cite_only_sourced_clauses():
    files = {t.questionnaire.id: t for t in template_files()}
    assert set(files) == {"ai-mbom", "ai-intake"}
    mbom = files["ai-mbom"].questionnaire
    types = {q.type for q in mbom.questions()}
    assert {"model_table", "yes_no", "single_choice", "multiple_choice", "text", "number", "date", "file"} <= types
    assert all(q.refs for q in mbom.questions())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sections"][0]["questions"][0].update(colour="red"), "Extra inputs are not permitted"),
        (lambda d: d["sections"][0]["questions"][0].pop("text"), "Field required"),
        (lambda d: d.pop("intro"), "Field required"),
        (lambda d: d["sections"][1]["questions"][0]["refs"].append({"fw": "iso-42001", "ref": "A.6.1"}),
         "not in the sourced catalogue"),
        (lambda d: d["sections"][1]["questions"][0]["choices"][1].pop("factor"), "points but no factor"),
        (lambda d: d["sections"][1]["questions"][2].update(show_if={"q": "nope.nope", "in": ["yes"]}),
         "not an earlier question"),
    ],
)  # fmt: skip
def test_the_schema_refuses_unknown_missing_and_inconsistent_keys(change, message):
    document = copy.deepcopy(_mbom())
    change(document)
    with pytest.raises(QuestionnaireError, match=message):
        parse_document(document)


@pytest.mark.django_db
def test_a_published_version_changed_in_place_is_refused(tmp_path):
    (tmp_path / "ai-mbom").mkdir()
    target = tmp_path / "ai-mbom" / "v1.yaml"
    target.write_text(MBOM.read_text())
    assert services.questionnaire_versions_load(directory=tmp_path).created == []  # already loaded by migrate
    target.write_text(MBOM.read_text().replace("Which models does the product use?", "Which models?"))
    assert read_file(target).sha256 != QuestionnaireVersion.objects.get(key="ai-mbom", version=1).sha256
    with pytest.raises(QuestionnaireError, match="changed in place"):
        services.questionnaire_versions_load(directory=tmp_path)


@pytest.mark.django_db
def test_an_admin_edit_is_published_as_the_next_version(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x" * 20))
    text = MBOM.read_text().replace("Which models does the product use?", "Which AI models does it use?")
    response = client.post(
        "/admin/assessments/questionnaireversion/add/", {"key": "ai-mbom", "text": text, "note": "Shorter wording."}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == "/admin/assessments/questionnaireversion/"
    latest = services.questionnaire_current(key="ai-mbom")
    assert latest.version == 2 and latest.source == "admin"
    assert "Which AI models" in str(latest.definition)
    with pytest.raises(ValidationError):
        services.questionnaire_version_publish(key="ai-mbom", text="id: ai-mbom\nsections: []", note="broken")


def test_conditions_cascade_and_hidden_questions_are_not_required():
    q, _definition = parse_document(_mbom())
    answers = {"origin.derivation_documented": AnswerState("no")}
    assert "origin.derivation_file" not in logic.visible(q, answers)
    answers["origin.derivation_documented"] = AnswerState("yes")
    assert "origin.derivation_file" in logic.visible(q, answers)
    assert "compliance.screened_on" not in logic.missing(q, answers)


def test_values_are_checked_by_type_and_na_needs_a_reason():
    q, _definition = parse_document(_mbom())
    today = date(2026, 12, 5)
    number = q.question("hosting.subprocessors")
    assert logic.clean_value(number, "3", today=today) == 3
    for bad in ("three", "1.5", "-1", "nan"):
        with pytest.raises(logic.AnswerError):
            logic.clean_value(number, bad, today=today)
    with pytest.raises(logic.AnswerError):
        logic.clean_value(q.question("compliance.screened_on"), "2099-01-01", today=today)
    with pytest.raises(logic.AnswerError, match="cannot be combined"):
        logic.clean_value(q.question("compliance.evaluations"), ["none", "red_team"], today=today)
    with pytest.raises(logic.AnswerError, match="Say why"):
        logic.check_na(q.question("data.training_datasets"), True, " ")
    with pytest.raises(logic.AnswerError, match="cannot be marked"):
        logic.check_na(number, True, "because")
    rows = logic.clean_value(q.question("models.inventory"), [{"model": "<b>x</b>/y"}, {}], today=today)
    assert rows == [{"model": "<b>x</b>/y", "publisher": "", "base_model": "", "relation": "", "role": "",
                     "host": "", "region": ""}]  # fmt: skip


def test_points_sum_cap_and_na_leaves_both_sums():
    q, _definition = parse_document(_mbom())
    answers = {
        "origin.no_country_of_concern": AnswerState("no"),
        "compliance.evaluations": AnswerState(["none"]),
        "data.customer_data_training": AnswerState(na=True, na_reason="n/a"),
    }
    result = logic.score(q, answers)
    rows = {row["question_id"]: row for row in result.breakdown}
    assert rows["origin.no_country_of_concern"]["points"] == 20
    assert "data.customer_data_training" not in rows
    assert rows["change.notice_days"]["factor"] == ["UNANSWERED"]  # a required blank counts as the worst
    assert "ORIGIN_OF_CONCERN_DISCLOSED" in result.factors
    assert 0 < result.score <= 100


def test_claims_name_base_models_per_model_and_hosting_countries():
    q, _definition = parse_document(_mbom())
    said = logic.claims(q, {
        "models.inventory": AnswerState([{"model": "Acme/Copilot", "base_model": "meta-llama/Llama-3.1-8B"}]),
        "hosting.countries": AnswerState("us, ie; xx1"),
        "origin.no_country_of_concern": AnswerState("yes"),
    })  # fmt: skip
    assert said.base_models == {"acme/copilot": ("meta-llama/Llama-3.1-8B",)}
    assert said.hosting_countries == ("US", "IE")
    assert said.no_country_of_concern is True
    assert "models.inventory" in said.sources["base_models:acme/copilot"]
