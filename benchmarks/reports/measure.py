"""One quarterly report of the benchmark portfolio, measured in a fresh process: the whole generation as the
service runs it (figures, charts, diagrams, templates, the parts laid out by WeasyPrint and joined) and WeasyPrint
alone on the same final HTML of every part with the same URL fetcher, right after each part, so the ratio between
them is our own overhead (figures, HTML, the front laid out again if its length was not foreseen, freeing each
part, the join)."""

from __future__ import annotations

import gc
import io
import multiprocessing
import resource
import statistics
import time
from typing import Any


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _pages(pikepdf, pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _measure(queue, repeats: int) -> None:
    """In a fresh process: warm up, then ``repeats`` times the full generation followed by WeasyPrint alone on
    its final HTML (interleaved, so both see the same machine load); the peak memory of the process."""
    import django

    django.setup()
    import pikepdf
    import weasyprint
    from django.utils import timezone

    import riskregistry.pdf
    from reports import document, services
    from reports.periods import Quarter
    from reports.selectors import portfolio_report
    from riskregistry.pdf import PdfMetadata, pdf_fetcher

    now = timezone.now()
    quarter = Quarter.containing(now)
    empty = Quarter(2000, 1)
    services.report_pdf(kind="quarterly", period=services.Period(empty, empty.last_instant, False))  # warm-up
    runs = []
    lay_out = riskregistry.pdf.render_pdf_part
    alone: dict[str, tuple[float, float]] = {}
    aside: list[float] = []
    aside_cpu: list[float] = []
    alone_cpu: dict[str, float] = {}

    def interleaved(source: str, *, tagged: bool = True, **kwargs):
        """Our part, then WeasyPrint alone on the same HTML at once, so both see the same machine load (it varies
        over minutes on a shared machine); the time of the latter is taken out of the report's."""
        part = lay_out(source, tagged=tagged, **kwargs)
        fetcher = pdf_fetcher()
        begun, begun_cpu = time.perf_counter(), time.process_time()
        laid = weasyprint.HTML(string=source, base_url=fetcher.base_url, url_fetcher=fetcher).render()
        laid_out = time.perf_counter()
        laid.write_pdf(pdf_tags=tagged)
        written = time.perf_counter()
        del laid
        gc.collect()  # its layout freed before the report goes on, as the report frees its own
        alone[source] = (laid_out - begun, written - laid_out)
        alone_cpu[source] = time.process_time() - begun_cpu
        aside.append(time.perf_counter() - begun)
        aside_cpu.append(time.process_time() - begun_cpu)
        return part

    for _ in range(repeats):
        alone.clear()
        aside.clear()
        aside_cpu.clear()
        alone_cpu.clear()
        riskregistry.pdf.render_pdf_part = interleaved
        try:
            started, started_cpu = time.perf_counter(), time.process_time()
            figures = portfolio_report(quarter, as_of=now, to_date=True)
            read = time.perf_counter()
            html = document.quarterly_html(figures, generated_at=now)
            drawn = time.perf_counter()
            parts: list[tuple[str, bool]] = []
            metadata = PdfMetadata(title="bench", created=now)
            pdf = document.quarterly_pdf(figures, generated_at=now, metadata=metadata, html=html, parts_html=parts)
            done = time.perf_counter() - sum(aside)
            done_cpu = time.process_time() - sum(aside_cpu)
            del html
        finally:
            riskregistry.pdf.render_pdf_part = lay_out
        # WeasyPrint alone lays out each final part once (a front laid out again is the report's own cost).
        layout_s = sum(alone[source][0] for source, _ in parts)
        write_s = sum(alone[source][1] for source, _ in parts)
        runs.append(
            {
                "wall_s": done - started,
                "figures_s": read - started,
                "html_s": drawn - read,
                "render_pdf_s": done - drawn,
                "weasyprint_s": layout_s + write_s,
                "cpu_s": done_cpu - started_cpu,
                "weasyprint_cpu_s": sum(alone_cpu[source] for source, _ in parts),
                "layout_s": layout_s,
                "write_s": write_s,
                "pages": _pages(pikepdf, pdf),
                "parts": len(parts),
                "pdf_bytes": len(pdf),
                "html_bytes": sum(len(source.encode()) for source, _ in parts),
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
        "parts": runs[-1]["parts"],
        "pdf_bytes": runs[-1]["pdf_bytes"],
        "html_bytes": runs[-1]["html_bytes"],
        "weasyprint_alone_s": alone,
        "weasyprint_layout_s": median("layout_s"),
        "weasyprint_write_s": median("write_s"),
        "cpu_s": median("cpu_s"),
        "weasyprint_cpu_s": median("weasyprint_cpu_s"),
        "overhead_ratio": wall / alone if alone else None,
    }
