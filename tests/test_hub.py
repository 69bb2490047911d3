"""Tests for ``vendors.hub``: the real ``huggingface_hub`` client against the project's fake hub.

Waits go through an injected ``sleep`` that records and returns at once, so retry and pacing tests assert on the
waits the client asked for, never on wall time. Tests that reshape the hub (failures, gating, renames) get a hub
of their own; read-only tests share one. No database is used.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, get_args

import httpx2
import pytest
from huggingface_hub import constants
from huggingface_hub.hf_api import ExpandModelProperty_T

from tests.fakehub import HOSTILE_STRINGS, FakeHub, make_adapter, make_record
from tests.fakehub.builders import adapter_config
from vendors.hub import EXPAND, MAX_LINEAGE_FILE_BYTES, MAX_LINEAGE_FILES, HubClient
from vendors.hub.convert import gated_mode, lineage_file_paths, parse_json_object
from vendors.hub.retry import Backoff, TokenBucket, server_wait
from vendors.lineage.snapshot import NodeStatus

TOKEN = "hf_x"
#: The repo most failure tests break, on a hub of their own.
BASE = "acme/base-7b"


class FakeClock:
    """A clock that only moves when someone sleeps on it; records every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _isolated_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """No telemetry request to the real hub, no token from the environment (both restored after the test)."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def shared_hub() -> Iterator[FakeHub]:
    """The recorded world, never modified: for read-only tests."""
    with FakeHub() as hub:
        yield hub


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """A hub of this test's own, free to break: only ``BASE`` in it (loading the recorded world takes a second)."""
    with FakeHub(repos_dir=None) as fresh:
        fresh.add_repo(make_record(BASE, license="apache-2.0"))
        yield fresh


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_for(hub: FakeHub, clock: FakeClock | None = None, **options: Any) -> HubClient:
    clock = clock or FakeClock()
    options = {"token": "", "timeout": 5.0, "sleep": clock.sleep, "clock": clock, **options}
    return HubClient(endpoint=hub.url, **options)


def file_requests(hub: FakeHub, repo_id: str) -> list[str]:
    return [req.path for req in hub.requests if req.path.startswith(f"/{repo_id}/resolve/")]


# ---------------------------------------------------------------------------------------------- happy paths
def test_expand_values_are_all_accepted_by_the_client() -> None:
    assert set(EXPAND) <= set(get_args(ExpandModelProperty_T))
    assert "safetensors" in EXPAND  # the parameter count rides on the one metadata request


def test_normal_repo_is_mapped_from_exactly_one_metadata_request(shared_hub: FakeHub) -> None:
    repo_id = "Qwen/Qwen2.5-7B-Instruct"
    before = shared_hub.metadata_requests(repo_id)
    record = shared_hub.record(repo_id)
    assert record is not None

    snap = client_for(shared_hub).fetch(repo_id)

    assert shared_hub.metadata_requests(repo_id) - before == 1
    assert (snap.status, snap.status_reason, snap.http_status) == (NodeStatus.RESOLVED, "", 200)
    assert (snap.requested_id, snap.repo_id, snap.redirected_from) == (repo_id, repo_id, None)
    assert snap.sha == record["sha"]
    assert snap.author == "Qwen"
    assert snap.card_data["base_model"] == "Qwen/Qwen2.5-7B"
    assert snap.card_data["license"] == "apache-2.0"
    assert snap.config["model_type"] == "qwen2"
    assert "base_model:finetune:Qwen/Qwen2.5-7B" in snap.tags
    assert all(isinstance(tag, str) for tag in snap.tags)
    assert {"config.json", "model-00001-of-00004.safetensors"} <= set(snap.siblings)
    assert snap.base_models["relation"] == "finetune"  # raw hub shape, passed through
    assert [model["id"] for model in snap.base_models["models"]] == ["Qwen/Qwen2.5-7B"]
    assert (snap.gated, snap.disabled, snap.library_name, snap.pipeline_tag) == (
        "",
        False,
        "transformers",
        "text-generation",
    )
    assert isinstance(snap.created_at, datetime) and snap.created_at.year == 2024
    assert isinstance(snap.last_modified, datetime)
    assert snap.parameters == record["safetensors"]["total"] == 7_615_616_512  # from the same request
    assert snap.files == {}  # no adapter_config.json: nothing downloaded
    assert file_requests(shared_hub, repo_id) == []
    asked = [req.query.get("expand") for req in shared_hub.requests if req.path == f"/api/models/{repo_id}"]
    assert asked[-1] == list(EXPAND)


