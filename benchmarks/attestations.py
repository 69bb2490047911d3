"""Attestation benchmark: the request PDF for a vendor with 20 products, our wall time and peak memory beside
WeasyPrint rendering the same final HTML alone.

The issue: *an attestation PDF for a vendor with 20 products, as wall time and peak memory beside WeasyPrint
rendering the same final HTML alone (our own overhead); target under 1.3x.* What it does:

1. Builds a vendor with ``products`` active products, ``usages`` model usages each, over a lineage forest of
   resolved hub models (a root, a fine-tune and a quantization per family; publishers in several countries,
   licences, datasets), hosts and regions, with ``bulk_create`` (no hub).
2. *Ours*: what ``manage.py attestation_request`` does, timed as a whole: the claims selector reads the stored
   lineage, the request is recorded with its snapshot and coverage, the template renders the HTML, and
   ``render_pdf`` lays it out and writes the tagged PDF with the claims attached. Each run is rolled back (the
   database keeps no request), one warm-up, then the median of ``repeats``.
3. *WeasyPrint alone*: the final HTML of a run, ``HTML(...).render()`` then ``write_pdf`` with the same fetcher,
   attachment and options, median of ``repeats`` after a warm-up.
4. Peak memory: ``tracemalloc`` peak of each path in a separate run (tracing slows both, so not the timed runs).

The ratio is ours / WeasyPrint alone for wall time and peak memory; the target is < 1.3x for the wall time.
Checks: every product appears in the PDF, and WeasyPrint alone made as many pages of the same HTML.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from benchmarks.memory import peak_bytes

NAME = "attestations"
DEFAULT_PRODUCTS = 20
DEFAULT_USAGES = 3
DEFAULT_REPEATS = 5
TARGET_RATIO = 1.3
KEY_PREFIX = "bench-attest-"

_COUNTRIES = ("US", "CN", "FR", "DE", "AE", "GB", "CA")


def world_build(*, products: int, usages: int):
    """The vendor, its products and their usages over ``products * usages`` model families (bulk inserts)."""
    from django.utils import timezone

    from vendors.models import AIModel, Host, HostRegion, LineageEdge, ModelUsage, Product, Publisher, Vendor

    now = timezone.now()
    publishers = Publisher.objects.bulk_create(
        Publisher(key=f"{KEY_PREFIX}{i}", name=f"Publisher {i} Labs", country=c) for i, c in enumerate(_COUNTRIES)
    )
    host = Host.objects.create(
        key=f"{KEY_PREFIX}host", name="Bench Cloud", operator="Bench Cloud, Inc.", country="US", kind="cloud"
    )
    regions = HostRegion.objects.bulk_create(
        HostRegion(host=host, code=f"r{i}", name=f"Region {i}", country=c) for i, c in enumerate(("US", "DE", "SG"))
    )
    vendor = Vendor.objects.create(name=f"{KEY_PREFIX}Vendor, Inc.", country="US")
    product_rows = Product.objects.bulk_create(
        Product(vendor=vendor, name=f"Product {i:02d} Copilot") for i in range(products)
    )
    families = products * usages
    models = []
    for f in range(families):
        publisher = publishers[f % len(publishers)]
        models += [
            AIModel(name=f"bench-org-{f}/base-{f}", publisher=publisher, status="resolved", fetched_at=now,
                    license="apache-2.0", datasets=[f"bench-data/corpus-{f}", "bench-data/common"]),
            AIModel(name=f"bench-org-{f}/tuned-{f}", publisher=publishers[0], status="resolved", fetched_at=now,
                    license="mit", datasets=[f"bench-data/instructions-{f}"]),
            AIModel(name=f"bench-org-{f}/tuned-{f}-GGUF", publisher=publishers[1], status="resolved",
                    fetched_at=now, license="mit"),
        ]  # fmt: skip
    models = AIModel.objects.bulk_create(models)
    edges, usage_rows = [], []
    for f in range(families):
        base, tuned, gguf = models[3 * f : 3 * f + 3]
        edges += [
            LineageEdge(child=tuned, parent=base, relation="finetune", source="card", observed_at=now),
            LineageEdge(child=gguf, parent=tuned, relation="quantized", source="gguf", observed_at=now),
        ]
        region = regions[f % len(regions)]
        usage_rows.append(
            ModelUsage(product=product_rows[f // usages], model=gguf if f % 2 else tuned, host=host, region=region)
        )
    LineageEdge.objects.bulk_create(edges)
    ModelUsage.objects.bulk_create(usage_rows)
    return vendor


def world_delete() -> None:
    from vendors.models import AIModel, Host, ModelUsage, Product, Publisher, Vendor

    vendors = Vendor.objects.filter(name__startswith=KEY_PREFIX)
    ModelUsage.objects.filter(product__vendor__in=vendors).delete()
    Product.objects.filter(vendor__in=vendors).delete()
    vendors.delete()
    AIModel.objects.filter(name__startswith="bench-org-").delete()
    Host.objects.filter(key__startswith=KEY_PREFIX).delete()
    Publisher.objects.filter(key__startswith=KEY_PREFIX).delete()


class _Rollback(Exception):
    pass


def ours(vendor) -> tuple[bytes, str, dict[str, float]]:
    """The command's path, rolled back: claims, request, HTML, PDF. Returns the PDF, its HTML and step times."""
    from django.db import transaction
    from django.utils import timezone

    from assessments import services
    from assessments.documents import attestation_request_html, attestation_request_pdf

    steps: dict[str, float] = {}
    result: list[Any] = []
    try:
        with transaction.atomic():
            start = time.perf_counter()
            request = services.attestation_request_create(vendor=vendor, deadline=timezone.now().date() + timedelta(30))
            steps["claims_and_request_s"] = time.perf_counter() - start
            mark = time.perf_counter()
            html = attestation_request_html(request)
            steps["html_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            pdf = attestation_request_pdf(request, html=html)
            steps["pdf_s"] = time.perf_counter() - mark
            steps["total_s"] = time.perf_counter() - start
            result += [pdf, html, request.claims]
            raise _Rollback
    except _Rollback:
        pass
    pdf, html, claims = result
    steps["claims"] = claims
    return pdf, html, steps


def weasyprint_alone(html: str, claims: dict) -> tuple[bytes, dict[str, float]]:
    """The same HTML laid out and written by WeasyPrint with the same fetcher, attachment and options."""
    import json

    import weasyprint

    from riskregistry.pdf import pdf_fetcher

    fetcher = pdf_fetcher()
    start = time.perf_counter()
    document = weasyprint.HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render()
    layout = time.perf_counter() - start
    data = json.dumps(claims, ensure_ascii=False, indent=1, sort_keys=True).encode()
    attachment = weasyprint.Attachment(string=data, name="claims.json", relationship="Data", url_fetcher=fetcher)
    pdf = document.write_pdf(attachments=[attachment], pdf_tags=True)
    total = time.perf_counter() - start
    return pdf, {"layout_s": layout, "write_s": total - layout, "total_s": total}


def run(
    *,
    products: int = DEFAULT_PRODUCTS,
    usages: int = DEFAULT_USAGES,
    repeats: int = DEFAULT_REPEATS,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    from pypdf import PdfReader

    from assessments.attestation import claim_list, snapshot_from_json

    started = time.perf_counter()
    world_delete()
    try:
        log(f"attestations: building a vendor with {products} products x {usages} model usages")
        vendor = world_build(products=products, usages=usages)
        log("attestations: warm-up, then our path and WeasyPrint alone, alternately")
        pdf, html, steps = ours(vendor)
        weasyprint_alone(html, steps["claims"])
        our_runs, alone_runs = [], []
        for _i in range(repeats):
            pdf, html, steps = ours(vendor)
            our_runs.append(steps)
            alone_pdf, alone = weasyprint_alone(html, steps["claims"])
            alone_runs.append(alone)
        log("attestations: peak memory of each path (tracemalloc, separate runs)")
        our_peak = peak_bytes(lambda: ours(vendor))
        alone_peak = peak_bytes(lambda: weasyprint_alone(html, steps["claims"]))
    finally:
        world_delete()

    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    ours_s, alone_s = median(our_runs, "total_s"), median(alone_runs, "total_s")
    checks = [
        {"name": "every product is in the PDF",
         "ok": all(f"Product {i:02d} Copilot" in text for i in range(products)), "detail": f"{products} products"},
        {"name": "WeasyPrint alone gives as many pages",
         "ok": len(PdfReader(io.BytesIO(alone_pdf)).pages) == len(reader.pages),
         "detail": f"{len(reader.pages)} pages"},
    ]  # fmt: skip
    return {
        "benchmark": NAME,
        "config": {"products": products, "usages_per_product": usages, "repeats": repeats},
        "pages": len(reader.pages),
        "pdf_bytes": len(pdf),
        "html_bytes": len(html.encode()),
        "claims": len(claim_list(snapshot_from_json(steps["claims"]))),
        "ours": {
            "total_s": ours_s,
            "claims_and_request_s": median(our_runs, "claims_and_request_s"),
            "html_s": median(our_runs, "html_s"),
            "pdf_s": median(our_runs, "pdf_s"),
            "peak_bytes": our_peak,
        },
        "weasyprint_alone": {
            "total_s": alone_s,
            "layout_s": median(alone_runs, "layout_s"),
            "write_s": median(alone_runs, "write_s"),
            "peak_bytes": alone_peak,
        },
        "overhead_s": ours_s - alone_s,
        "wall_ratio": ours_s / alone_s,
        "memory_ratio": our_peak / alone_peak if alone_peak else None,
        "target_ratio": TARGET_RATIO,
        "checks": checks,
        "elapsed_s": time.perf_counter() - started,
    }


def format_report(report: dict[str, Any]) -> str:
    ours_, alone = report["ours"], report["weasyprint_alone"]
    met = "met" if report["wall_ratio"] < report["target_ratio"] else "MISSED"
    lines = [
        f"attestations: request PDF for a vendor with {report['config']['products']} products "
        f"x {report['config']['usages_per_product']} model usages ({report['claims']} claims, {report['pages']} pages, "
        f"{report['pdf_bytes']:,} bytes), median of {report['config']['repeats']}",
        f"  ours             {ours_['total_s']:.3f} s  (claims + request {ours_['claims_and_request_s']:.3f}, "
        f"HTML {ours_['html_s']:.3f}, render_pdf {ours_['pdf_s']:.3f})  peak {ours_['peak_bytes'] / 2**20:.1f} MiB",
        f"  WeasyPrint alone {alone['total_s']:.3f} s  (layout {alone['layout_s']:.3f}, write {alone['write_s']:.3f})"
        f"  peak {alone['peak_bytes'] / 2**20:.1f} MiB",
        f"  overhead {report['overhead_s']:.3f} s; wall {report['wall_ratio']:.2f}x (target < "
        f"{report['target_ratio']}x: {met}); peak memory {report['memory_ratio']:.2f}x",
    ]
    lines += [f"  [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    return all(check["ok"] for check in report["checks"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("attestations")
    group.add_argument("--attestation-products", type=int, default=DEFAULT_PRODUCTS, help="products of the vendor")
    group.add_argument("--attestation-usages", type=int, default=DEFAULT_USAGES, help="model usages per product")
    group.add_argument("--attestation-repeats", type=int, default=DEFAULT_REPEATS, help="timed runs (median)")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        products=args.attestation_products, usages=args.attestation_usages, repeats=args.attestation_repeats, log=log
    )
