"""Peak memory of one call, as the benchmarks report it beside wall time."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable


def peak_bytes(function: Callable[[], object]) -> int:
    """The most memory Python allocated while ``function`` ran (tracemalloc), in bytes."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
