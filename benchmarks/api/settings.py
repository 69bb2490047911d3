"""The project's settings for the API benchmark's gunicorn: the bare views' routes beside the project's."""

from riskregistry.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.api.urls"
