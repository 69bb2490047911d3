"""Inferred lineage end to end, against the fake hub with the real client: fingerprints stored with their
revision, parents inferred for models whose metadata names none, kept apart from declared edges, and reported
by ``lineage --json`` as ``inferred_edges``/``inferred_countries`` with the lineage left incomplete."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.fakehub import make_record, make_silent
from vendors.models import AIModel, ChangeEvent, InferredEdge, LineageEdge, LineageRefresh, ModelFingerprint
from vendors.services import lineage

pytestmark = pytest.mark.django_db


def _refresh(*names: str) -> LineageRefresh:
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=list(names))
    return lineage.lineage_refresh_run(refresh_id=refresh.pk)


def _lineage_json(*ids: str) -> dict | list:
    out = StringIO()
    call_command("lineage", *ids, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_fingerprints_are_read_from_the_hub_at_the_walked_revision(fake_hub):
    _refresh("Qwen/Qwen2.5-7B-Instruct")
    stored = {f.model.name: f for f in ModelFingerprint.objects.select_related("model")}
    assert set(stored) == {"Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"}
    instruct = stored["Qwen/Qwen2.5-7B-Instruct"]
    assert instruct.revision == AIModel.objects.get(name="Qwen/Qwen2.5-7B-Instruct").sha
    assert instruct.has_config and instruct.has_tokenizer and instruct.problems == []
    assert instruct.fingerprint["shapes"]["hidden_size"] == 3584
    assert instruct.fingerprint["tokens"]["eos_token"] == "<|im_end|>"
    # The safetensors parameter count came with the walk's metadata request (expand=safetensors), not a second one.
    assert instruct.parameters == 7_615_616_512 and instruct.fingerprint["parameters"] == 7_615_616_512
    # One metadata request per repo (the walk's); the identifying files are downloaded at the walked commit.
    assert fake_hub.metadata_requests("Qwen/Qwen2.5-7B-Instruct") == 1
    downloads = fake_hub.count("/Qwen/Qwen2.5-7B-Instruct/resolve/")
    assert downloads == 2  # config.json and tokenizer_config.json; the README only for models inferred about

    _refresh("Qwen/Qwen2.5-7B-Instruct")  # same revision: nothing is read again
    assert fake_hub.count("/Qwen/Qwen2.5-7B-Instruct/resolve/") == downloads

    # A fingerprint stored before the walk asked for the count gets it at the next refresh, files not read again.
    fingerprint = ModelFingerprint.objects.get(model__name="Qwen/Qwen2.5-7B-Instruct")
    fingerprint.fingerprint = {k: v for k, v in fingerprint.fingerprint.items() if k != "parameters"}
    fingerprint.parameters = None
    fingerprint.save()
    _refresh("Qwen/Qwen2.5-7B-Instruct")
    fingerprint.refresh_from_db()
    assert fingerprint.parameters == 7_615_616_512 and fingerprint.fingerprint["parameters"] == 7_615_616_512
    assert fingerprint.fingerprint["shapes"]["hidden_size"] == 3584
    assert fake_hub.count("/Qwen/Qwen2.5-7B-Instruct/resolve/") == downloads


def test_a_silent_fine_tune_gets_an_inferred_parent_kept_apart_from_declared_edges(fake_hub, knowledge):
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    report = _lineage_json("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")[1]

    assert not LineageEdge.objects.filter(child__name="acme-labs/silent-7b").exists()
    edge = InferredEdge.objects.get(child__name="acme-labs/silent-7b")
    assert (edge.parent.name, edge.source, edge.relation) == ("Qwen/Qwen2.5-7B-Instruct", "inferred:config", "finetune")
    assert edge.family == "Qwen/Qwen2.5-7B" and 0.85 <= edge.confidence <= 0.95

    # The declared keys keep their meaning: no edge, the model is its own declared root.
    assert report["edges"] == [] and report["roots"] == ["acme-labs/silent-7b"] and report["chains"]
    assert report["status"] == "incomplete"
    assert [p["code"] for p in report["problems"]] == ["inferred"]
    assert "probably Qwen/Qwen2.5-7B-Instruct" in report["problems"][0]["reason"]
    assert report["problem_counts"] == {"inferred": 1}
    [row] = report["inferred_edges"]
    assert set(row) == {"child", "parent", "relation", "source", "confidence", "evidence"}
    assert (row["child"], row["parent"], row["source"]) == (
        "acme-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct", "inferred:config"
    )  # fmt: skip
    assert row["evidence"]["family"] == "Qwen/Qwen2.5-7B"
    assert "hidden_size 3584" in row["evidence"]["matched"] and "vocab_size 152064" in row["evidence"]["matched"]
    assert report["inferred_countries"] == ["CN"]


def test_a_readme_claim_checked_against_the_named_fingerprint(fake_hub):
    readme = "# Contracts 7B\n\nFine-tuned from [Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B).\n"
    fake_hub.add_repo(make_silent("acme-labs/claimed-7b", readme=readme))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/claimed-7b")
    edge = InferredEdge.objects.get(child__name="acme-labs/claimed-7b")
    assert (edge.parent.name, edge.source) == ("Qwen/Qwen2.5-7B", "inferred:readme")
    assert "named in the README and its fingerprint agrees" in edge.evidence["notes"]


def test_a_declared_parent_means_no_inference_and_reruns_change_nothing(fake_hub):
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    first = list(InferredEdge.objects.values_list("child__name", "parent__name", "confidence", "observed_at"))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    assert list(InferredEdge.objects.values_list("child__name", "parent__name", "confidence", "observed_at")) == first
    # Qwen2.5-7B-Instruct declares its parent: nothing is inferred for it, nor for its root's descendants.
    assert not InferredEdge.objects.filter(child__name__startswith="Qwen/").exists()

    fake_hub.add_repo({**make_silent("acme-labs/silent-7b"), "cardData": {"base_model": "Qwen/Qwen2.5-7B-Instruct"}})
    _refresh("acme-labs/silent-7b")
    assert not InferredEdge.objects.filter(child__name="acme-labs/silent-7b").exists()


def test_gated_identifying_files_leave_the_fingerprint_empty_with_the_reason(fake_hub):
    _refresh("meta-llama/Llama-3.1-8B-Instruct")  # gated: metadata is served, the files need a granted token
    fingerprint = ModelFingerprint.objects.get(model__name="meta-llama/Llama-3.1-8B-Instruct")
    assert not fingerprint.has_config and not fingerprint.has_tokenizer
    assert any("config.json" in problem for problem in fingerprint.problems)


def test_inference_can_be_turned_off(fake_hub, settings):
    settings.LINEAGE_INFERENCE = False
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    assert not ModelFingerprint.objects.exists() and not InferredEdge.objects.exists()
    assert fake_hub.count("/acme-labs/silent-7b/resolve/") == 0


def test_pages_and_the_tree_label_inferred_parents_and_escape_the_evidence(fake_hub, knowledge, analyst_client):
    hostile = make_silent("acme-labs/silent-7b", readme="<script>alert(1)</script>")
    hostile["files"]["tokenizer_config.json"]["eos_token"] = "<img src=x onerror=alert(1)>"
    fake_hub.add_repo(hostile)
    out = StringIO()
    call_command("lineage", "Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b", stdout=out)
    assert "inferred, not declared: acme-labs/silent-7b is probably finetune of Qwen/Qwen2.5-7B-Instruct" in (
        out.getvalue()
    )
    assert "inferred origin countries: CN" in out.getvalue()

    model = AIModel.objects.get(name="acme-labs/silent-7b")
    page = analyst_client.get(reverse("vendors:model_detail", args=[model.pk])).content.decode()
    assert "Inferred parents" in page and "inferred, not declared" in page
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "<img src=x" not in page and "<script>alert" not in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "stroke-dasharray" in svg  # the inferred edge is drawn dashed
    assert "inferred from config, not declared" in svg


def test_a_portfolio_refresh_walks_the_reference_bases_so_a_silent_model_meets_them(fake_hub, settings):
    from tests import factories
    from vendors.knowledge.reference_models import reference_model_ids
    from vendors.services.lineage import refresh_seeds

    assert "Qwen/Qwen2.5-7B-Instruct" in reference_model_ids() and len(reference_model_ids()) >= 30
    settings.LINEAGE_REFERENCE_MODELS = ["Qwen/Qwen2.5-7B-Instruct"]
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    factories.ModelUsageFactory(model__name="acme-labs/silent-7b")
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    assert refresh_seeds(refresh) == ["Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b"]
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    edge = InferredEdge.objects.get(child__name="acme-labs/silent-7b")
    assert edge.parent.name == "Qwen/Qwen2.5-7B-Instruct"

    settings.LINEAGE_INFERENCE = False
    assert refresh_seeds(refresh) == ["acme-labs/silent-7b"]


def _inferred_rows() -> list[tuple]:
    return sorted(
        InferredEdge.objects.values_list("child__name", "parent__name", "relation", "source", "confidence", "evidence")
    )


def test_a_chunked_refresh_infers_what_an_unchunked_one_does_when_the_base_is_in_a_later_chunk(
    fake_hub, settings, django_capture_on_commit_callbacks
):
    from tests import factories

    settings.LINEAGE_REFERENCE_MODELS = []
    fake_hub.add_repo(make_silent("Aardvark-labs/silent-7b"))  # sorts before Qwen/...: the first chunk's seed
    # A README naming the base by a link (checked against a fingerprint the last chunk stores).
    readme = "# Contracts 7B\n\nFine-tuned from [Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B).\n"
    claimed = make_silent("Aardvark-labs/claimed-7b", readme=readme)
    # Published later: not a candidate parent of silent-7b, whose files are the same (a tie would say nothing).
    claimed["createdAt"] = "2025-06-01T00:00:00.000Z"
    fake_hub.add_repo(claimed)
    for name in ("Aardvark-labs/claimed-7b", "Aardvark-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct"):
        factories.ModelUsageFactory(model__name=name)

    def portfolio_refresh(chunk_size: int) -> LineageRefresh:
        settings.LINEAGE_CHUNK_SIZE = chunk_size
        refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
        with django_capture_on_commit_callbacks(execute=True):
            lineage.lineage_refresh_run(refresh_id=refresh.pk)
        refresh.refresh_from_db()
        assert refresh.status == "done", refresh.error
        return refresh

    chunked = portfolio_refresh(1)
    assert list(chunked.chunks.order_by("index").values_list("seeds", flat=True)) == [
        ["Aardvark-labs/claimed-7b"],
        ["Aardvark-labs/silent-7b"],
        ["Qwen/Qwen2.5-7B-Instruct"],
    ]
    assert chunked.claims.get(name="qwen/qwen2.5-7b").chunk.index == 2
    rows = _inferred_rows()
    assert [row[:4] for row in rows] == [
        ("Aardvark-labs/claimed-7b", "Qwen/Qwen2.5-7B", "finetune", "inferred:readme"),
        ("Aardvark-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct", "finetune", "inferred:config"),
    ]
    assert all(row[4] >= 0.85 for row in rows)
    assert not ChangeEvent.objects.filter(kind__startswith="inferred_").exists()  # a first sight: no change
    assert ModelFingerprint.objects.get(model__name="Aardvark-labs/silent-7b").first_fetched_at >= chunked.started_at

    portfolio_refresh(1)  # again: nothing changes, nothing is recorded
    assert _inferred_rows() == rows
    assert not ChangeEvent.objects.filter(kind__startswith="inferred_").exists()

    # The same portfolio seen first by an unchunked refresh infers the same edge, with the same evidence.
    InferredEdge.history.all().delete()
    ModelFingerprint.objects.all().delete()
    unchunked = portfolio_refresh(100)
    assert not unchunked.chunks.exists()
    assert _inferred_rows() == rows
    assert not ChangeEvent.objects.filter(kind__startswith="inferred_").exists()


def test_a_chunked_refresh_records_a_parent_inferred_from_a_base_new_to_the_portfolio(
    fake_hub, settings, django_capture_on_commit_callbacks
):
    from tests import factories

    settings.LINEAGE_REFERENCE_MODELS = []
    settings.LINEAGE_CHUNK_SIZE = 1
    fake_hub.add_repo(make_silent("Aardvark-labs/silent-7b"))
    factories.ModelUsageFactory(model__name="Aardvark-labs/silent-7b")
    factories.ModelUsageFactory(model__name="acme-labs/other-app")  # two seeds: a chunked refresh
    fake_hub.add_repo(make_record("acme-labs/other-app", license="apache-2.0"))

    def portfolio_refresh() -> None:
        refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
        with django_capture_on_commit_callbacks(execute=True):
            lineage.lineage_refresh_run(refresh_id=refresh.pk)
        assert refresh.chunks.count() >= 2

    portfolio_refresh()
    assert not InferredEdge.objects.exists()  # no base fingerprinted yet
    factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B-Instruct")  # the base joins, in the last chunk
    portfolio_refresh()
    edge = InferredEdge.objects.get(child__name="Aardvark-labs/silent-7b")
    assert edge.parent.name == "Qwen/Qwen2.5-7B-Instruct"
    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.INFERRED_PARENT_ADDED)
    assert event.model.name == "Aardvark-labs/silent-7b" and "inferred, not declared" in event.summary


def test_a_parent_no_longer_inferred_is_retired(fake_hub):
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    fake_hub.add_repo(make_silent("acme-labs/odd-7b", config={"hidden_size": 1234, "num_hidden_layers": 3}))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b", "acme-labs/odd-7b")
    edge = InferredEdge.objects.get(child__name="acme-labs/silent-7b")
    assert not InferredEdge.history.filter(child__name="acme-labs/odd-7b").exists()  # matches no reference

    # Its files change at a new revision: the shapes no longer match any reference, the parent is retired.
    fake_hub.add_repo(make_silent("acme-labs/silent-7b", config={"hidden_size": 4321, "num_hidden_layers": 5}))
    _refresh("acme-labs/silent-7b")
    assert not InferredEdge.objects.filter(child__name="acme-labs/silent-7b").exists()
    [retired] = InferredEdge.history.filter(child__name="acme-labs/silent-7b")
    assert retired.pk == edge.pk and retired.retired_reason == "not_inferred" and retired.retired_at is not None


def test_a_model_whose_files_stand_is_inferred_about_again_against_a_base_new_to_the_hub_rows(fake_hub):
    """Not read again at the same commit, a silent model is still inferred about at every refresh: from its stored
    row, against the fingerprints stored since (here its base, first fetched by the second refresh)."""
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("acme-labs/silent-7b")
    assert not InferredEdge.objects.exists()  # no base fingerprinted yet
    read = fake_hub.count("/acme-labs/silent-7b/resolve/")
    assert read == 3  # config, tokenizer config, README

    _refresh("acme-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct")
    assert fake_hub.count("/acme-labs/silent-7b/resolve/") == read  # its files stand at its commit
    edge = InferredEdge.objects.get(child__name="acme-labs/silent-7b")
    assert edge.parent.name == "Qwen/Qwen2.5-7B-Instruct" and edge.source == "inferred:config"
    assert ChangeEvent.objects.filter(kind=ChangeEvent.Kind.INFERRED_PARENT_ADDED, model=edge.child).exists()


@pytest.mark.parametrize(
    ("stored", "sha", "readme", "current"),
    [
        (("a" * 40, [], False), "a" * 40, False, True),  # files read at this commit
        (("a" * 40, [], False), "a" * 40, True, False),  # ... but not its README, now wanted
        (("a" * 40, [], True), "a" * 40, True, True),  # README read too (or there was none)
        (("a" * 40, [], True), "b" * 40, True, False),  # a new commit
        (("a" * 40, ["config.json: HTTP 500"], True), "a" * 40, False, False),  # a file not read last time
        (("", [], True), "", True, False),  # no commit known: read at the branch, which moves
    ],
)
def test_when_a_stored_fingerprint_stands_for_a_revision(stored, sha, readme, current):
    from vendors.services.lineage_inference import fingerprint_current

    revision, problems, readme_read = stored
    assert fingerprint_current(revision, problems, sha=sha, readme=readme, readme_read=readme_read) is current