def test_gguf_repo_keeps_gguf_and_base_models(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    assert snap.status == NodeStatus.RESOLVED
    assert snap.gguf["architecture"] == "qwen2"
    assert snap.base_models["relation"] == "quantized"


def test_recorded_rename_follows_the_redirect(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("THUDM/glm-4-9b")
    assert snap.status == NodeStatus.RESOLVED
    assert (snap.requested_id, snap.repo_id, snap.redirected_from) == (
        "THUDM/glm-4-9b",
        "zai-org/glm-4-9b",
        "THUDM/glm-4-9b",
    )


def test_runtime_rename_downloads_files_from_the_new_id(hub: FakeHub) -> None:
    hub.add_repo(make_adapter("old-org/lora", "Qwen/Qwen2.5-7B"))
    hub.rename("old-org/lora", "new-org/lora")

    snap = client_for(hub).fetch("old-org/lora")

    assert (snap.repo_id, snap.redirected_from) == ("new-org/lora", "old-org/lora")
    assert snap.files["adapter_config.json"]["base_model_name_or_path"] == "Qwen/Qwen2.5-7B"
    assert hub.metadata_requests("old-org/lora") == 1  # the 307 ...
    assert hub.metadata_requests("new-org/lora") == 1  # ... followed once by the client
    assert len(file_requests(hub, "new-org/lora")) == 1


def test_case_only_difference_is_not_a_rename(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("qwen/qwen2.5-7b-instruct")
    assert snap.repo_id == "Qwen/Qwen2.5-7B-Instruct"
    assert snap.redirected_from is None


# ------------------------------------------------------------------------------------------ failure statuses
def test_unknown_repo_is_not_found_after_one_request(shared_hub: FakeHub, clock: FakeClock) -> None:
    snap = client_for(shared_hub, clock).fetch("nobody/nothing-here")
    assert snap.status == NodeStatus.NOT_FOUND
    assert snap.status_reason == "not found on the hub (or private)"
    assert snap.http_status == 401  # anonymous callers get 401 so private repos cannot be probed
    assert (snap.repo_id, snap.sha, snap.card_data, snap.files) == ("nobody/nothing-here", "", {}, {})
    assert shared_hub.metadata_requests("nobody/nothing-here") == 1
    assert clock.waits == []


def test_unknown_repo_with_a_token_is_a_404_not_retried(hub: FakeHub, clock: FakeClock) -> None:
    snap = client_for(hub, clock, token=TOKEN).fetch("nobody/nothing-here")
    assert (snap.status, snap.http_status) == (NodeStatus.NOT_FOUND, 404)
    assert hub.metadata_requests("nobody/nothing-here") == 1
    assert clock.waits == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 410])
def test_other_client_errors_are_final(hub: FakeHub, clock: FakeClock, status: int) -> None:
    hub.fail(BASE, status, times=None)
    snap = client_for(hub, clock).fetch(BASE)
    assert snap.status == NodeStatus.ERROR
    assert snap.http_status == status
    assert str(status) in snap.status_reason
    assert hub.metadata_requests(BASE) == 1
    assert clock.waits == []


def test_invalid_repo_id_is_not_found_without_a_request(shared_hub: FakeHub) -> None:
    before = len(shared_hub.requests)
    snap = client_for(shared_hub).fetch("not a/valid..id")
    assert (snap.status, snap.status_reason) == (NodeStatus.NOT_FOUND, "not a valid hub repo id")
    assert len(shared_hub.requests) == before


def test_gated_repo_refusing_metadata_is_gated(hub: FakeHub) -> None:
    hub.set_gated(BASE, "manual", refuse_metadata=True)
    snap = client_for(hub).fetch(BASE)
    assert (snap.status, snap.http_status) == (NodeStatus.GATED, 401)
    assert snap.status_reason == "gated: request access on the hub or set HF_TOKEN"

    denied = client_for(hub, token="hf_not_granted").fetch(BASE)
    assert (denied.status, denied.http_status) == (NodeStatus.GATED, 403)
    assert "HF_TOKEN has not been granted" in denied.status_reason


def test_gated_repo_metadata_ok_but_adapter_refused_stays_resolved(hub: FakeHub, clock: FakeClock) -> None:
    hub.add_repo(make_adapter("acme/gated-lora", "Qwen/Qwen2.5-7B"))
    hub.set_gated("acme/gated-lora", "manual")

    snap = client_for(hub, clock).fetch("acme/gated-lora")

    assert snap.status == NodeStatus.RESOLVED
    assert snap.gated == "manual"
    assert snap.files == {"adapter_config.json": None}
    assert len(file_requests(hub, "acme/gated-lora")) == 1  # a 401 GatedRepo is not retried
    assert clock.waits == []


def test_gated_repo_with_a_granted_token_reads_the_adapter(hub: FakeHub) -> None:
    hub.add_repo(make_adapter("acme/gated-lora", "Qwen/Qwen2.5-7B"))
    hub.set_gated("acme/gated-lora", "auto", refuse_metadata=True)
    hub.require_token(TOKEN)

    snap = client_for(hub, token=TOKEN).fetch("acme/gated-lora")

    assert (snap.status, snap.gated) == (NodeStatus.RESOLVED, "auto")
    assert snap.files["adapter_config.json"]["base_model_name_or_path"] == "Qwen/Qwen2.5-7B"


def test_token_saved_on_the_machine_is_never_used(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.add_repo(make_adapter("acme/gated-lora", "Qwen/Qwen2.5-7B"))
    hub.set_gated("acme/gated-lora", "manual", refuse_metadata=True)
    hub.require_token("hf_machine")
    monkeypatch.setenv("HF_TOKEN", "hf_machine")  # huggingface_hub would send this implicitly

    assert client_for(hub, token="").fetch("acme/gated-lora").status == NodeStatus.GATED


def test_disabled_repo(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("acme-labs/takedown-7b")
    assert (snap.status, snap.status_reason, snap.http_status) == (NodeStatus.DISABLED, "disabled on the hub", 403)


# --------------------------------------------------------------------------------------------------- retries
def test_rate_limit_waits_reset_plus_one_second_then_succeeds(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 429, times=1, headers={"RateLimit": '"api";r=0;t=2'})
    snap = client_for(hub, clock).fetch(BASE)
    assert snap.status == NodeStatus.RESOLVED
    assert clock.waits == [3.0]
    assert hub.metadata_requests(BASE) == 2


def test_503_twice_then_success_backs_off_exponentially(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 503, times=2)
    snap = client_for(hub, clock, backoff_base=0.5).fetch(BASE)
    assert snap.status == NodeStatus.RESOLVED
    assert hub.metadata_requests(BASE) == 3
    first, second = clock.waits
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0  # equal jitter: half the ceiling plus up to half


def test_500_forever_gives_up_after_max_retries(hub: FakeHub, clock: FakeClock) -> None:
    rule = hub.fail(BASE, 500, times=None)
    snap = client_for(hub, clock, max_retries=5).fetch(BASE)
    assert snap.status == NodeStatus.ERROR
    assert snap.status_reason == "hub answered HTTP 500; gave up after 6 attempts"
    assert snap.http_status == 500
    assert rule.hits == hub.metadata_requests(BASE) == 6  # max_retries + 1 requests
    assert len(clock.waits) == 5  # no wait after the last attempt


def test_no_retries_means_one_request(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 502, times=None)
    snap = client_for(hub, clock, max_retries=0).fetch(BASE)
    assert snap.status_reason == "hub answered HTTP 502; gave up after 1 attempt"
    assert hub.metadata_requests(BASE) == 1
    assert clock.waits == []


def test_hang_times_out_is_retried_then_errors(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, "hang", times=None, delay=30)  # hub.stop() releases the stalled handlers
    snap = client_for(hub, clock, timeout=0.2, max_retries=2).fetch(BASE)
    assert snap.status == NodeStatus.ERROR
    assert snap.status_reason == "hub did not answer within 0.2 s; gave up after 3 attempts"
    assert snap.http_status is None
    assert hub.metadata_requests(BASE) == 3
    assert len(clock.waits) == 2


def test_one_hang_then_success(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, "hang", times=1, delay=30)
    snap = client_for(hub, clock, timeout=0.2).fetch(BASE)
    assert snap.status == NodeStatus.RESOLVED
    assert len(clock.waits) == 1


def test_connection_refused_is_retried_then_errors(clock: FakeClock) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HubClient(endpoint=f"http://127.0.0.1:{port}", token="", timeout=1.0, max_retries=2, sleep=clock.sleep)
    snap = client.fetch(BASE)
    assert snap.status == NodeStatus.ERROR
    assert snap.status_reason == "could not reach the hub (ConnectError); gave up after 3 attempts"
    assert len(clock.waits) == 2


def test_retry_after_is_honoured(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 503, times=1, headers={"Retry-After": "7"})
    assert client_for(hub, clock).fetch(BASE).status == NodeStatus.RESOLVED
    assert clock.waits == [7.0]


def test_server_waits_are_capped(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 429, times=1, headers={"RateLimit": '"api";r=0;t=299'})
    hub.fail(BASE, 503, times=1, headers={"Retry-After": "3600"})
    assert client_for(hub, clock, backoff_cap=30).fetch(BASE).status == NodeStatus.RESOLVED
    assert clock.waits == [30.0, 30.0]


def test_exponential_backoff_is_capped(hub: FakeHub, clock: FakeClock) -> None:
    hub.fail(BASE, 500, times=None)
    client_for(hub, clock, max_retries=4, backoff_base=10, backoff_cap=15).fetch(BASE)
    ceilings = [10, 15, 15, 15]
    assert len(clock.waits) == 4
    assert all(ceiling / 2 <= wait <= ceiling for wait, ceiling in zip(clock.waits, ceilings, strict=True))


def test_lineage_file_download_is_retried_too(hub: FakeHub, clock: FakeClock) -> None:
    hub.add_repo(make_adapter("acme/lora", "Qwen/Qwen2.5-7B"))
    hub.fail("/acme/lora/resolve/", 503, times=1)
    snap = client_for(hub, clock).fetch("acme/lora")
    assert snap.files["adapter_config.json"]["base_model_name_or_path"] == "Qwen/Qwen2.5-7B"
    assert len(clock.waits) == 1
    assert hub.metadata_requests("acme/lora") == 1


def test_lineage_file_that_keeps_failing_is_none(hub: FakeHub, clock: FakeClock) -> None:
    hub.add_repo(make_adapter("acme/lora", "Qwen/Qwen2.5-7B"))
    hub.fail("/acme/lora/resolve/", 500, times=None)
    snap = client_for(hub, clock, max_retries=1).fetch("acme/lora")
    assert snap.status == NodeStatus.RESOLVED
    assert snap.files == {"adapter_config.json": None}


# ------------------------------------------------------------------------------------------- lineage files
def test_root_adapter_config_is_parsed_at_the_pinned_revision(shared_hub: FakeHub) -> None:
    repo_id = "pinzhenchen/sft-lora-fi-pythia-2b8"
    snap = client_for(shared_hub).fetch(repo_id)
    assert snap.files["adapter_config.json"]["base_model_name_or_path"] == "EleutherAI/pythia-2.8b-deduped"
    assert file_requests(shared_hub, repo_id)[-1] == f"/{repo_id}/resolve/{snap.sha}/adapter_config.json"


def test_subfolder_adapter_configs_are_parsed(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("programasweights/paw-programs")
    assert set(snap.files) == {"110ab9d45cc6aeffa477/adapter_config.json", "7c2e05f1d9b8a3c4e6f0/adapter_config.json"}
    assert snap.files["110ab9d45cc6aeffa477/adapter_config.json"]["base_model_name_or_path"] == "Qwen/Qwen3-0.6B"


def test_local_cache_path_adapter_is_kept_verbatim(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3")
    base = snap.files["adapter_config.json"]["base_model_name_or_path"]
    assert "models--meta-llama--Llama-2-7b-chat-hf/snapshots/" in base  # parsing it is the lineage module's job


def test_number_of_lineage_files_is_capped_root_first(hub: FakeHub) -> None:
    files = {f"sub{i}/adapter_config.json": adapter_config("Qwen/Qwen2.5-7B") for i in range(7)}
    files["adapter_config.json"] = adapter_config("Qwen/Qwen2.5-7B")
    hub.add_repo(make_record("acme/many", files=files))

    snap = client_for(hub).fetch("acme/many")

    assert len(snap.files) == MAX_LINEAGE_FILES
    assert list(snap.files)[:2] == ["adapter_config.json", "sub0/adapter_config.json"]
    assert len(file_requests(hub, "acme/many")) == MAX_LINEAGE_FILES


def test_oversized_and_unparsable_adapter_files_are_none(hub: FakeHub, clock: FakeClock) -> None:
    huge = adapter_config("Qwen/Qwen2.5-7B", padding="x" * (MAX_LINEAGE_FILE_BYTES + 1))
    hub.add_repo(make_record("acme/huge", files={"adapter_config.json": huge}))
    hub.add_repo(
        make_record(
            "acme/broken",
            files={
                "adapter_config.json": "{not json",
                "a/adapter_config.json": json.dumps(["a", "list"]),
                "b/adapter_config.json": "\x00\x01 garbage",
                "c/adapter_config.json": "[" * 100_000 + "]" * 100_000,
            },
        )
    )

    huge_snap = client_for(hub, clock).fetch("acme/huge")
    broken = client_for(hub, clock).fetch("acme/broken")

    assert huge_snap.status == NodeStatus.RESOLVED
    assert huge_snap.files == {"adapter_config.json": None}
    assert broken.status == NodeStatus.RESOLVED
    assert dict(broken.files) == dict.fromkeys(
        ["adapter_config.json", "a/adapter_config.json", "b/adapter_config.json", "c/adapter_config.json"]
    )
    assert clock.waits == []  # too large or unparsable is final


class _EndlessFileHub(http.server.BaseHTTPRequestHandler):
    """A hub serving a 10 MiB adapter_config.json with no declared length: only the read loop can stop it."""

    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def do_GET(self) -> None:
        if self.path.startswith("/api/models/"):
            body = json.dumps(
                {"id": "acme/endless", "sha": "a" * 40, "siblings": [{"rfilename": "adapter_config.json"}]}
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())
            return
        self.send_response(200)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client hangs up once it has read enough
            # 10 MiB of valid JSON: only the size limit keeps it out of snapshot.files.
            self.wfile.write(b'{"pad": "')
            for _ in range(160):
                self.wfile.write(b"x" * 65_536)
            self.wfile.write(b'"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_file_without_declared_length_is_cut_at_the_limit(clock: FakeClock) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EndlessFileHub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        snap = HubClient(endpoint=endpoint, token="", timeout=5.0, sleep=clock.sleep).fetch("acme/endless")
    finally:
        server.shutdown()
        server.server_close()
    assert snap.status == NodeStatus.RESOLVED
    assert snap.files == {"adapter_config.json": None}
    assert clock.waits == []


@pytest.mark.parametrize(
    ("siblings", "expected"),
    [
        (["config.json", "README.md"], []),
        (["b/adapter_config.json", "adapter_config.json", "a/adapter_config.json"],
         ["adapter_config.json", "a/adapter_config.json", "b/adapter_config.json"]),
        (["x/y/adapter_config.json", "z/adapter_config.json"], ["z/adapter_config.json", "x/y/adapter_config.json"]),
        (["not_adapter_config.json", "adapter_config.json.bak"], []),
        (["../adapter_config.json", "a/../adapter_config.json", "./adapter_config.json", "/adapter_config.json",
          "a//adapter_config.json", "a\\adapter_config.json", "a\n/adapter_config.json"], []),
        ([f"{i}/adapter_config.json" for i in range(9)], [f"{i}/adapter_config.json" for i in range(5)]),
    ],
)  # fmt: skip
def test_lineage_file_paths(siblings: list[str], expected: list[str]) -> None:
    assert lineage_file_paths(siblings) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b'{"a": 1}', {"a": 1}), (b"[1]", None), (b"null", None), (b"\xff", None), (b"{", None), (b"[" * 50_000, None)],
)
def test_parse_json_object(body: bytes, expected: dict[str, Any] | None) -> None:
    assert parse_json_object(body) == expected


# ----------------------------------------------------------------------------------------- hostile metadata
@pytest.mark.parametrize(
    "fields",
    [
        {"siblings": {"no_rfilename": 1}},  # ModelInfo iterates it and indexes a str: TypeError
        {"siblings": "oops"},
        {"lastModified": "yesterday"},  # parse_datetime: ValueError
        {"cardData": {"ignore_metadata_errors": False}},  # ModelCardData(**card, ignore_metadata_errors=True)
    ],
)
def test_malformed_metadata_is_an_error_not_a_crash(hub: FakeHub, fields: dict[str, Any]) -> None:
    hub.add_repo(make_record("evil/malformed", **fields))
    snap = client_for(hub).fetch("evil/malformed")
    assert (snap.status, snap.http_status) == (NodeStatus.ERROR, 200)
    assert snap.status_reason == "malformed metadata"
    # Asked once more without safetensors (a bad safetensors object must not cost the lineage), then given up.
    assert hub.metadata_requests("evil/malformed") == 2
    asked = [req.query.get("expand") for req in hub.requests if req.path == "/api/models/evil/malformed"]
    assert asked == [list(EXPAND), [key for key in EXPAND if key != "safetensors"]]


@pytest.mark.parametrize("safetensors", [{"parameters": {"F16": 1}}, ["a", "list"], "text", {"total": 5}])
def test_a_safetensors_object_modelinfo_refuses_costs_the_count_not_the_lineage(hub: FakeHub, safetensors) -> None:
    hub.add_repo(make_record("evil/safetensors", parents="Qwen/Qwen2.5-7B", safetensors=safetensors))
    snap = client_for(hub).fetch("evil/safetensors")
    assert snap.status == NodeStatus.RESOLVED and snap.card_data["base_model"] == "Qwen/Qwen2.5-7B"
    assert snap.parameters is None
    assert hub.metadata_requests("evil/safetensors") == 2


@pytest.mark.parametrize(("total", "expected"), [(7_615_616_512, 7_615_616_512), (0, None), (True, None)])
def test_the_parameter_count_rides_on_the_one_metadata_request(hub: FakeHub, total, expected) -> None:
    hub.add_repo(make_record("acme/counted", safetensors={"parameters": {"BF16": total}, "total": total}))
    snap = client_for(hub).fetch("acme/counted")
    assert snap.status == NodeStatus.RESOLVED and snap.parameters == expected
    assert hub.metadata_requests("acme/counted") == 1


def test_hostile_shapes_are_coerced_or_dropped(hub: FakeHub) -> None:
    hub.add_repo(
        make_record(
            "evil/shapes",
            tags=["ok", 5, None, {"a": 1}, ["nested"]],
            config=["not", "a", "dict"],
            gguf="not a dict",
            gated="weird",
            author=42,
            library_name=["peft"],
            pipeline_tag=7,
        )
    )
    hub.add_repo({"id": "evil/card-list", "cardData": ["a", "list"]})

    snap = client_for(hub).fetch("evil/shapes")
    card_list = client_for(hub).fetch("evil/card-list")

    assert snap.status == NodeStatus.RESOLVED
    assert (snap.tags, snap.config, snap.gguf, snap.gated, snap.author) == (("ok",), {}, {}, "manual", "")
    assert (snap.library_name, snap.pipeline_tag) == ("", "")
    assert card_list.status == NodeStatus.RESOLVED
    assert card_list.card_data == {}


def test_recorded_malformed_card_resolves_with_raw_values(shared_hub: FakeHub) -> None:
    snap = client_for(shared_hub).fetch("synthetic-hostile/malformed-card")
    assert snap.status == NodeStatus.RESOLVED
    assert snap.card_data["base_model"] == {"id": "Qwen/Qwen2.5-7B"}  # kept raw: the lineage module decides
    assert snap.card_data["license"] == ["mit", 42]


def test_hostile_strings_are_kept_as_data(hub: FakeHub, shared_hub: FakeHub) -> None:
    html = client_for(shared_hub).fetch("synthetic-hostile/html-card")
    assert html.status == NodeStatus.RESOLVED
    assert html.card_data["license"] == "<script>alert('license')</script>"
    assert len(html.card_data["description"]) >= 1_000_000

    hub.add_repo(make_record("evil/strings", cardData={"license": list(HOSTILE_STRINGS)}, tags=list(HOSTILE_STRINGS)))
    snap = client_for(hub).fetch("evil/strings")
    assert snap.status == NodeStatus.RESOLVED
    assert snap.tags == HOSTILE_STRINGS
    assert snap.card_data["license"] == list(HOSTILE_STRINGS)


@pytest.mark.parametrize(
    ("value", "expected"), [("auto", "auto"), ("manual", "manual"), (False, ""), (None, ""), (True, "manual")]
)
def test_gated_mode(value: Any, expected: str) -> None:
    assert gated_mode(value) == expected


# ------------------------------------------------------------------------------------ threads and pacing
def test_fifty_concurrent_fetches_all_succeed(shared_hub: FakeHub) -> None:
    repo_ids = [rid for rid in shared_hub.repo_ids() if not (shared_hub.record(rid) or {}).get("disabled")][:50]
    assert len(repo_ids) == 50
    client = client_for(shared_hub)
    before = {rid: shared_hub.metadata_requests(rid) for rid in repo_ids}

    with ThreadPoolExecutor(max_workers=50) as pool:
        snaps = list(pool.map(client.fetch, repo_ids))

    assert [snap.status for snap in snaps] == [NodeStatus.RESOLVED] * 50
    assert [snap.repo_id for snap in snaps] == repo_ids
    assert all(shared_hub.metadata_requests(rid) - before[rid] == 1 for rid in repo_ids)


def test_rate_limit_spaces_requests(hub: FakeHub, clock: FakeClock) -> None:
    client = client_for(hub, clock, requests_per_second=2)
    for _ in range(3):
        assert client.fetch(BASE).status == NodeStatus.RESOLVED
    assert clock.waits == [0.5, 0.5]  # the first request goes at once, then one every 1/rate seconds


def test_rate_limit_counts_file_downloads_and_retries(hub: FakeHub, clock: FakeClock) -> None:
    hub.add_repo(make_adapter("acme/lora", "Qwen/Qwen2.5-7B"))
    hub.fail("acme/lora", 503, times=1, headers={"Retry-After": "0"})
    client_for(hub, clock, requests_per_second=1).fetch("acme/lora")
    # 503 -> Retry-After 0 -> paced retry (1 s after the first) -> file download (1 s after that)
    assert clock.waits == [0.0, 1.0, 1.0]


def test_token_bucket_spaces_concurrent_callers() -> None:
    frozen = FakeClock()
    slept: list[float] = []
    bucket = TokenBucket(4, clock=frozen, sleep=slept.append)  # clock never moves: each caller queues behind
    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = sorted(pool.map(lambda _: bucket.acquire(), range(8)))
    assert waits == [i / 4 for i in range(8)]
    assert sorted(slept) == waits[1:]


def test_token_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, burst=2, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 1.0]
    clock.now += 10  # idle: the bucket fills up to the burst, no further
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 1.0]


# ------------------------------------------------------------------------------------------ pure helpers
@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"RateLimit": '"api";r=0;t=2', "Retry-After": "9"}, 3.0),
        (429, {"RateLimit": '"api";r=5;t=2', "Retry-After": "9"}, 9.0),  # r>0: not the reason for the 429
        (503, {"RateLimit": '"api";r=0;t=2'}, None),  # RateLimit headers only explain a 429
        (503, {"Retry-After": "4"}, 4.0),
        (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        (503, {"Retry-After": "-1"}, None),
        (500, {}, None),
    ],
)
def test_server_wait(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert server_wait(status, httpx2.Headers(headers)) == expected


def test_backoff_wait_bounds() -> None:
    low, high = Backoff(base=1, cap=5, rand=lambda: 0.0), Backoff(base=1, cap=5, rand=lambda: 1.0)
    assert [low.wait(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert [high.wait(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert high.wait(10_000) == 5.0
    assert low.wait(1, requested=7.0) == 5.0 and low.wait(1, requested=-3) == 0.0


# ---------------------------------------------------------------------------------------------- settings
def test_defaults_come_from_django_settings(settings: Any, hub: FakeHub) -> None:
    settings.HF_ENDPOINT = hub.url + "/"
    settings.HF_TOKEN = TOKEN
    settings.HUB_TIMEOUT = 3.5
    hub.add_repo(make_adapter("acme/gated-lora", "Qwen/Qwen2.5-7B"))
    hub.set_gated("acme/gated-lora", "manual")
    hub.require_token(TOKEN)

    client = HubClient()

    assert (client.endpoint, client.timeout, client.max_retries) == (hub.url, 3.5, 5)
    assert client.fetch("acme/gated-lora").files["adapter_config.json"] is not None


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"timeout": -1}, {"max_retries": -1}, {"backoff_cap": -1}, {"requests_per_second": 0}],
)
def test_invalid_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|cannot"):
        HubClient(**{"endpoint": "http://127.0.0.1:9", "token": "", "timeout": 1.0, **options})
