"""Tests for the fake Hugging Face Hub, driven by the real ``huggingface_hub`` client.

The point of the fake is to be faithful to what the client expects, so most
tests go through ``HfApi`` / ``hf_hub_download`` rather than raw HTTP; raw
``http.client`` is used where the client hides the detail (307s, headers).
No Django here: the file needs no settings or database (the suite's conftest loads Django for other files).
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import yaml
from huggingface_hub import HfApi, ModelCard, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    BadRequestError,
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.fakehub import (
    DEFAULT_REPOS_DIR,
    HOSTILE_STRINGS,
    FakeHub,
    declared_parents,
    load_records,
    make_adapter,
    make_chain,
    make_cycle,
    make_gguf,
    make_merge,
    make_record,
    record_filename,
    records,
)
from vendors.demo import load_portfolio


def _demo_hub_ids() -> set[str]:
    """The hub ids the demo portfolio uses: each must be recorded, or be a recorded repo's former id."""
    return {usage.model.name for _, _, usage in load_portfolio().usages() if usage.model.kind == "hub"}


RENAMES = {
    "meta-llama/Meta-Llama-3.1-8B": "meta-llama/Llama-3.1-8B",
    "meta-llama/Meta-Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "THUDM/glm-4-9b": "zai-org/glm-4-9b",
    "THUDM/glm-4-9b-chat": "zai-org/glm-4-9b-chat",
    "CohereForAI/c4ai-command-r-08-2024": "CohereLabs/c4ai-command-r-08-2024",
    "xlm-roberta-large": "FacebookAI/xlm-roberta-large",
}
_CACHE_PATH = re.compile(r"models--([\w.\-]+)--([\w.\-]+)")


