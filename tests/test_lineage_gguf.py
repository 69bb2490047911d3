"""GGUF headers as lineage evidence: read with bounded range requests through the real hub client from the fake
hub's real (tiny) GGUF files, parsed by llama.cpp's reader, compared with the card."""

from __future__ import annotations

import json
from io import StringIO

import httpx2
import pytest
from django.core.management import call_command

from tests.fakehub import FakeHub, make_gguf, make_record
from tests.fakehub.gguf_files import gguf_bytes
from vendors.hub import HubClient
from vendors.hub.gguf import HeaderInvalid, HeaderTruncated, lineage_metadata
from vendors.lineage import EvidenceSource, NodeStatus, SourceProblem, discover_parents, license_of, node_outcome

UNK, QZ, FT = "unknown", "quantized", "finetune"
CARD, GGUF = EvidenceSource.CARD, EvidenceSource.GGUF


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as running:
        yield running


def _client(hub: FakeHub, **options) -> HubClient:
    options = {"timeout": 5.0, "request_deadline": 10.0, "node_budget": 30.0, "backoff_base": 0.0, **options}
    return HubClient(endpoint=hub.url, token="", max_retries=1, sleep=lambda _: None, **options)


def _header_reads(hub: FakeHub) -> list[str]:
    return [req.path for req in hub.requests if req.path.startswith("/_storage/")]


def _with(hub: FakeHub, record: dict) -> str:
    return hub.add_repo(record)


