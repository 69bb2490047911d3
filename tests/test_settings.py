"""Settings come from the environment; production mode refuses unsafe defaults and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "-production-secret-key-for-tests-only-0123456789"


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_mode_requires_a_secret_key(tmp_path):
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="risk.example.com", RISKREGISTRY_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_requires_allowed_hosts(tmp_path):
    result = _manage("check", DEBUG="false", SECRET_KEY=STRONG_KEY, RISKREGISTRY_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="risk.example.com",
        DATABASE_URL="postgres://riskregistry@db.example:5432/riskregistry", REDIS_URL="redis://redis.example:6379/0",
        RISKREGISTRY_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_need_nothing_set(tmp_path):
    result = _manage(
        "shell", "-c",
        "from django.conf import settings as s; from riskregistry.celery import app; "
        "print(s.DATABASES['default']['ENGINE'], app.conf.task_always_eager, bool(s.SECRET_KEY))",
        RISKREGISTRY_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["django.db.backends.sqlite3", "True", "True"]
    assert (tmp_path / "secret_key").exists()


def test_a_postgresql_url_selects_the_projects_postgresql_backend(tmp_path):
    result = _manage(
        "shell", "-c", "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])",
        DATABASE_URL="postgres://riskregistry@db.example:5432/riskregistry", RISKREGISTRY_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "riskregistry.db.postgresql"


def test_redis_url_switches_tasks_to_celery_and_the_cache_to_redis(tmp_path):
    result = _manage(
        "shell", "-c",
        "from django.conf import settings as s; from riskregistry.celery import app; "
        "print(app.conf.broker_url, app.conf.task_always_eager, s.CACHES['default']['BACKEND'])",
        REDIS_URL="redis://127.0.0.1:6379/3", RISKREGISTRY_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == [
        "redis://127.0.0.1:6379/3", "False", "django.core.cache.backends.redis.RedisCache"
    ]  # fmt: skip


def test_a_visibility_timeout_not_above_the_task_time_limit_is_reported(tmp_path):
    result = _manage(
        "check", "--fail-level", "WARNING",
        REDIS_URL="redis://127.0.0.1:6379/3", CELERY_VISIBILITY_TIMEOUT="3", RISKREGISTRY_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode != 0
    assert "riskregistry.W201" in result.stderr
    assert "CELERY_VISIBILITY_TIMEOUT (3 s) is not above CELERY_TASK_TIME_LIMIT (660 s)" in result.stderr


def test_the_visibility_timeout_is_checked_only_where_redis_delivers_the_tasks(settings):
    from riskregistry.checks import celery_redelivery

    settings.REDIS_URL = "redis://127.0.0.1:6379/3"
    settings.CELERY_TASK_TIME_LIMIT = 660
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert celery_redelivery() == []
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 660}
    assert [problem.id for problem in celery_redelivery()] == ["riskregistry.W201"]
    settings.CELERY_TASK_TIME_LIMIT = None  # no time limit: nothing to compare with
    assert celery_redelivery() == []
    settings.REDIS_URL = ""  # the embedded mode: tasks run in-process
    settings.CELERY_TASK_TIME_LIMIT = 660
    assert celery_redelivery() == []
