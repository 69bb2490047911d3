"""The identifying files the inference fingerprints are read on the walk's threads while the walk goes on, as each
model is stored, rather than all after the walk: the same files, the same fingerprints, the same inferred parents,
and a read that fails is handled as it was when it was made after the walk. The fingerprints of the models that
name a parent are stored during the walk too, as their reads finish."""

from __future__ import annotations

import contextlib
from urllib.parse import unquote

import pytest

from tests import factories
from tests.fakehub import make_chain, make_silent
from vendors.hub import HubClient
from vendors.hub.identity import identity_downloads
from vendors.models import ChangeEvent, InferredEdge, LineageEdge, LineageRefresh, ModelFingerprint
from vendors.services import lineage, lineage_identity_reads
from vendors.services.lineage_identity_reads import IdentityReads

pytestmark = pytest.mark.django_db

SILENT = ("acme-labs/silent-7b", "acme-labs/claimed-7b")
README = "# Contracts 7B\n\nFine-tuned from [Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B).\n"


def _world(hub) -> list[str]:
    """Two models whose metadata names no parent (config, tokenizer and README read), a fine-tune that names its
    base (config and tokenizer only) and its base, walked from the fine-tune."""
    hub.add_repo(make_silent(SILENT[0]))
    hub.add_repo(make_silent(SILENT[1], readme=README))
    return [*SILENT, "Qwen/Qwen2.5-7B-Instruct"]


def _refresh(names: list[str]) -> LineageRefresh:
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=names)
    with contextlib.suppress(RuntimeError):  # recorded on the refresh, as the task records it
        lineage.lineage_refresh_run(refresh_id=refresh.pk)
    refresh.refresh_from_db()
    return refresh


def _identity_requests(hub) -> list[str]:
    """The identifying files downloaded, in the order asked (each path names the repo, the commit and the file)."""
    names = ("config.json", "tokenizer_config.json", "README.md")
    return [unquote(r.path) for r in hub.requests if "/resolve/" in r.path and r.path.rsplit("/", 1)[-1] in names]


def _fingerprints() -> list[tuple]:
    """Every stored fingerprint, all but its id and times."""
    return sorted(
        ModelFingerprint.objects.values_list(
            "model__name", "revision", "fingerprint", "parameters", "has_config", "has_tokenizer", "problems",
            "readme_digest", "files", "readme_read",
        )
    )  # fmt: skip


def _inferred() -> list[tuple]:
    return sorted(InferredEdge.objects.values_list("child__name", "parent__name", "relation", "source", "confidence"))


def _after_the_walk_only(monkeypatch) -> None:
    """Every read made by the step after the walk, as before reads were started during the walk."""
    monkeypatch.setattr(IdentityReads, "prefetch", lambda self, walked, *, store: None)


def _outcome(hub, names: list[str]) -> dict:
    hub.reset_log()
    refresh = _refresh(names)
    return {
        "status": refresh.status,
        "error": refresh.error,
        "downloads": sorted(_identity_requests(hub)),
        "fingerprints": _fingerprints(),
        "inferred": _inferred(),
    }


def _forget_fingerprints() -> None:
    ModelFingerprint.objects.all().delete()
    InferredEdge.objects.all().delete()


def test_the_identifying_files_are_read_while_the_walk_goes_on(fake_hub, settings):
    settings.LINEAGE_CONCURRENCY = 2
    fake_hub.latency = 0.05
    for record in make_chain("deep/m", depth=6):
        fake_hub.add_repo(record)
    fake_hub.add_repo(make_silent(SILENT[0]))

    refresh = _refresh(["deep/m-5", SILENT[0]])

    assert refresh.status == "done", refresh.error
    asked = [unquote(r.path) for r in fake_hub.requests]
    last_metadata = max(i for i, path in enumerate(asked) if path == "/api/models/deep/m-0")
    silent_files = [i for i, path in enumerate(asked) if path.startswith(f"/{SILENT[0]}/resolve/")]
    # The chain is walked one generation after another, one thread on it: the other reads the silent model's
    # config, tokenizer config and README meanwhile, before the walk's last request, rather than after it.
    assert len(silent_files) == 3 and silent_files[0] < last_metadata, asked
    assert ModelFingerprint.objects.get(model__name=SILENT[0]).has_config