# --- the cases of the issue, table-driven ----------------------------------------------------------------------
CASES = [
    # (name, record or recorded id, client options, expected parents, node status, evidence fragments)
    (
        "header names the parent the card leaves out",
        "bartowski/internlm2_5-20b-chat-GGUF",
        {},
        [("internlm/internlm2_5-20b-chat", UNK, GGUF)],
        NodeStatus.RESOLVED,
        ["organization Internlm", "basename internlm2_5", "base model internlm/internlm2_5-20b-chat"],
    ),
    (
        "card and header agree",
        make_gguf("gg/agree-GGUF", "gg/agree", license="apache-2.0"),
        {},
        [("gg/agree", QZ, CARD)],
        NodeStatus.RESOLVED,
        ["base model gg/agree"],
    ),
    (
        "card and header disagree: the card wins, the disagreement is recorded",
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        {},
        [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", QZ, CARD)],
        NodeStatus.RESOLVED,
        ["disagreement: the GGUF header of DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf names Qwen/Qwen2.5-Math-7B"],
    ),
    (
        "licences disagree: the card's is kept",
        {
            **make_gguf("gg/licence-GGUF", "gg/base", license="apache-2.0"),
            "gguf_metadata": {"general.license": "mit", "general.base_model.0.repo_url": "https://hf.co/gg/base"},
        },
        {},
        [("gg/base", QZ, CARD)],
        NodeStatus.RESOLVED,
        ["gives licence mit; the card's apache-2.0 is kept"],
    ),
    (
        "a header larger than the first read is read again, larger",
        {**make_gguf("gg/long-GGUF", "gg/base"), "gguf_padding": 20_000},
        {"gguf_first_read_bytes": 1024, "max_gguf_header_bytes": 64 * 1024},
        [("gg/base", QZ, CARD)],
        NodeStatus.RESOLVED,
        [],
    ),
    (
        "a header larger than the cap: the node is not a root, and says why",
        {**make_gguf("gg/huge-GGUF", "gg/base"), "gguf_padding": 200_000},
        {"gguf_first_read_bytes": 1024, "max_gguf_header_bytes": 64 * 1024},
        [("gg/base", QZ, CARD)],
        NodeStatus.ERROR,
        [],
    ),
    (
        "no GGUF file: nothing read",
        make_record("gg/plain", parents="gg/base"),
        {},
        [("gg/base", FT, CARD)],
        "resolved",
        [],
    ),
]


@pytest.mark.parametrize(("name", "repo", "options", "parents", "status", "evidence"), CASES, ids=[c[0] for c in CASES])
def test_gguf_header_cases(hub, name, repo, options, parents, status, evidence):
    repo_id = repo if isinstance(repo, str) else _with(hub, repo)
    hub.reset_log()
    snapshot = _client(hub, **options).fetch(repo_id)
    found = discover_parents(snapshot)

    assert [(p.repo_id, p.relation, p.source) for p in found.parents] == parents
    assert node_outcome(snapshot, found.gaps)[0] == status
    for fragment in evidence:
        assert any(fragment in note for note in found.evidence), (fragment, found.evidence)
    if "disagree" not in name:
        assert not any(note.startswith("disagreement") for note in found.evidence)
    if name.startswith("no GGUF"):
        assert _header_reads(hub) == [] and snapshot.gguf_header == {}


def test_the_first_read_is_a_bounded_range_and_grows_up_to_the_cap(hub):
    repo_id = _with(hub, {**make_gguf("gg/cap-GGUF", "gg/base"), "gguf_padding": 200_000})
    hub.reset_log()
    snapshot = _client(hub, gguf_first_read_bytes=1024, max_gguf_header_bytes=64 * 1024).fetch(repo_id)

    # 1 KiB, then as much as the reader said it needs (more than the cap, so the cap), then no more
    assert len(_header_reads(hub)) == 2
    (failure,) = snapshot.source_failures
    assert (failure.source, failure.kind, failure.path) == (GGUF, SourceProblem.ERROR, "cap-Q4_K_M.gguf")
    assert failure.reason == "the GGUF header is larger than the 65,536 bytes read (the cap)"
    gap_text = discover_parents(snapshot).gaps[0].text()
    assert gap_text.startswith("cap-Q4_K_M.gguf could not be read (the GGUF header is larger than")


def test_a_gated_gguf_file_makes_the_node_gated(hub):
    repo_id = _with(hub, make_gguf("gg/gated-GGUF", "gg/base"))
    hub.set_gated(repo_id, "manual")
    snapshot = _client(hub).fetch(repo_id)
    (failure,) = snapshot.source_failures
    assert (failure.source, failure.kind) == (GGUF, SourceProblem.GATED)
    assert node_outcome(snapshot, discover_parents(snapshot).gaps)[0] == NodeStatus.GATED


@pytest.mark.parametrize(
    ("status", "kind"), [(404, SourceProblem.MISSING), (403, SourceProblem.FORBIDDEN), (500, SourceProblem.ERROR)]
)
def test_a_gguf_file_that_fails_makes_the_node_incomplete(hub, status, kind):
    repo_id = _with(hub, make_gguf(f"gg/fails-{status}-GGUF", "gg/base"))
    rule = hub.fail(f"/_storage/{repo_id}/", status, times=None)
    try:
        snapshot = _client(hub).fetch(repo_id)
    finally:
        hub.clear_failures()
    assert rule.hits >= 1
    (failure,) = snapshot.source_failures
    assert (failure.source, failure.kind) == (GGUF, kind)
    assert node_outcome(snapshot, discover_parents(snapshot).gaps)[0] == NodeStatus.ERROR


def test_the_header_licence_is_used_only_when_the_card_has_none(hub):
    snapshot = _client(hub).fetch("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    assert license_of(snapshot) == "mit"  # the card names none; the header does
    agreeing = _client(hub).fetch(_with(hub, make_gguf("gg/lic-GGUF", "gg/base", license="apache-2.0")))
    assert license_of(agreeing) == "apache-2.0"


# --- the fake hub's storage answers ranges as the hub's storage does ---------------------------------------------
def test_storage_honours_range_requests(hub):
    repo_id = _with(hub, make_gguf("gg/range-GGUF", "gg/base"))
    url = f"{hub.url}/{repo_id}/resolve/main/range-Q4_K_M.gguf"
    with httpx2.Client(follow_redirects=True) as http:
        whole = http.get(url)
        first = http.get(url, headers={"Range": "bytes=0-15"})
        past = http.get(url, headers={"Range": f"bytes={len(whole.content)}-"})
    assert whole.status_code == 200 and whole.content[:4] == b"GGUF"
    assert first.status_code == 206 and first.content == whole.content[:16]
    assert first.headers["Content-Range"] == f"bytes 0-15/{len(whole.content)}"
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(whole.content)}"


# --- the reader on prefixes: a clear outcome for every cut, never a crash ----------------------------------------
def test_every_prefix_of_a_header_is_either_read_or_reported_truncated():
    data = gguf_bytes({"general.base_model.0.repo_url": "https://huggingface.co/a/b", "general.license": "mit"})
    full = lineage_metadata(data)
    assert full["general.base_model.0.repo_url"] == "https://huggingface.co/a/b"
    for cut in range(0, len(data), 7):
        try:
            assert lineage_metadata(data[:cut]) == full
        except HeaderTruncated as exc:
            assert exc.needed > cut and str(exc) == f"the GGUF header is larger than the {cut:,} bytes read"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GGML" + bytes(20),
        b"GGUF" + (99).to_bytes(4, "little") + bytes(16),
        b"GGUF\x03\x00\x00\x00" + b"\xff" * 40,
    ],
)
def test_what_is_not_a_gguf_header_is_invalid_or_truncated_never_a_crash(data):
    with pytest.raises((HeaderInvalid, HeaderTruncated)):
        lineage_metadata(data)


