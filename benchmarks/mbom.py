"""MBOM benchmark: the exports of a vendor with 50 products over 300 unique models, and the import of a
1,000-component vendor BOM; wall time and peak memory.

The issue: *export for a vendor with 50 products over 300 unique models, wall time and peak memory, and the same
for the import of a 1,000-component BOM.* What it does:

1. Builds a vendor with ``products`` products over ``models`` resolved hub models in families of three (a base,
   a fine-tune, its quantization; publishers in several countries, licences, datasets), each product using
   ``usages`` family tips on a host and region, with ``bulk_create`` (no hub).
2. *Export*: what the vendor page's download does: ``vendor_mbom_zip`` (one load of the shared lineage subgraph,
   one BOM per product, zipped), CycloneDX 1.6 and SPDX 3.0.1, one warm-up then the median of ``repeats``; peak
   memory from ``tracemalloc`` in a separate run. One product's CycloneDX BOM is checked against the schema.
3. *Import*: a CycloneDX 1.6 BOM of ``components`` machine-learning components (half used by the product, each
   declaring the other half as its parent) through ``bom_import``, rolled back each time (the database keeps
   nothing); median of ``repeats``, the number of queries, and the peak memory of a separate run.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
import zipfile
from collections.abc import Callable
from typing import Any

from benchmarks.memory import peak_bytes

NAME = "mbom"
DEFAULT_PRODUCTS = 50
DEFAULT_MODELS = 300
DEFAULT_USAGES = 6
DEFAULT_COMPONENTS = 1000
DEFAULT_REPEATS = 3
KEY_PREFIX = "bench-mbom-"
_COUNTRIES = ("US", "CN", "FR", "DE", "AE", "GB", "CA")


def world_build(*, products: int, models: int, usages: int):
    """The vendor and its products over ``models`` hub models (families of three; bulk inserts)."""
    from django.utils import timezone

    from vendors.models import AIModel, Host, HostRegion, LineageEdge, ModelUsage, Product, Publisher, Vendor

    now = timezone.now()
    publishers = Publisher.objects.bulk_create(
        Publisher(key=f"{KEY_PREFIX}{i}", name=f"Publisher {i} Labs", country=c) for i, c in enumerate(_COUNTRIES)
    )
    host = Host.objects.create(key=f"{KEY_PREFIX}host", name="Bench Cloud", country="US", kind="cloud")
    regions = HostRegion.objects.bulk_create(
        HostRegion(host=host, code=f"r{i}", name=f"Region {i}", country=c) for i, c in enumerate(("US", "DE", "SG"))
    )
    vendor = Vendor.objects.create(name=f"{KEY_PREFIX}Vendor, Inc.", country="US")
    product_rows = Product.objects.bulk_create(Product(vendor=vendor, name=f"Product {i:02d}") for i in range(products))
    families = max(1, models // 3)
    rows = []
    for f in range(families):
        rows += [
            AIModel(name=f"{KEY_PREFIX}org-{f}/base-{f}", publisher=publishers[f % len(publishers)], status="resolved",
                    fetched_at=now, sha=f"{f:040x}", license="apache-2.0",
                    datasets=[f"bench-data/corpus-{f}", "bench-data/common"], pipeline_tag="text-generation"),
            AIModel(name=f"{KEY_PREFIX}org-{f}/tuned-{f}", publisher=publishers[0], status="resolved", fetched_at=now,
                    license="mit", datasets=[f"bench-data/instructions-{f}"]),
            AIModel(name=f"{KEY_PREFIX}org-{f}/tuned-{f}-GGUF", publisher=publishers[1], status="resolved",
                    fetched_at=now, license="mit"),
        ]  # fmt: skip
    rows = AIModel.objects.bulk_create(rows)
    edges, usage_rows = [], []
    for f in range(families):
        base, tuned, gguf = rows[3 * f : 3 * f + 3]
        edges += [
            LineageEdge(child=tuned, parent=base, relation="finetune", source="card", observed_at=now),
            LineageEdge(child=gguf, parent=tuned, relation="quantized", source="gguf", observed_at=now),
        ]
    LineageEdge.objects.bulk_create(edges)
    for p, product in enumerate(product_rows):
        for u in range(usages):
            f = (p * usages + u) % families  # products share families: every model is used, many several times
            usage_rows.append(
                ModelUsage(product=product, model=rows[3 * f + 1 + (u % 2)], host=host, region=regions[u % 3])
            )
    ModelUsage.objects.bulk_create(usage_rows)
    return vendor


def world_delete() -> None:
    from vendors.models import AIModel, BomImport, BomVersion, Host, ModelUsage, Product, Publisher, Vendor

    vendors = Vendor.objects.filter(name__startswith=KEY_PREFIX)
    BomImport.objects.filter(product__vendor__in=vendors).delete()
    BomVersion.objects.filter(product__vendor__in=vendors).delete()
    ModelUsage.objects.filter(product__vendor__in=vendors).delete()
    Product.objects.filter(vendor__in=vendors).delete()
    vendors.delete()
    AIModel.objects.filter(name__startswith=KEY_PREFIX).delete()
    Host.objects.filter(key__startswith=KEY_PREFIX).delete()
    Publisher.objects.filter(key__startswith=KEY_PREFIX).delete()


def import_document(components: int) -> bytes:
    """A CycloneDX 1.6 BOM of ``components`` machine-learning components: the first half used by the product,
    each declaring one of the second half as its parent."""
    half = max(1, components // 2)
    used = [
        {
            "type": "machine-learning-model",
            "bom-ref": f"m{i}",
            "name": f"{KEY_PREFIX}vendor-model-{i}",
            "version": f"{i:040x}",
            "manufacturer": {"name": "Vendor Labs", "address": {"country": _COUNTRIES[i % len(_COUNTRIES)]}},
            "pedigree": {"ancestors": [{"type": "machine-learning-model", "name": f"{KEY_PREFIX}vendor-base-{i}"}]},
        }
        for i in range(half)
    ]
    bases = [
        {"type": "machine-learning-model", "bom-ref": f"b{i}", "name": f"{KEY_PREFIX}vendor-base-{i}"}
        for i in range(components - half)
    ]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "Bench product", "bom-ref": "product"}},
        "components": used + bases,
        "dependencies": [{"ref": "product", "dependsOn": [f"m{i}" for i in range(half)]}],
    }
    return json.dumps(document).encode()


class _Rollback(Exception):
    pass


def _import_once(product, content: bytes) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from vendors import services

    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            record = services.bom_import(product=product, content=content, file_name="bench.cdx.json")
            outcome["total_s"] = time.perf_counter() - start
            outcome["usages"], outcome["parents"] = len(record.usages_added), len(record.parents_declared)
            raise _Rollback
    except _Rollback:
        pass
    outcome["queries"] = len(queries)
    return outcome


def _export_once(vendor, fmt: str) -> tuple[float, bytes]:
    from vendors import selectors

    start = time.perf_counter()
    document = selectors.vendor_mbom_zip(vendor, fmt=fmt)
    return time.perf_counter() - start, document.content


def run(
    *,
    products: int = DEFAULT_PRODUCTS,
    models: int = DEFAULT_MODELS,
    usages: int = DEFAULT_USAGES,
    components: int = DEFAULT_COMPONENTS,
    repeats: int = DEFAULT_REPEATS,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonValidator

    from vendors.models import Product

    started = time.perf_counter()
    world_delete()
    exports: dict[str, Any] = {}
    try:
        log(f"mbom: building a vendor with {products} products over {models} models")
        vendor = world_build(products=products, models=models, usages=usages)
        for fmt in ("cyclonedx", "spdx"):
            log(f"mbom: {fmt} export of the vendor, warm-up then {repeats} runs, then peak memory")
            _export_once(vendor, fmt)
            times, content = [], b""
            for _ in range(repeats):
                elapsed, content = _export_once(vendor, fmt)
                times.append(elapsed)
            peak = peak_bytes(lambda fmt=fmt: _export_once(vendor, fmt))
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
                first = archive.read(names[0]) if names else b"{}"
                total = sum(info.file_size for info in archive.infolist())
            exports[fmt] = {
                "total_s": statistics.median(times),
                "per_product_s": statistics.median(times) / max(1, products),
                "peak_bytes": peak,
                "files": len(names),
                "bytes_uncompressed": total,
                "first": first,
            }
        models_in_first = sum(
            1 for c in json.loads(exports["cyclonedx"]["first"])["components"] if c["type"] == "machine-learning-model"
        )
        schema_errors = list(
            JsonValidator(SchemaVersion.V1_6).validate_str(exports["cyclonedx"]["first"].decode(), all_errors=True)
            or ()
        )
        log(f"mbom: import of a {components}-component BOM, warm-up then {repeats} runs (rolled back)")
        target = Product.objects.create(vendor=vendor, name="Import target")
        content = import_document(components)
        _import_once(target, content)
        runs = [_import_once(target, content) for _ in range(repeats)]
        import_peak = peak_bytes(lambda: _import_once(target, content))
    finally:
        world_delete()
    half = max(1, components // 2)
    checks = [
        {"name": "one BOM per product in the zip", "ok": exports["cyclonedx"]["files"] == products,
         "detail": f"{exports['cyclonedx']['files']} CycloneDX, {exports['spdx']['files']} SPDX files"},
        {"name": "a product's BOM is valid CycloneDX 1.6", "ok": not schema_errors,
         "detail": f"{len(schema_errors)} schema errors, {models_in_first} models in it"},
        {"name": "every used component became a usage and declared its parent",
         "ok": runs[0]["usages"] == half and runs[0]["parents"] == half,
         "detail": f"{runs[0]['usages']} usages, {runs[0]['parents']} parents"},
        # A fixed number of statements, split into batches only where the database limits a statement's size.
        {"name": "the import is done in bulk", "ok": runs[0]["queries"] < 60 + components / 10,
         "detail": f"{runs[0]['queries']} queries for {components} components"},
    ]  # fmt: skip
    for fmt in exports:
        exports[fmt].pop("first")
    return {
        "benchmark": NAME,
        "config": {
            "products": products,
            "models": models,
            "usages_per_product": usages,
            "components": components,
            "repeats": repeats,
        },
        "export": exports,
        "import": {
            "total_s": statistics.median(r["total_s"] for r in runs),
            "queries": runs[0]["queries"],
            "peak_bytes": import_peak,
            "bytes": len(content),
        },
        "checks": checks,
        "elapsed_s": time.perf_counter() - started,
    }


def format_report(report: dict[str, Any]) -> str:
    config, export, imported = report["config"], report["export"], report["import"]
    lines = [
        f"mbom: a vendor with {config['products']} products over {config['models']} models "
        f"({config['usages_per_product']} usages each), median of {config['repeats']}",
    ]
    for fmt, label in (("cyclonedx", "CycloneDX 1.6"), ("spdx", "SPDX 3.0.1")):
        row = export[fmt]
        lines.append(
            f"  export {label:<13} {row['total_s']:.3f} s ({row['per_product_s'] * 1000:.1f} ms a product), "
            f"{row['files']} files, {row['bytes_uncompressed'] / 2**20:.1f} MiB, "
            f"peak {row['peak_bytes'] / 2**20:.1f} MiB"
        )
    lines.append(
        f"  import of {config['components']} components ({imported['bytes'] / 2**20:.2f} MiB): "
        f"{imported['total_s']:.3f} s, {imported['queries']} queries, peak {imported['peak_bytes'] / 2**20:.1f} MiB"
    )
    lines += [f"  [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    return all(check["ok"] for check in report["checks"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mbom")
    group.add_argument("--mbom-products", type=int, default=DEFAULT_PRODUCTS, help="products of the vendor")
    group.add_argument("--mbom-models", type=int, default=DEFAULT_MODELS, help="unique models under them")
    group.add_argument("--mbom-components", type=int, default=DEFAULT_COMPONENTS, help="components of the import")
    group.add_argument("--mbom-repeats", type=int, default=DEFAULT_REPEATS, help="timed runs (median)")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        products=args.mbom_products,
        models=args.mbom_models,
        components=args.mbom_components,
        repeats=args.mbom_repeats,
        log=log,
    )