def test_the_reads_started_during_the_walk_are_those_made_after_it(fake_hub, monkeypatch):
    names = _world(fake_hub)
    taken: list[bool] = []  # for each read the step after the walk takes: had the walk started it?
    read = IdentityReads.read

    def spied(self, repo_id, revision, **kwargs):
        started = (repo_id, revision, kwargs["siblings"], kwargs["parameters"], kwargs["readme"]) in self._started
        taken.append(started)
        return read(self, repo_id, revision, **kwargs)

    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        before = _outcome(fake_hub, names)
    _forget_fingerprints()
    monkeypatch.setattr(IdentityReads, "read", spied)
    during = _outcome(fake_hub, names)

    assert before["status"] == during["status"] == "done"
    # config and tokenizer config of the four models; the README of the three that name no parent
    assert len(before["downloads"]) == 4 * 2 + 3
    assert during == before  # the same files, each read once; the same fingerprints and inferred parents
    assert during["inferred"] and all(row[1] for row in during["fingerprints"])
    # Four models read: each started as the walk stored it (False), then taken by the step after the walk (True).
    assert sorted(taken) == [False] * 4 + [True] * 4

    # Again, fingerprints current, the README read with them for the models inferred about: nothing is downloaded,
    # and the same parents are inferred from the stored rows.
    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        again_before = _outcome(fake_hub, names)
    again_during = _outcome(fake_hub, names)
    assert again_during == again_before == {**during, "downloads": []}


def test_a_file_the_hub_refuses_is_a_problem_of_the_fingerprint_as_before(fake_hub, monkeypatch):
    names = _world(fake_hub)
    fake_hub.fail(f"/{SILENT[0]}/resolve/", 403, times=None)  # refused: not retried

    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        before = _outcome(fake_hub, names)
    _forget_fingerprints()
    during = _outcome(fake_hub, names)

    assert during == before and during["status"] == "done"
    row = ModelFingerprint.objects.get(model__name=SILENT[0])
    assert not row.has_config and not row.has_tokenizer and len(row.problems) == 3
    fake_hub.clear_failures()
    again = _outcome(fake_hub, [SILENT[0]])  # a fingerprint with problems is read again at the next refresh
    assert len(again["downloads"]) == 3
    assert ModelFingerprint.objects.get(model__name=SILENT[0]).problems == []


def _raise_for(monkeypatch, repo_id: str) -> None:
    """A read that raises what the client never should (a bug): it fails the refresh, or its part."""
    fetch_identity = HubClient.fetch_identity

    def broken(self, name, *args, **kwargs):
        if name == repo_id:
            raise RuntimeError(f"identity of {name} broke")
        return fetch_identity(self, name, *args, **kwargs)

    monkeypatch.setattr(HubClient, "fetch_identity", broken)


def test_a_read_that_raises_fails_the_refresh_after_the_walk_as_before(fake_hub, monkeypatch):
    names = _world(fake_hub)
    _raise_for(monkeypatch, SILENT[1])

    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        before = _outcome(fake_hub, names)
    _forget_fingerprints()
    during = _outcome(fake_hub, names)

    assert during == before
    assert during["status"] == "failed" and during["error"] == f"RuntimeError: identity of {SILENT[1]} broke"
    assert during["fingerprints"] == []  # no fingerprint stored, as none was when the reads came after the walk


