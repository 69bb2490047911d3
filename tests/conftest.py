"""Shared fixtures: users per role, real services (PostgreSQL, Redis, Celery workers)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection
from hypothesis import Phase, settings

from riskregistry.roles import ADMIN, ANALYST, VIEWER
from tests import factories
from tests.services import WorkerProcess, database_url_for_test_database, redis_reachable, redis_url, require


@pytest.fixture(autouse=True)
def _refresh_in_the_test_thread(settings):
    """Embedded refreshes run on the request's thread in tests, inside the test's transaction; the one test of
    the background thread turns it back on."""
    settings.LINEAGE_REFRESH_BESIDE = False


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="ada-admin", role=ADMIN)


@pytest.fixture
def analyst(db):
    return factories.UserFactory(username="ana-analyst", role=ANALYST)


@pytest.fixture
def viewer(db):
    return factories.UserFactory(username="vic-viewer", role=VIEWER)


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID Connect provider (tests/oidc_provider) in its own process, for the whole run."""
    from tests.oidc import OidcProvider

    provider = OidcProvider(workdir=tmp_path_factory.mktemp("oidc-provider")).start()
    yield provider
    provider.stop()


@pytest.fixture
def postgres(db):
    """The suite's database is PostgreSQL (DATABASE_URL=postgres://...)."""
    require("PostgreSQL", connection.vendor == "postgresql", "the suite runs on SQLite; set DATABASE_URL=postgres://…")


@pytest.fixture(scope="session")
def redis_server() -> str:
    url = redis_url()
    ok, reason = redis_reachable(url)
    require("Redis", ok, reason)
    return url


@pytest.fixture
def celery_queue(redis_server):
    """Point this process's Celery app at the real Redis on a queue of its own, instead of running in-process."""
    from riskregistry.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=redis_server, task_always_eager=False, task_default_queue=queue)
    _reset_broker_connections(app)
    yield queue
    app.conf.update(saved)
    _reset_broker_connections(app)


def _reset_broker_connections(app) -> None:
    """Drop pooled broker connections so the next send uses the current broker_url (Celery does the same
    after a fork)."""
    app._after_fork()


@pytest.fixture
def celery_worker_factory(transactional_db, postgres, celery_queue, redis_server, tmp_path):
    """Start real worker processes (several, or one after another) on this test's queue and database."""
    workers: list[WorkerProcess] = []

    def start(**options) -> WorkerProcess:
        worker = WorkerProcess(
            queue=celery_queue, redis_url=redis_server, database_url=database_url_for_test_database(), **options
        )
        workers.append(worker.start(tmp_path))
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def fake_hub(settings):
    """The project's fake model hub on 127.0.0.1 with the recorded repos; the app's hub settings point at it."""
    from tests.fakehub import FakeHub

    with FakeHub() as hub:
        settings.HF_ENDPOINT = hub.url
        settings.HF_TOKEN = None
        settings.HUB_TIMEOUT = 5.0
        yield hub


@pytest.fixture
def knowledge(db):
    """The shipped knowledge base (publishers, hosts, closed models) in the test database."""
    from django.core.management import call_command

    call_command("load_knowledge", verbosity=0)


@pytest.fixture
def qwen_references(fake_hub):
    """Fingerprints of Qwen2.5-7B-Instruct and its base Qwen2.5-7B, read from the fake hub by a refresh: what an
    uploaded Qwen config is compared with."""
    from vendors.models import LineageRefresh
    from vendors.services import lineage

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=["Qwen/Qwen2.5-7B-Instruct"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    return fake_hub


@pytest.fixture
def private_model(db):
    """A vendor's declared model, with no public record: what model files are uploaded for."""
    from vendors.models import AIModel

    return AIModel.objects.create(kind=AIModel.Kind.DECLARED, name="Acme Contract LLM v3", status="resolved")


def pytest_configure(config):
    """The suite runs the embedded defaults (tasks in-process, the local-memory cache); its Redis and Celery tests
    reach Redis at ``RISKREGISTRY_TEST_REDIS_URL``. A ``REDIS_URL`` left in the shell (say, for ``make run``)
    would send every task to a broker no test drains: say so at once rather than fail tests one by one."""
    from django.conf import settings as django_settings

    if django_settings.REDIS_URL:
        raise pytest.UsageError(
            "REDIS_URL is set: the test suite runs the embedded defaults (tasks in-process). Unset it (`make test` "
            "does); the Redis and worker tests use RISKREGISTRY_TEST_REDIS_URL (default redis://127.0.0.1:6379/15)."
        )


#: Fixtures that give a test the database.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def pytest_collection_modifyitems(items):
    """A test that uses the ``postgres`` fixture (directly or through another fixture) is marked ``postgres``, so the
    SQLite pass of ``make test`` (``-m "not postgres"``) leaves it out instead of failing it under CI. A test that
    uses the database at all is marked ``database``: the SQLite pass runs only those (the others, pure functions,
    the fake hub, the settings in a subprocess, give the same answer whatever the database, and ran in the first
    pass)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "postgres" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if item.get_closest_marker("django_db") is not None or fixtures & _DATABASE_FIXTURES:
            item.add_marker(pytest.mark.database)


# Hypothesis: "ci" is derandomized (the same examples on every run), small, and reports the first failing example
# as found (shrinking one can take minutes of requests); "dev" explores more and shrinks. HYPOTHESIS_PROFILE=dev
# chooses it; "ci" is the default.
settings.register_profile(
    "ci",
    max_examples=4,
    derandomize=True,
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
