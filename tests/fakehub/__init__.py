"""A fake Hugging Face Hub for tests and the demo: see ``server.FakeHub`` and ``repos/README.md``."""

from .builders import (
    HOSTILE_STRINGS,
    adapter_config,
    make_adapter,
    make_chain,
    make_cycle,
    make_gguf,
    make_merge,
    make_record,
    make_silent,
    mergekit_config,
)
from .records import DEFAULT_REPOS_DIR, build_repo, declared_parents, load_hub_meta, load_records, record_filename
from .server import FakeHub
from .state import FailureRule, LoggedRequest

__all__ = [
    "DEFAULT_REPOS_DIR",
    "HOSTILE_STRINGS",
    "FailureRule",
    "FakeHub",
    "LoggedRequest",
    "adapter_config",
    "build_repo",
    "declared_parents",
    "load_hub_meta",
    "load_records",
    "make_adapter",
    "make_chain",
    "make_cycle",
    "make_gguf",
    "make_merge",
    "make_record",
    "make_silent",
    "mergekit_config",
    "record_filename",
]
