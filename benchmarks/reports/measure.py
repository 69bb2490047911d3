"""One quarterly report of the benchmark portfolio, measured in a fresh process: the whole generation as the
service runs it (figures, charts, diagrams, template, WeasyPrint) and WeasyPrint alone on the same final HTML
with the same URL fetcher, so the ratio between them is our own overhead."""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from typing import Any


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _measure(queue, repeats: int) -> None:
    """In a fresh process: warm up, then ``repeats`` times the full generation followed by WeasyPrint alone on
    its final HTML (interleaved, so both see the same machine load); the peak memory of the process."""
    import django

    django.setup()
    import weasyprint
    from django.utils import timezone

    from reports import render, services
    from reports.periods import Quarter
    from reports.selectors import portfolio_report
    from riskregistry.pdf import PdfMetadata, pdf_fetcher, render_pdf

    now = timezone.now()
    quarter = Quarter.containing(now)
    empty = Quarter(2000, 1)
    services.report_pdf(kind="quarterly", period=services.Period(empty, empty.last_instant, False))  # warm-up
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        figures = portfolio_report(quarter, as_of=now, to_date=True)
        read = time.perf_counter()
        html = render.report_html(figures, generated_at=now, template=services.QUARTERLY_TEMPLATE)
        drawn = time.perf_counter()
        pdf = render_pdf(html, metadata=PdfMetadata(title="bench", created=now))
        done = time.perf_counter()

        fetcher = pdf_fetcher()
        alone = time.perf_counter()
        document = weasyprint.HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render()
        laid_out = time.perf_counter()
        document.write_pdf(pdf_tags=True)
        written = time.perf_counter()
        runs.append(
            {
                "wall_s": done - started,
                "figures_s": read - started,
                "html_s": drawn - read,
                "render_pdf_s": done - drawn,
                "weasyprint_s": written - alone,
                "layout_s": laid_out - alone,
                "write_s": written - laid_out,
                "pages": len(document.pages),
                "pdf_bytes": len(pdf),
                "html_bytes": len(html.encode()),
            }
        )
    queue.put({"runs": runs, "maxrss_bytes": _maxrss_bytes()})


def report_measure(*, repeats: int = 1) -> dict[str, Any]:
    """Medians of ``repeats`` interleaved runs in a fresh process (its peak memory is the report's alone)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(queue, repeats))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"the measuring process failed (exit {process.exitcode})")
    runs = result["runs"]

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    wall, alone = median("wall_s"), median("weasyprint_s")
    return {
        "repeats": repeats,
        "runs": runs,
        "wall_s": wall,
        "figures_s": median("figures_s"),
        "html_s": median("html_s"),
        "render_pdf_s": median("render_pdf_s"),
        "peak_memory_bytes": result["maxrss_bytes"],
        "pages": runs[-1]["pages"],
        "pdf_bytes": runs[-1]["pdf_bytes"],
        "html_bytes": runs[-1]["html_bytes"],
        "weasyprint_alone_s": alone,
        "weasyprint_layout_s": median("layout_s"),
        "weasyprint_write_s": median("write_s"),
        "overhead_ratio": wall / alone if alone else None,
    }