def test_a_read_that_raises_fails_its_part_of_a_chunked_refresh_as_before(
    fake_hub, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.LINEAGE_CHUNK_SIZE = 1
    settings.LINEAGE_REFERENCE_MODELS = []
    for name in _world(fake_hub):
        factories.ModelUsageFactory(model__name=name)
    _raise_for(monkeypatch, SILENT[1])

    def portfolio_refresh() -> tuple:
        refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
        with django_capture_on_commit_callbacks(execute=True):
            lineage.lineage_refresh_run(refresh_id=refresh.pk)
        refresh.refresh_from_db()
        chunks = list(refresh.chunks.order_by("index").values_list("seeds", "error"))
        return refresh.status, refresh.error, chunks, _fingerprints()

    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        before = portfolio_refresh()
    _forget_fingerprints()
    during = portfolio_refresh()

    assert during == before
    status, error, chunks, fingerprints = during
    assert status == "partial" and "1 of 3 parts failed" in error
    assert chunks[1] == ([SILENT[1]], f"RuntimeError: identity of {SILENT[1]} broke")
    assert SILENT[1] not in {row[0] for row in fingerprints} and SILENT[0] in {row[0] for row in fingerprints}


def _fingerprints_at_the_step(monkeypatch) -> list[str]:
    """Fill, as the step after the walk begins, with the models whose fingerprints are stored by then."""
    seen: list[str] = []
    step = lineage.lineage_infer_after_walk

    def spied(**kwargs):
        seen.extend(sorted(ModelFingerprint.objects.values_list("model__name", flat=True)))
        return step(**kwargs)

    monkeypatch.setattr(lineage, "lineage_infer_after_walk", spied)
    return seen


def _chain_world(hub) -> list[str]:
    """``_world``, and a chain whose repos list no identifying file (read without a request) under a model that
    names the chain's top and ships its config and tokenizer (read on the pool)."""
    for record in make_chain("deep/m", depth=3):  # m-2 names m-1, which names m-0
        hub.add_repo(record)
    hub.add_repo(make_silent("acme/named-7b", cardData={"base_model": "deep/m-2"}))
    return [*_world(hub), "acme/named-7b"]


def test_the_fingerprints_of_models_that_name_a_parent_are_stored_during_the_walk(fake_hub, monkeypatch):
    names = _chain_world(fake_hub)
    with monkeypatch.context() as patched:
        _after_the_walk_only(patched)
        before = _outcome(fake_hub, names)
    _forget_fingerprints()
    ChangeEvent.objects.all().delete()
    monkeypatch.setattr(lineage_identity_reads, "FINGERPRINTS_BATCH", 1)
    at_the_step = _fingerprints_at_the_step(monkeypatch)

    during = _outcome(fake_hub, names)

    assert during == before  # the same files read once each, the same fingerprints and inferred parents
    naming_a_parent = set(LineageEdge.objects.values_list("child__name", flat=True))
    # Those read without a request are stored as the walk stores them; those read on the pool once their read has
    # finished (by the step, if not before); the models that name no parent are left to the step.
    assert {"deep/m-2", "deep/m-1"} <= set(at_the_step) <= naming_a_parent
    assert not set(SILENT) & set(at_the_step)
    # A first sight is still no change, though the step finds fingerprints stored since the refresh began.
    assert not ChangeEvent.objects.filter(kind__startswith="inferred").exists()


def test_a_read_that_raises_is_left_to_the_step_after_the_walk(fake_hub, monkeypatch):
    names = _chain_world(fake_hub)
    complete = _outcome(fake_hub, names)
    _forget_fingerprints()
    with monkeypatch.context() as patched:
        _raise_for(patched, "acme/named-7b")  # a model that names a parent, read on the pool
        with monkeypatch.context() as after_only:
            _after_the_walk_only(after_only)
            before = _outcome(fake_hub, names)
        _forget_fingerprints()
        patched.setattr(lineage_identity_reads, "FINGERPRINTS_BATCH", 1)
        during = _outcome(fake_hub, names)

    assert (during["status"], during["error"]) == (before["status"], before["error"])
    assert during["status"] == "failed" and during["error"] == "RuntimeError: identity of acme/named-7b broke"
    assert before["fingerprints"] == []
    # What was stored during the walk stays, as a complete refresh stores it: the hub's files at that revision.
    stored = {row[0] for row in during["fingerprints"]}
    assert "acme/named-7b" not in stored and {"deep/m-2", "deep/m-1"} <= stored
    assert all(row in complete["fingerprints"] for row in during["fingerprints"])


def test_a_repo_that_lists_no_identifying_file_is_read_without_a_request_or_the_pool(fake_hub, monkeypatch):
    for record in make_chain("deep/m", depth=3):  # no config, no tokenizer config; a README
        fake_hub.add_repo(record)
    submitted: list[object] = []
    submit = lineage.FetchPool.submit
    monkeypatch.setattr(lineage.FetchPool, "submit", lambda self, job: submitted.append(job) or submit(self, job))

    refresh = _refresh(["deep/m-2"])

    assert refresh.status == "done", refresh.error
    # Only the root's README, which names no parent, is downloaded (on the pool); the rest read no file.
    downloads = _identity_requests(fake_hub)
    assert len(submitted) == 1 and len(downloads) == 1
    assert downloads[0].startswith("/deep/m-0/resolve/") and downloads[0].endswith("/README.md")
    rows = {row[0]: row for row in _fingerprints()}
    assert set(rows) == {"deep/m-2", "deep/m-1", "deep/m-0"}
    assert all(not row[4] and not row[5] and row[6] == [] for row in rows.values())  # no config, no tokenizer


@pytest.mark.parametrize(
    ("siblings", "readme", "downloads"),
    [
        ((), False, ()),
        ((), True, ()),
        (("README.md", "model.gguf"), False, ()),
        (("README.md",), True, ("README.md",)),
        (("tokenizer_config.json", "config.json"), False, ("config.json", "tokenizer_config.json")),
        (("config.json", "README.md"), True, ("config.json", "README.md")),
        (("sub/config.json", "Config.json"), True, ()),  # only the root's, as named
    ],
)
def test_the_files_a_read_downloads(siblings, readme, downloads):
    assert identity_downloads(siblings, readme=readme) == downloads


@pytest.mark.parametrize("prefetch", [True, False], ids=["during the walk", "after it"])
def test_a_model_inferred_about_is_read_again_only_at_a_new_revision_or_for_its_readme(fake_hub, monkeypatch,
                                                                                       prefetch):  # fmt: skip
    """The files are read at the commit: a model whose parents are inferred is inferred about again from its stored
    row (against the fingerprints stored since) while its revision stands; read again at a new commit, or once for
    the README when its row was read without it (it named a parent then)."""
    if not prefetch:
        _after_the_walk_only(monkeypatch)
    names = _world(fake_hub)
    first = _outcome(fake_hub, names)
    assert len(first["downloads"]) == 4 * 2 + 3 and first["inferred"]
    readme_read = {row[0]: row[-1] for row in first["fingerprints"]}
    assert readme_read == {SILENT[0]: True, SILENT[1]: True, "Qwen/Qwen2.5-7B-Instruct": False,
                           "Qwen/Qwen2.5-7B": True}  # fmt: skip

    again = _outcome(fake_hub, names)
    assert again == {**first, "downloads": []}  # nothing read, the same fingerprints and inferred parents

    # A new commit of one of them: its files only, at that commit.
    fake_hub.add_repo(make_silent(SILENT[0], sha="c" * 40))
    changed = _outcome(fake_hub, names)
    assert [path.split("/resolve/")[1] for path in changed["downloads"]] == [
        f"{'c' * 40}/{name}" for name in ("README.md", "config.json", "tokenizer_config.json")
    ]
    assert changed["inferred"] == first["inferred"]

    # A row read without the README (the model named a parent then): the README is read once, with the files.
    ModelFingerprint.objects.filter(model__name=SILENT[1]).update(readme_read=False, readme_digest="")
    readme = _outcome(fake_hub, names)
    assert sorted(path.rsplit("/", 1)[1] for path in readme["downloads"]) == [
        "README.md", "config.json", "tokenizer_config.json"
    ] and all(SILENT[1] in path for path in readme["downloads"])  # fmt: skip
    assert readme == {**first, "downloads": readme["downloads"], "fingerprints": changed["fingerprints"]}
    assert _outcome(fake_hub, names)["downloads"] == []