# --- the contract: `lineage --json` keeps its keys, and shows the header's evidence --------------------------------
@pytest.mark.django_db
def test_lineage_json_keeps_its_keys_and_shows_gguf_edges_and_disagreements(fake_hub, knowledge):
    out = StringIO()
    call_command("lineage", "bartowski/internlm2_5-20b-chat-GGUF", "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
                 "--json", stdout=out)  # fmt: skip
    internlm, deepseek = json.loads(out.getvalue())

    for report in (internlm, deepseek):
        assert {"subject", "status", "nodes", "edges", "roots", "countries"} <= set(report)
        for node in report["nodes"]:
            assert {"id", "status", "publisher", "country", "license", "sha", "redirected_from"} <= set(node)
        assert all(set(edge) == {"child", "parent", "relation", "source"} for edge in report["edges"])
    assert internlm["edges"][0] == {
        "child": "bartowski/internlm2_5-20b-chat-GGUF", "parent": "internlm/internlm2_5-20b-chat",
        "relation": "unknown", "source": "gguf",
    }  # fmt: skip
    assert internlm["countries"] == ["CN"] and internlm["status"] == "complete"
    top = deepseek["nodes"][0]
    assert deepseek["edges"][0]["source"] == "card" and top["license"] == "mit"
    assert any(note.startswith("disagreement: the GGUF header") for note in top["notes"])


@pytest.mark.django_db
def test_the_model_page_shows_the_header_disagreement(fake_hub, knowledge, client, viewer):
    from vendors.models import AIModel

    call_command("lineage", "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "--json", stdout=StringIO())
    model = AIModel.objects.get(name="bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    client.force_login(viewer)
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert "disagreement: the GGUF header of DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf names Qwen/Qwen2.5-Math-7B" in page


def test_the_prefix_reader_agrees_with_llama_cpps_reader_on_a_whole_file(tmp_path):
    """Keys it steps over (string, number and nested arrays, scalars) are measured exactly as the reader decodes
    them: every lineage key after them comes out the same as ``GGUFReader`` reads it from the file."""
    import numpy as np
    from gguf import GGUFReader, GGUFWriter

    path = tmp_path / "model.gguf"
    writer = GGUFWriter(path, "qwen2")
    writer.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(3000)])
    writer.add_array("tokenizer.ggml.scores", [float(i) for i in range(3000)])
    writer.add_array("nested.arrays", [[1, 2], [3]])
    writer.add_uint64("some.count", 7)
    writer.add_organization("Qwen")
    writer.add_basename("Qwen2.5")
    writer.add_license("apache-2.0")
    writer.add_base_model_count(1)
    writer.add_base_model_repo_url(0, "https://huggingface.co/Qwen/Qwen2.5-7B")
    writer.add_tensor("t", np.zeros(4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    data = path.read_bytes()

    reader = GGUFReader(path)
    expected = {key: reader.fields[key].contents() for key in reader.fields if key.startswith("general.")}
    assert lineage_metadata(data) == expected
    with pytest.raises(HeaderTruncated):  # cut inside the vocabulary it steps over
        lineage_metadata(data[:20_000])


def test_gguf_files_only_at_unsafe_paths_are_not_read_and_the_node_says_so(hub):
    record = make_gguf("gg/unsafe-GGUF", "gg/base")
    record["siblings"] = [{"rfilename": "../evil.gguf", "size": 10}, {"rfilename": "mmproj-f16.gguf", "size": 10}]
    snapshot = _client(hub).fetch(_with(hub, record))
    (failure,) = snapshot.source_failures
    assert (failure.source, failure.kind) == (GGUF, SourceProblem.NOT_READ)
    assert "gg/base" in [p.repo_id for p in discover_parents(snapshot).parents]  # the card still speaks


def test_a_server_that_ignores_the_range_is_read_no_further_than_asked():
    """A mirror answering 200 with the whole file: the prefix stops at the size asked for, and says it is not
    the whole file, so the header is read again larger rather than taken as ending there."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from vendors.hub import transport
    from vendors.hub.downloads import download_prefix

    body = gguf_bytes({"general.license": "mit"}, padding=50_000)

    class WholeFile(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), WholeFile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    transport.install()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/m.gguf"
        prefix, whole = download_prefix(url, 4096, token=False, timeout=5.0)
        assert len(prefix) == 4096 and whole is False and prefix == body[:4096]
        everything, whole = download_prefix(url, len(body) + 10, token=False, timeout=5.0)
        assert everything == body and whole is True
    finally:
        server.shutdown()
        server.server_close()