# ------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True)
def _isolated_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No telemetry side request, no offline mode, no user token, no shared cache."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    """The recorded world, shared read-only by tests that do not reshape it."""
    with FakeHub() as fake:
        yield fake


@pytest.fixture
def fresh_hub() -> Iterator[FakeHub]:
    """A private hub for tests that rename, gate, fail or count requests."""
    with FakeHub() as fake:
        yield fake


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


def _raw(
    hub: FakeHub, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects: ``(status, headers, body)``."""
    conn = http.client.HTTPConnection(urlsplit(hub.url).netloc, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _download(hub: FakeHub, tmp_path: Path, repo_id: str, filename: str, **kwargs: Any) -> Path:
    api = HfApi(endpoint=hub.url, token=kwargs.pop("token", False))
    return Path(api.hf_hub_download(repo_id, filename, cache_dir=tmp_path / "cache", **kwargs))


def _lineage_references(record: dict[str, Any]) -> set[str]:
    """Every parent id a record names: card base_model, adapter configs, config.peft, mergekit configs."""
    refs: set[str] = set()
    for source in (record, *(record.get("revisions") or {}).values()):
        refs.update(declared_parents(source.get("cardData") or {}))
    config = record.get("config") if isinstance(record.get("config"), dict) else {}
    if isinstance(config.get("peft"), dict):
        refs.add(config["peft"]["base_model_name_or_path"])
    for path, content in (record.get("files") or {}).items():
        if path.endswith("adapter_config.json"):
            base = content["base_model_name_or_path"]
            match = _CACHE_PATH.search(base)
            refs.add(f"{match.group(1)}/{match.group(2)}" if match else base)
        elif path.endswith("mergekit_config.yml"):
            doc = yaml.safe_load(content)
            refs.update(model["model"] for model in doc.get("models", []))
            if doc.get("base_model"):
                refs.add(doc["base_model"])
    return refs


# ------------------------------------------------------------ recorded data
def test_every_record_file_parses_and_is_named_after_its_id() -> None:
    files = sorted(p for p in DEFAULT_REPOS_DIR.glob("*.json") if not p.name.startswith("_"))
    records = load_records()
    assert len(files) == len(records) >= 90
    for path, record in zip(files, records, strict=True):
        assert path.name == record_filename(record["id"]), path.name
        assert record["provenance"].startswith(("Modelled on the public Hub page", "Synthetic")), record["id"]
    known = {r["id"] for r in records} | {alias for r in records for alias in r.get("aliases", [])}
    assert _demo_hub_ids() <= known, sorted(_demo_hub_ids() - known)


def test_repos_readme_documents_every_record() -> None:
    readme = (DEFAULT_REPOS_DIR / "README.md").read_text()
    assert [r["id"] for r in load_records() if f"| `{r['id']}` |" not in readme] == []


def test_readme_front_matter_round_trips_hostile_values() -> None:
    data = {"license": "other", "tags": list(HOSTILE_STRINGS), "nested": {"list": [{"a": "yes", "b": ["1.0", "null"]}]}}
    readme = records._front_matter(data, "# body\n")
    header = readme.split("---\n")[1]
    assert yaml.safe_load(header) == data
    assert records._front_matter({}, "# body\n") == "# body\n"


def test_every_referenced_parent_exists_is_renamed_or_intentionally_missing(hub: FakeHub) -> None:
    missing = set(hub.intentionally_missing)
    unresolved = {
        (record["id"], ref)
        for record in load_records()
        for ref in _lineage_references(record)
        if hub.state.resolve(ref) is None and ref not in missing
    }
    assert unresolved == set()
    for ref in missing:
        assert hub.state.resolve(ref) is None, f"{ref} is listed as missing but exists"


def test_renames_and_aliases_are_recorded(hub: FakeHub) -> None:
    for old, new in RENAMES.items():
        assert hub.aliases[old.lower()] == new


def test_every_repo_parses_with_the_real_client(hub: FakeHub, api: HfApi) -> None:
    for repo_id in hub.repo_ids():
        if repo_id == "acme-labs/takedown-7b":
            continue  # disabled
        info = api.model_info(repo_id)
        assert info.id == repo_id and re.fullmatch(r"[0-9a-f]{40}", info.sha)
        assert info.siblings and all(s.rfilename for s in info.siblings)
        assert info.created_at is not None and info.last_modified is not None


def test_readme_front_matter_round_trips_to_card_data(hub: FakeHub, api: HfApi, tmp_path: Path) -> None:
    for repo_id in (
        "Azazelle/Mocha-Dare-7b-ex",
        "synthetic-hostile/html-card",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF",
    ):
        card = ModelCard.load(_download(hub, tmp_path, repo_id, "README.md"))
        expected = api.model_info(repo_id, expand=["cardData"]).card_data.to_dict()
        assert card.data.to_dict() == expected
    html = api.model_info("synthetic-hostile/html-card", expand=["cardData"]).card_data
    assert len(html.description) == 1024 * 1024 and html.license.startswith("<script>")


def test_client_resolves_lineage_fields(api: HfApi) -> None:
    info = api.model_info("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", expand=["baseModels", "cardData", "tags"])
    assert info.base_models == {
        "relation": "finetune",
        "models": [{"_id": info.base_models["models"][0]["_id"], "id": "Qwen/Qwen2.5-Math-7B"}],
    }
    assert info.card_data.license == "mit" and info.card_data.base_model == "Qwen/Qwen2.5-Math-7B"
    mocha = api.model_info("Azazelle/Mocha-Dare-7b-ex", expand=["baseModels", "tags"])
    assert mocha.base_models["relation"] == "merge" and len(mocha.base_models["models"]) == 4
    assert "base_model:merge:mistralai/Mistral-7B-v0.1" in mocha.tags
    gguf = api.model_info("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", expand=["gguf", "tags"])
    assert (
        gguf.gguf["architecture"] == "qwen2"
        and "base_model:quantized:deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" in gguf.tags
    )
    bnb = api.model_info("unsloth/Qwen2.5-7B-Instruct-bnb-4bit", expand=["tags", "config"])
    assert {"4-bit", "bitsandbytes", "base_model:quantized:Qwen/Qwen2.5-7B-Instruct"} <= set(bnb.tags)
    assert bnb.config["quantization_config"]["load_in_4bit"] is True
    hermes = api.model_info("NousResearch/Hermes-3-Llama-3.1-8B", expand=["tags", "cardData"])
    assert "finetune" in hermes.tags and hermes.card_data.base_model is None
    assert not any(tag.startswith("base_model:") for tag in hermes.tags)
    peft = api.model_info("EmmanuelEspinoza10/llama-3-70b-corporatus-3k-adapter", expand=["config"])
    assert peft.config["peft"]["base_model_name_or_path"] == "meta-llama/Meta-Llama-3-70B-Instruct"
    assert api.model_info("shyamieee/JARVIS-v1.0", expand=["cardData"]).card_data.base_model == []
    children = [r["id"] for r in load_records() if "Qwen/Qwen2.5-7B-Instruct" in declared_parents(r["cardData"])]
    assert len(children) >= 7
    assert api.model_info("Qwen/Qwen2.5-7B-Instruct", expand=["childrenModelCount"]).children_model_count == len(
        children
    )


def test_default_document_is_full_and_blobs_add_file_metadata(api: HfApi) -> None:
    info = api.model_info("Qwen/Qwen2.5-7B-Instruct")
    assert info.card_data is not None and info.config["model_type"] == "qwen2" and info.safetensors.total == 7615616512
    assert info.base_models is None  # expand-only, like the live Hub
    assert info.siblings[0].size is None
    blobs = api.model_info("Qwen/Qwen2.5-7B-Instruct", files_metadata=True, securityStatus=True)
    weights = [s for s in blobs.siblings if s.rfilename.endswith(".safetensors")]
    assert weights and all(s.lfs and s.lfs.size == s.size for s in weights)
    assert blobs.security_repo_status == {"scansDone": True, "filesWithIssues": []}


def test_revision_overlays_keep_old_lineage(hub: FakeHub, api: HfApi) -> None:
    repo = hub.record("unsloth/Hermes-3-Llama-3.1-8B-bnb-4bit")
    old_sha = next(iter(repo["revisions"]))
    old = api.model_info("unsloth/Hermes-3-Llama-3.1-8B-bnb-4bit", revision=old_sha, expand=["cardData", "sha"])
    assert old.card_data.base_model == "meta-llama/Meta-Llama-3.1-8B" and old.sha == old_sha
    assert (
        api.model_info("unsloth/Hermes-3-Llama-3.1-8B-bnb-4bit").card_data.base_model
        == "NousResearch/Hermes-3-Llama-3.1-8B"
    )
    with pytest.raises(RevisionNotFoundError):
        api.model_info("Qwen/Qwen2.5-7B", revision="refs/pr/1")
    assert hub.count("/api/models/Qwen/Qwen2.5-7B/revision/refs%2Fpr%2F1") == 1


# ------------------------------------------------------------------- expand
def test_expanded_response_holds_only_requested_keys(hub: FakeHub, api: HfApi) -> None:
    status, _, body = _raw(hub, "/api/models/Qwen/Qwen2.5-7B-Instruct?expand=cardData&expand[]=tags&expand=gguf")
    assert status == 200 and set(json.loads(body)) == {"_id", "id", "cardData", "tags"}  # gguf has no value here
    info = api.model_info("Qwen/Qwen2.5-7B-Instruct", expand=["sha"])
    assert info.sha and info.tags is None and info.card_data is None and info.siblings is None


def test_unknown_expand_is_a_bad_request(api: HfApi) -> None:
    with pytest.raises(BadRequestError):
        api.model_info("Qwen/Qwen2.5-7B", expand=["foo"])  # type: ignore[list-item]
    with pytest.raises(BadRequestError):
        next(iter(api.list_models(expand=["baseModels"])))


# ------------------------------------------------------------------ renames
def test_renamed_repo_answers_307_with_relative_location(hub: FakeHub, api: HfApi) -> None:
    status, headers, _ = _raw(hub, "/api/models/meta-llama/Meta-Llama-3.1-8B-Instruct?expand=cardData")
    assert status == 307 and headers["location"] == "/api/models/meta-llama/Llama-3.1-8B-Instruct?expand=cardData"
    assert api.model_info("meta-llama/Meta-Llama-3.1-8B-Instruct").id == "meta-llama/Llama-3.1-8B-Instruct"
    assert (
        api.model_info("THUDM/glm-4-9b-chat", expand=["baseModels"]).base_models["models"][0]["id"]
        == "zai-org/glm-4-9b"
    )
    assert api.model_info("xlm-roberta-large").id == "FacebookAI/xlm-roberta-large"
    assert api.model_info("CohereForAI/c4ai-command-r-08-2024").id == "CohereLabs/c4ai-command-r-08-2024"


def test_old_ids_redirect_for_downloads_and_trees(hub: FakeHub, tmp_path: Path) -> None:
    readme = _download(hub, tmp_path, "meta-llama/Meta-Llama-3.1-8B-Instruct", "README.md")
    assert "base_model: meta-llama/Llama-3.1-8B" in readme.read_text()
    config = json.loads(_download(hub, tmp_path, "xlm-roberta-large", "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    status, headers, _ = _raw(hub, "/xlm-roberta-large/resolve/main/config.json", method="HEAD")
    assert status == 307 and headers["location"] == "/FacebookAI/xlm-roberta-large/resolve/main/config.json"
    files = HfApi(endpoint=hub.url, token=False).list_repo_files("THUDM/glm-4-9b")
    assert "LICENSE" in files


def test_rename_chains_and_removal(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    fresh_hub.rename("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-v2")
    fresh_hub.rename("Qwen/Qwen2.5-7B-v2", "Alibaba/Qwen2.5-7B")
    assert api.model_info("Qwen/Qwen2.5-7B").id == "Alibaba/Qwen2.5-7B"
    assert api.model_info("Qwen/Qwen2.5-7B-v2").id == "Alibaba/Qwen2.5-7B"
    child = api.model_info("Qwen/Qwen2.5-7B-Instruct", expand=["baseModels", "cardData"])
    assert (
        child.base_models["models"][0]["id"] == "Alibaba/Qwen2.5-7B" and child.card_data.base_model == "Qwen/Qwen2.5-7B"
    )
    fresh_hub.remove_repo("Alibaba/Qwen2.5-7B")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("Qwen/Qwen2.5-7B")


# ------------------------------------------------------------------- errors
def test_missing_things_map_to_client_exceptions(hub: FakeHub, api: HfApi, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError) as excinfo:
        api.model_info("acme-labs/deleted-base")
    assert excinfo.value.response.status_code == 401 and excinfo.value.request_id
    with pytest.raises(RepositoryNotFoundError):
        _download(hub, tmp_path, "acme-labs/deleted-base", "config.json")
    with pytest.raises(EntryNotFoundError):
        _download(hub, tmp_path, "Qwen/Qwen2.5-7B", "no-such-file.json")
    with pytest.raises(RevisionNotFoundError):
        _download(hub, tmp_path, "Qwen/Qwen2.5-7B", "config.json", revision="v9")
    status, headers, body = _raw(hub, "/api/models/acme-labs/deleted-base", headers={"Authorization": "Bearer x"})
    assert (
        status == 404
        and headers["x-error-code"] == "RepoNotFound"
        and json.loads(body) == {"error": "Repository not found"}
    )


def test_gated_repo_serves_metadata_and_readme_but_not_files(fresh_hub: FakeHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    assert api.model_info("meta-llama/Llama-3.1-8B").gated == "manual"
    assert _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "README.md").exists()
    assert _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "LICENSE").exists()
    with pytest.raises(GatedRepoError) as excinfo:
        _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "config.json")
    assert excinfo.value.response.status_code == 401
    fresh_hub.require_token("hf_granted")
    with pytest.raises(GatedRepoError) as excinfo:
        _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "config.json", token="hf_other")
    assert excinfo.value.response.status_code == 403
    assert _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "config.json", token="hf_granted").exists()
    fresh_hub.set_gated("Qwen/Qwen2.5-7B", "auto", refuse_metadata=True)
    with pytest.raises(GatedRepoError):
        api.model_info("Qwen/Qwen2.5-7B")
    assert HfApi(endpoint=fresh_hub.url, token="hf_granted").model_info("Qwen/Qwen2.5-7B").gated == "auto"
    fresh_hub.set_gated("meta-llama/Llama-3.1-8B", False)
    assert _download(fresh_hub, tmp_path, "meta-llama/Llama-3.1-8B", "USE_POLICY.md").exists()


