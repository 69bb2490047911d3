"""Resolving and storing lineage against the fake hub with the real client: the walk, renames, idempotence,
change events, failures and hostile metadata."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests import factories
from tests.fakehub import make_chain, make_record
from tests.services import tasks_enqueued
from vendors.models import AIModel, AIModelAlias, ChangeEvent, LineageEdge, LineageRefresh, LineageRefreshClaim
from vendors.services import lineage
from vendors.services.lineage_chunks import repos_claim
from vendors.services.lineage_store import GraphStore

pytestmark = pytest.mark.django_db


def _refresh(*names: str) -> LineageRefresh:
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=list(names))
    return lineage.lineage_refresh_run(refresh_id=refresh.pk)


def _parents(name: str) -> dict[str, tuple[str, str]]:
    model = AIModel.objects.get(name=name)
    return {e.parent.name: (e.relation, e.source) for e in model.parent_edges.select_related("parent")}


def _graph_state():
    return (
        sorted(AIModel.objects.values_list("name", "status", "sha", "license")),
        sorted(LineageEdge.objects.values_list("child__name", "parent__name", "relation", "source")),
        sorted(AIModelAlias.objects.values_list("name", "model__name")),
    )


def test_a_quantized_fine_tune_of_a_distill_resolves_to_its_root(fake_hub, knowledge):
    refresh = _refresh("northwind-ai/contract-copilot-7b-GGUF")

    assert refresh.status == "done"
    assert _parents("northwind-ai/contract-copilot-7b-GGUF") == {
        "northwind-ai/contract-copilot-7b": ("quantized", "card")
    }
    assert set(_parents("northwind-ai/contract-copilot-7b")) == {"deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"}
    assert set(_parents("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")) == {"Qwen/Qwen2.5-Math-7B"}
    assert set(_parents("Qwen/Qwen2.5-Math-7B")) == {"Qwen/Qwen2.5-7B"}
    assert _parents("Qwen/Qwen2.5-7B") == {}
    root = AIModel.objects.get(name="Qwen/Qwen2.5-7B")
    assert root.status == "resolved" and len(root.sha) == 40 and root.publisher.country.code == "CN"
    for name in AIModel.objects.filter(kind="hub").values_list("name", flat=True):
        assert fake_hub.metadata_requests(name) == 1, name


def test_every_shared_ancestor_is_fetched_once_per_refresh(fake_hub):
    seeds = [
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", "yasserrmd/DeepSeek-7B-1M", "lexify/legal-merge-7b",
        "bespokelabs/Bespoke-Stratos-7B", "open-thoughts/OpenThinker-7B", "unsloth/Qwen2.5-7B-Instruct-bnb-4bit",
    ]  # fmt: skip
    _refresh(*seeds)
    names = list(AIModel.objects.filter(kind="hub").values_list("name", flat=True))
    assert "Qwen/Qwen2.5-7B" in names
    assert fake_hub.count("/api/models/", method="GET") == len(names)
    assert all(fake_hub.metadata_requests(name) == 1 for name in names)


def test_running_twice_changes_nothing(fake_hub):
    _refresh("lexify/legal-merge-7b", "lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")
    first = _graph_state()
    events = ChangeEvent.objects.count()

    refresh = _refresh("lexify/legal-merge-7b", "lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")

    assert _graph_state() == first
    assert ChangeEvent.objects.count() == events and refresh.changes == 0


def test_a_renamed_parent_becomes_one_node_with_its_old_id_as_alias(fake_hub):
    _refresh("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")

    assert set(_parents("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")) == {"meta-llama/Llama-3.1-8B-Instruct"}
    node = AIModel.objects.get(name="meta-llama/Llama-3.1-8B-Instruct")
    assert AIModelAlias.objects.get(name="meta-llama/Meta-Llama-3.1-8B-Instruct").model == node
    assert not AIModel.objects.filter(name="meta-llama/Meta-Llama-3.1-8B-Instruct").exists()


def test_the_graph_is_read_when_the_first_node_is_stored_not_before_the_walk(fake_hub, django_assert_num_queries):
    _refresh("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")  # its parent was renamed: one former id known
    other = factories.AIModelFactory(name="acme/other")
    AIModelAlias.objects.create(model=other, name="acme/older-name")
    AIModelAlias.objects.create(model=other, name="META-LLAMA/llama-3.1-8b-instruct")  # another's current name

    with django_assert_num_queries(0):
        store = GraphStore()
    with django_assert_num_queries(2):
        aliases = store.aliases()  # what the walk asks for before its first request

    assert aliases == {
        "meta-llama/meta-llama-3.1-8b-instruct": "meta-llama/Llama-3.1-8B-Instruct",
        "acme/older-name": "acme/other",
    }
    # What the graph, once read, says of the same names: a former name never shadows a current one.
    graph = {name: store.models[pk].name for name, pk in store.by_name.items() if name != store.models[pk].name.lower()}
    assert aliases == graph
    assert store.find("acme/older-name") == other
    assert store.find("meta-llama/LLAMA-3.1-8B-Instruct").name == "meta-llama/Llama-3.1-8B-Instruct"


def test_a_usage_registered_under_an_old_id_ends_on_the_renamed_node(fake_hub):
    old = factories.ModelUsageFactory(model__name="THUDM/glm-4-9b-chat")
    new = factories.ModelUsageFactory(model__name="zai-org/glm-4-9b-chat")

    _refresh("THUDM/glm-4-9b-chat", "zai-org/glm-4-9b-chat")

    node = AIModel.objects.get(name="zai-org/glm-4-9b-chat")
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.model == node == new.model
    assert AIModel.objects.filter(name__iexact="THUDM/glm-4-9b-chat").count() == 0
    assert node.aliases.filter(name="THUDM/glm-4-9b-chat").exists()


def test_adapters_are_found_through_adapter_config_in_subfolders_and_cache_paths(fake_hub):
    _refresh("programasweights/paw-programs", "michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3",
             "brightdesk/support-agent-8b-lora")  # fmt: skip
    assert _parents("programasweights/paw-programs") == {"Qwen/Qwen3-0.6B": ("adapter", "adapter_config")}
    assert _parents("michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3") == {
        "meta-llama/Llama-2-7b-chat-hf": ("adapter", "adapter_config")
    }
    assert set(_parents("brightdesk/support-agent-8b-lora")) == {"brightdesk/support-agent-8b"}


def test_merges_keep_every_parent(fake_hub):
    _refresh("Azazelle/Mocha-Dare-7b-ex")
    parents = _parents("Azazelle/Mocha-Dare-7b-ex")
    assert len(parents) == 4 and {relation for relation, _ in parents.values()} == {"merge"}


def test_failures_are_recorded_on_their_node_and_the_rest_resolves(fake_hub):
    fake_hub.fail("Qwen/Qwen2.5-14B-Instruct", 429, times=2, headers={"RateLimit": '"api";r=0;t=0'})
    _refresh("acme-labs/orphan-ft", "acme-labs/takedown-7b", "helio-health/clinical-notes-qwen-14b")

    missing = AIModel.objects.get(name="acme-labs/deleted-base")
    assert missing.status == "not_found" and missing.status_reason
    assert AIModel.objects.get(name="acme-labs/takedown-7b").status == "disabled"
    assert AIModel.objects.get(name="Qwen/Qwen2.5-14B-Instruct").status == "resolved"  # after two 429s


def test_a_cycle_terminates_and_is_stored_once(fake_hub):
    _refresh("synthetic-loop/a")
    assert set(_parents("synthetic-loop/a")) == {"synthetic-loop/b"}
    assert set(_parents("synthetic-loop/b")) == {"synthetic-loop/a"}
    assert fake_hub.metadata_requests("synthetic-loop/a") == 1


def test_a_very_deep_chain_stops_at_the_depth_limit(fake_hub, settings):
    settings.LINEAGE_MAX_DEPTH = 5
    for record in make_chain("deep/m", depth=12):
        fake_hub.add_repo(record)
    leaf = "deep/m-11"  # deep/m-0 is the root

    _refresh(leaf)

    assert AIModel.objects.filter(kind="hub", status="resolved").count() == 6
    assert AIModel.objects.filter(status="depth_limit").count() == 1
    assert AIModel.objects.filter(kind="hub").count() == 7


def test_hostile_metadata_is_stored_bounded(fake_hub):
    _refresh("synthetic-hostile/html-card", "synthetic-hostile/malformed-card")
    for model in AIModel.objects.all():
        assert len(model.license) <= 100 and len(model.status_reason) <= 500
        assert all(len(d) <= 200 for d in model.datasets)


def test_changes_on_the_hub_are_recorded_as_events(fake_hub):
    record = make_record("acme/child", parents="acme/base-a", license="apache-2.0")
    fake_hub.add_repo(make_record("acme/base-a", license="apache-2.0"))
    fake_hub.add_repo(make_record("acme/base-b", license="mit"))
    fake_hub.add_repo(record)
    _refresh("acme/child")
    assert not ChangeEvent.objects.exists()  # the first resolution is not a change

    fake_hub.add_repo({**make_record("acme/child", parents="acme/base-b", license="cc-by-nc-4.0"), "sha": "b" * 40})
    fake_hub.set_gated("acme/base-a", "manual", refuse_metadata=True)
    _refresh("acme/child", "acme/base-a")

    kinds = set(ChangeEvent.objects.values_list("kind", flat=True))
    assert {"parent_added", "parent_removed", "license_changed", "new_sha", "gated"} <= kinds


def test_declared_parents_survive_a_refresh(fake_hub):
    child = factories.AIModelFactory(name="Qwen/Qwen2.5-7B")
    declared = factories.AIModelFactory(kind="declared", name="internal-base")
    LineageEdge.objects.create(child=child, parent=declared, relation="unknown", source="analyst",
                               observed_at="2026-01-01T00:00:00Z")  # fmt: skip
    _refresh("Qwen/Qwen2.5-7B")
    assert _parents("Qwen/Qwen2.5-7B") == {"internal-base": ("unknown", "analyst")}


def test_refresh_lineage_command_covers_the_portfolio(fake_hub):
    call_command("load_demo", verbosity=0)
    call_command("refresh_lineage", "--all", verbosity=0)
    assert not AIModel.objects.filter(kind="hub", status="pending").exists()
    assert AIModel.objects.get(name="Qwen/Qwen2.5-7B").status == "resolved"


def test_a_large_refresh_is_split_into_chunks_that_share_the_walk(
    fake_hub, settings, django_capture_on_commit_callbacks
):
    settings.LINEAGE_CHUNK_SIZE = 3
    settings.LINEAGE_REFERENCE_MODELS = []  # the portfolio's own models only (the inference's bases: elsewhere)
    seeds = [
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", "yasserrmd/DeepSeek-7B-1M", "lexify/legal-merge-7b",
        "bespokelabs/Bespoke-Stratos-7B", "open-thoughts/OpenThinker-7B", "unsloth/Qwen2.5-7B-Instruct-bnb-4bit",
    ]  # fmt: skip
    for name in seeds:
        factories.ModelUsageFactory(model__name=name)

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        # No Redis: the chunks run in-process (here in turn: threads would not see the test's transaction).
        lineage.lineage_refresh_run(refresh_id=refresh.pk)
    tasks = tasks_enqueued(enqueued)
    assert refresh.chunks.count() == 3 and not refresh.chunks.filter(done_at=None).exists()
    # The last chunk to finish has the portfolio rescored, and the products' MBOM versions recorded.
    assert tasks[-2:] == ["assessments.tasks.ratings_refresh", "vendors.tasks.bom_versions_refresh"]

    refresh.refresh_from_db()
    assert refresh.status == "done" and refresh.chunks.count() == 3
    names = list(AIModel.objects.filter(kind="hub").values_list("name", flat=True))
    assert all(fake_hub.metadata_requests(name) == 1 for name in names)
    assert refresh.nodes_done == len(names) == refresh.claims.count()
    assert not AIModel.objects.filter(status="pending").exists()


@pytest.mark.django_db(transaction=True)  # the chunks start when the coordinator has committed
def test_the_embedded_mode_walks_the_chunks_side_by_side_each_repo_once(fake_hub, settings):
    settings.LINEAGE_CHUNK_SIZE = 3
    settings.LINEAGE_REFERENCE_MODELS = []
    settings.LINEAGE_CONCURRENCY = 4
    seeds = [
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", "yasserrmd/DeepSeek-7B-1M", "lexify/legal-merge-7b",
        "bespokelabs/Bespoke-Stratos-7B", "open-thoughts/OpenThinker-7B",
    ]  # fmt: skip
    for name in seeds:
        factories.ModelUsageFactory(model__name=name)
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)

    lineage.lineage_refresh_run(refresh_id=refresh.pk)  # eager, outside a transaction: threads, then done

    refresh.refresh_from_db()
    assert refresh.status == "done" and refresh.finished_at is not None
    if connection.vendor != "sqlite":  # SQLite takes one writer at a time: there the chunks run one after another
        assert list(refresh.chunks.values_list("worker", flat=True)) == ["embedded"] * 3
    assert not refresh.chunks.filter(done_at=None).exists() and not refresh.chunks.exclude(error="").exists()
    names = list(AIModel.objects.filter(kind="hub").values_list("name", flat=True))
    assert all(fake_hub.metadata_requests(name) == 1 for name in names)  # shared ancestors: once, by one chunk
    assert refresh.nodes_done == len(names) == refresh.claims.count()
    assert not AIModel.objects.filter(status="pending").exists()


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a worker stores: each node its own commit
def test_a_refresh_commits_its_nodes_without_waiting_for_the_disk_and_nothing_else(fake_hub, postgres):
    from django.db import transaction

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    before = _synchronous_commit()
    with connection.execute_wrapper(record):
        refresh = _refresh("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    assert refresh.status == "done" and refresh.nodes_done > 1
    assert statements.count("SET synchronous_commit TO OFF") == 1  # once for the walk, not once per node
    assert statements.index("SET synchronous_commit TO OFF") < statements.index("RESET synchronous_commit")
    assert _synchronous_commit() == before  # the session, and so the refresh's final commit, as they were
    final = max(i for i, sql in enumerate(statements) if sql.startswith('UPDATE "vendors_lineagerefresh"'))
    assert final > statements.index("RESET synchronous_commit")  # the final save waits for the flush
    statements.clear()
    with transaction.atomic(), connection.execute_wrapper(record):  # the caller's commit is the one that counts
        _refresh("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    assert not any("synchronous_commit" in sql for sql in statements)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_walks_commits_skip_the_flush_until_it_ends_even_when_it_fails(postgres):
    from vendors.services.lineage_store import GraphStore

    before = _synchronous_commit()
    with GraphStore(unflushed=True).commits_unflushed():
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == before
    with pytest.raises(RuntimeError), GraphStore(unflushed=True).commits_unflushed():
        raise RuntimeError("the walk failed")
    assert _synchronous_commit() == before
    with GraphStore(unflushed=False).commits_unflushed():
        assert _synchronous_commit() == before


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_cannot_reset_the_setting_is_closed(postgres):
    from django.db import OperationalError

    from vendors.services.lineage_store import GraphStore

    def broken(execute, sql, params, many, context):
        if sql.startswith("RESET"):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken), GraphStore(unflushed=True).commits_unflushed():
        assert _synchronous_commit() == "off"
    assert connection.connection is None  # closed: the next query opens a new session, with the default
    assert _synchronous_commit() == "on"


@pytest.mark.parametrize("vendor", ["this database's", "any other"])
def test_a_repo_is_claimed_by_the_first_chunk_and_a_chunk_recognises_its_own_claims(monkeypatch, vendor):
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    first, second = (refresh.chunks.create(index=i, seeds=[]) for i in range(2))
    other = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO).chunks.create(index=0, seeds=[])
    if vendor == "any other":
        monkeypatch.setattr(connection, "vendor", "other")  # the two-statement path

    assert repos_claim(first, {"a/x", "a/y"}) == {"a/x", "a/y"}
    assert repos_claim(second, {"a/y", "a/z"}) == {"a/z"}  # a/y is the first chunk's
    assert repos_claim(first, {"a/x", "a/y", "a/z", "a/w"}) == {"a/x", "a/y", "a/w"}  # its own again, and a new one
    assert repos_claim(other, {"a/x"}) == {"a/x"}  # claims are per refresh
    assert repos_claim(second, set()) == set()
    claims = {(c.refresh_id, c.name): c.chunk_id for c in LineageRefreshClaim.objects.all()}
    assert claims == {
        (refresh.pk, "a/x"): first.pk, (refresh.pk, "a/y"): first.pk, (refresh.pk, "a/w"): first.pk,
        (refresh.pk, "a/z"): second.pk, (other.refresh_id, "a/x"): other.pk,
    }  # fmt: skip


def test_a_claim_is_one_statement_on_postgresql(postgres, django_assert_num_queries):
    chunk = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO).chunks.create(index=0, seeds=[])
    with django_assert_num_queries(1):
        assert repos_claim(chunk, {f"org/m{i}" for i in range(500)}) == {f"org/m{i}" for i in range(500)}


def _stored_apart(nodes, *, batch: bool) -> tuple:
    """The graph after storing ``nodes`` in a batch or one by one (rolled back after: both start from the same)."""
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    statements: list[str] = []
    with (
        transaction.atomic(),
        connection.execute_wrapper(lambda run, sql, *args: statements.append(sql) or run(sql, *args)),
    ):
        store = GraphStore()
        events = store.store_many(nodes, now) if batch else [store.store(*node, now) for node in nodes]
        state = (_graph_state(), [[event.summary for event in node_events] for node_events in events])
        transaction.set_rollback(True)
    return state, sum(sql.startswith('INSERT INTO "vendors_lineageedge"') for sql in statements)


@pytest.mark.parametrize("twice", [False, True])
def test_a_batch_of_answers_is_stored_as_each_would_be_with_their_edges_inserted_together(fake_hub, twice):
    from vendors.hub import HubClient
    from vendors.lineage.discovery import discover_parents

    names = [
        "lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF", "meta-llama/Llama-3.1-8B-Instruct",
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-7B",
    ]  # fmt: skip
    if twice:  # a renamed repo answered under its old id and its new one in the same batch
        names.insert(2, "meta-llama/Meta-Llama-3.1-8B-Instruct")
    client = HubClient(endpoint=fake_hub.url, token="", timeout=5.0)
    nodes = [(snapshot, discover_parents(snapshot)) for snapshot in map(client.fetch, names)]
    _refresh("Qwen/Qwen2.5-7B")  # one of them known before: a change on it is a change event

    batched, batch_inserts = _stored_apart(nodes, batch=True)
    apart, apart_inserts = _stored_apart(nodes, batch=False)

    assert batched == apart
    assert batched[0][1]  # edges were stored
    assert batch_inserts == (2 if twice else 1) and apart_inserts > batch_inserts
