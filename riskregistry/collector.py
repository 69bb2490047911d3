"""Python's cycle collector, paused around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for one round of bulk work that allocates a great many objects and keeps them
    until it ends: the collector's passes would move them to its oldest generation and then walk an ever larger
    heap, freeing next to nothing.

    - A rescoring's batch builds hundreds of thousands of rows, facts and model instances, freed by reference
      counting when it ends: at 50,000 usages, 14 full collections took 4.9 s of an 18.5 s rescoring.
    - A WeasyPrint layout keeps nearly all of its millions of objects until the document is written: the full
      passes took a quarter of the layout's time (the quarterly report's 87 pages of chapters: 7.1 s of CPU, 5.5 s
      paused; a batch of 25 vendors: 2.2 s, 1.5 s) for 5 MiB less at the peak. ``render_pdf_part`` collects once
      the part is written, which frees the whole layout.

    What a round leaves in cycles is collected after it. Process-wide, and resumed as it was found: only whoever
    switched it off switches it back on (another thread, or a caller, may have paused it too)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