def test_disabled_and_private_repos(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    with pytest.raises(DisabledRepoError):
        api.model_info("acme-labs/takedown-7b")
    fresh_hub.set_disabled("Qwen/Qwen2.5-7B")
    with pytest.raises(DisabledRepoError):
        api.model_info("Qwen/Qwen2.5-7B")
    fresh_hub.set_private("Qwen/Qwen2.5-14B")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("Qwen/Qwen2.5-14B")
    assert "Qwen/Qwen2.5-14B" not in {m.id for m in api.list_models(author="Qwen")}


# --------------------------------------------------------- injected failures
def test_injected_429_then_success(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    rule = fresh_hub.fail("Qwen/Qwen2.5-7B", 429)
    with pytest.raises(HfHubHTTPError) as excinfo:
        api.model_info("Qwen/Qwen2.5-7B")  # model_info does not retry
    assert excinfo.value.response.status_code == 429 and excinfo.value.response.headers["RateLimit"] == '"api";r=0;t=0'
    assert api.model_info("Qwen/Qwen2.5-7B").id == "Qwen/Qwen2.5-7B" and rule.hits == 1
    fresh_hub.fail("/api/models", 503, times=1)
    fresh_hub.reset_log()
    models = list(api.list_models(author="moonshotai"))  # listings retry (http_backoff)
    assert {m.id for m in models} == {"moonshotai/Kimi-K2-Base", "moonshotai/Kimi-K2-Instruct"}
    assert fresh_hub.count("/api/models", method="GET") == 2


def test_injected_5xx_and_renamed_target_matching(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    fresh_hub.fail("meta-llama/Llama-3.1-8B-Instruct", 502, times=None)
    with pytest.raises(HfHubHTTPError) as excinfo:
        api.model_info("meta-llama/Meta-Llama-3.1-8B-Instruct")
    assert excinfo.value.response.status_code == 502
    fresh_hub.clear_failures()
    assert api.model_info("meta-llama/Llama-3.1-8B-Instruct").gated == "manual"


def test_hanging_request_trips_client_timeout(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    fresh_hub.fail("Qwen/Qwen2.5-7B", "hang", delay=5.0)
    with pytest.raises(httpx2.TimeoutException):
        api.model_info("Qwen/Qwen2.5-7B", timeout=0.2)
    assert api.model_info("Qwen/Qwen2.5-7B", timeout=5).id == "Qwen/Qwen2.5-7B"


# ---------------------------------------------------------- log/concurrency
def test_latency_is_added_to_every_request() -> None:
    with FakeHub(repos_dir=None, latency=0.2) as slow:
        started = time.monotonic()
        status, _, _ = _raw(slow, "/api/agent-harnesses")
        elapsed = time.monotonic() - started
    assert status == 200 and elapsed >= 0.19  # a lower bound: the server sleeps before answering


def test_request_log_and_counting(fresh_hub: FakeHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    api.model_info("Qwen/Qwen2.5-7B")
    api.model_info("Qwen/Qwen2.5-7B", revision="main", expand=["tags"])
    _download(fresh_hub, tmp_path, "Qwen/Qwen2.5-7B", "config.json")
    assert fresh_hub.metadata_requests("Qwen/Qwen2.5-7B") == 2
    assert fresh_hub.count("/Qwen/Qwen2.5-7B/resolve/", method="HEAD") == 1
    assert fresh_hub.count("/Qwen/Qwen2.5-7B/resolve/", method="GET") == 1
    assert fresh_hub.requests[1] == ("GET", "/api/models/Qwen/Qwen2.5-7B/revision/main", {"expand": ["tags"]})
    fresh_hub.reset_log()
    assert fresh_hub.requests == [] and fresh_hub.count() == 0


def test_concurrent_requests_overlap_in_the_server() -> None:
    ids = sorted(
        r["id"] for r in load_records() if r["id"].startswith(("Qwen/", "deepseek-ai/", "mistralai/", "BAAI/"))
    )
    with FakeHub(latency=0.2) as slow:
        api = HfApi(endpoint=slow.url, token=False)
        barrier = threading.Barrier(50)

        def fetch(index: int) -> str:
            barrier.wait()
            return api.model_info(ids[index % len(ids)], expand=["baseModels"], timeout=30).id

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(fetch, range(50)))
        assert results == [ids[i % len(ids)] for i in range(50)]
        assert slow.peak_in_flight >= 10
        assert slow.wait_idle(timeout=10), f"{slow.in_flight} requests still in flight"
        assert slow.count("/api/models/", method="GET") == 50


# ---------------------------------------------------------- list/tree/files
def test_list_models_follows_link_pagination(fresh_hub: FakeHub) -> None:
    fresh_hub.page_size = 2
    api = HfApi(endpoint=fresh_hub.url, token=False)
    children = {m.id for m in api.list_models(filter="base_model:finetune:Qwen/Qwen2.5-7B-Instruct")}
    assert {
        "bespokelabs/Bespoke-Stratos-7B",
        "open-thoughts/OpenThinker-7B",
        "nvidia/OpenReasoning-Nemotron-7B",
    } <= children
    assert "unsloth/Qwen2.5-7B-Instruct-bnb-4bit" not in children
    pages = [r for r in fresh_hub.requests if r.path == "/api/models"]
    assert len(pages) == (len(children) + 1) // 2 and "cursor" in pages[-1].query
    _, headers, _ = _raw(fresh_hub, "/api/models?author=Qwen")
    assert re.fullmatch(
        rf'<{re.escape(fresh_hub.url)}/api/models\?author=Qwen&cursor=[^>]+>; rel="next"', headers["link"]
    )


def test_list_models_filters_sort_and_expand(api: HfApi) -> None:
    quantized = {
        m.id for m in api.list_models(filter=["base_model:quantized:deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "gguf"])
    }
    assert quantized == {
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF",
    }
    assert [m.id for m in api.list_models(trained_dataset="eaddario/imatrix-calibration")] == [
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF"
    ]
    by_downloads = list(api.list_models(author="Qwen", sort="downloads", limit=3))
    assert (
        len(by_downloads) == 3 and by_downloads[0].downloads >= by_downloads[1].downloads >= by_downloads[2].downloads
    )
    assert {m.id for m in api.list_models(search="glm-4")} == {"zai-org/glm-4-9b", "zai-org/glm-4-9b-chat"}
    expanded = next(iter(api.list_models(search="Kimi-K2-Instruct", expand=["cardData", "gated"])))
    assert expanded.card_data.license_name == "modified-mit" and expanded.downloads is None
    full = next(iter(api.list_models(search="Kimi-K2-Instruct", full=True, cardData=True, fetch_config=True)))
    assert full.siblings and full.config["model_type"] == "kimi_k2" and full.card_data.license == "other"


def test_tree_listing_and_subfolder_adapter_download(hub: FakeHub, api: HfApi, tmp_path: Path) -> None:
    files = api.list_repo_files("programasweights/paw-programs")
    assert "110ab9d45cc6aeffa477/adapter_config.json" in files
    top = list(api.list_repo_tree("programasweights/paw-programs"))
    assert {"110ab9d45cc6aeffa477", "README.md"} <= {entry.path for entry in top}
    path = _download(
        hub, tmp_path, "programasweights/paw-programs", "adapter_config.json", subfolder="110ab9d45cc6aeffa477"
    )
    assert json.loads(path.read_text())["base_model_name_or_path"] == "Qwen/Qwen3-0.6B"
    local = json.loads(
        _download(hub, tmp_path, "michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3", "adapter_config.json").read_text()
    )
    assert "models--meta-llama--Llama-2-7b-chat-hf/snapshots/" in local["base_model_name_or_path"]
    assert "/snapshots/" + hub.record("programasweights/paw-programs")["sha"] in str(path)
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree("programasweights/paw-programs", path_in_repo="nope"))
    expanded = list(api.list_repo_tree("Qwen/Qwen2.5-7B", expand=True))
    assert all(entry.last_commit is not None for entry in expanded)


def test_lfs_files_report_metadata_without_serving_bytes(hub: FakeHub) -> None:
    url = hf_hub_url("Qwen/Qwen2.5-7B", "model-00001-of-00004.safetensors", endpoint=hub.url)
    meta = get_hf_file_metadata(url, token=False)
    assert meta.size > 1_000_000_000 and re.fullmatch(r"[0-9a-f]{64}", meta.etag)
    assert meta.commit_hash == hub.record("Qwen/Qwen2.5-7B")["sha"] and meta.location.startswith("https://cdn-lfs.")


def test_module_level_download_with_endpoint(hub: FakeHub, tmp_path: Path) -> None:
    path = hf_hub_download(
        "pinzhenchen/sft-lora-fi-pythia-2b8", "adapter_config.json", endpoint=hub.url, cache_dir=tmp_path, token=False
    )
    assert json.loads(Path(path).read_text())["base_model_name_or_path"] == "EleutherAI/pythia-2.8b-deduped"
    mergekit = yaml.safe_load(
        Path(
            hf_hub_download(
                "yasserrmd/DeepSeek-7B-1M", "mergekit_config.yml", endpoint=hub.url, cache_dir=tmp_path, token=False
            )
        ).read_text()
    )
    assert [m["model"] for m in mergekit["models"]] == [
        "Qwen/Qwen2.5-7B-Instruct-1M",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    ]


# -------------------------------------------------------- side endpoints
def test_agent_harnesses_and_overviews(hub: FakeHub, api: HfApi) -> None:
    status, headers, body = _raw(hub, "/api/agent-harnesses")
    assert status == 200 and json.loads(body) == {"standardEnvVars": [], "harnesses": {}} and headers["x-request-id"]
    org = api.get_organization_overview("Qwen")
    assert (
        org.name == "Qwen"
        and org.is_verified
        and org.num_models == len([i for i in hub.repo_ids() if i.startswith("Qwen/")])
    )
    assert api.get_user_overview("bartowski").num_models == 2
    with pytest.raises(HfHubHTTPError):
        api.get_organization_overview("bartowski")


# ------------------------------------------------------------ hostile worlds
def test_builders_make_hostile_worlds_easy(fresh_hub: FakeHub) -> None:
    api = HfApi(endpoint=fresh_hub.url, token=False)
    for record in make_chain("deep-chain/m", depth=60) + make_cycle(["cyc/a", "cyc/b", "cyc/c"]):
        fresh_hub.add_repo(record)
    fresh_hub.add_repo(make_adapter("evil/lora", "deep-chain/m-59", subfolder="nested/dir"))
    fresh_hub.add_repo(make_merge("evil/merge", ["cyc/a", "deep-chain/m-0"]))
    fresh_hub.add_repo(make_gguf("evil/m-GGUF", "evil/merge"))
    fresh_hub.add_repo(
        make_record("evil/html", parents=["<script>x</script>"], license="<b>mit</b>", relation="adapter")
    )
    tip = api.model_info("deep-chain/m-59", expand=["baseModels"])
    assert tip.base_models["models"][0]["id"] == "deep-chain/m-58"
    assert api.model_info("cyc/c", expand=["baseModels"]).base_models["models"][0]["id"] == "cyc/a"
    assert "nested/dir/adapter_config.json" in api.list_repo_files("evil/lora")
    assert api.model_info("evil/merge", expand=["baseModels"]).base_models["relation"] == "merge"
    assert "base_model:quantized:evil/merge" in api.model_info("evil/m-GGUF", expand=["tags"]).tags
    html = api.model_info("evil/html", expand=["tags", "baseModels"])
    assert "base_model:adapter:<script>x</script>" in html.tags and html.base_models is None
    malformed = api.model_info("synthetic-hostile/malformed-card")
    assert malformed.card_data.base_model == {"id": "Qwen/Qwen2.5-7B"} and not any(
        t.startswith("base_model:") for t in malformed.tags
    )


# ---------------------------------------------------------------------- CLI
def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    repos = tmp_path / "repos"
    repos.mkdir()
    (repos / "acme--one.json").write_text(json.dumps(make_record("acme/one", license="mit")))
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "tests.fakehub", "--port", "0", "--repos", str(repos)]
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            url = re.search(r"http://\S+", line).group(0)  # type: ignore[union-attr]
            assert "1 repos" in line
            assert HfApi(endpoint=url, token=False).model_info("acme/one").card_data.license == "mit"
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr


def test_a_repo_whose_files_change_gets_a_new_commit_and_hub_side_fields_keep_it() -> None:
    """As on the Hub: the commit sha follows what is committed (files, README and card, the file list); gating,
    counters and a rename change no commit; a record that names its sha keeps it."""
    base = make_record("acme/commits", license="apache-2.0", files={"config.json": {"hidden_size": 8}})
    sha = records.build_repo(base).main.sha
    assert re.fullmatch(r"[0-9a-f]{40}", sha)
    assert records.build_repo(json.loads(json.dumps(base))).main.sha == sha  # the same content: the same commit
    for changed in (
        {**base, "files": {"config.json": {"hidden_size": 9}}},
        {**base, "readme_body": "# Another README\n"},
        {**base, "cardData": {**base.get("cardData", {}), "license": "mit"}},
        {**base, "siblings": [{"rfilename": "model.safetensors", "size": 1}]},
    ):
        assert records.build_repo(changed).main.sha != sha, changed
    for hub_side in ({**base, "gated": "manual"}, {**base, "disabled": True}, {**base, "downloads": 5}):
        assert records.build_repo(hub_side).main.sha == sha, hub_side
    assert records.build_repo({**base, "files": {}, "sha": sha}).main.sha == sha
