"""The one door from vendors to assessments: a fact that ratings are computed from changed, so rescore (and
record the products' new MBOM versions).

Assessments builds on vendors (its selectors read the lineage), so vendors never imports it at module level;
every service here that changes such a fact (a lineage refresh, a declared parent, a usage's host, the knowledge
base) asks through this module, and the request runs after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from vendors.models import AIModel, ModelUsage


def usages_rescore_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Rescore these usages (None: all of them) once the current transaction commits."""
    from assessments.services import ratings_refresh_request
    from vendors.services.bom_versions import bom_versions_refresh_request

    ids = None if usage_ids is None else sorted(set(usage_ids))
    if ids != []:
        ratings_refresh_request(usage_ids=ids)
        bom_versions_refresh_request(usage_ids=ids)  # the same changes alter the products' MBOMs


def usages_depending_on(models: Iterable[AIModel]) -> list[int]:
    """Usages of these models or of any model descending from them (through the stored exposure rows)."""
    model_ids = [m.pk for m in models]
    direct = ModelUsage.objects.filter(model_id__in=model_ids).values_list("pk", flat=True)
    through = ModelUsage.objects.filter(exposures__model_id__in=model_ids).values_list("pk", flat=True)
    return sorted(set(direct) | set(through))
