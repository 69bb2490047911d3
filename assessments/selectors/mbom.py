"""What a Model Bill of Materials says about risk: each usage's live findings (the model card's considerations)
and its current rating with its factors, as the plain values ``vendors.bom`` takes."""

from __future__ import annotations

from collections.abc import Sequence

from assessments.selectors.facts import latest_ratings, live_findings
from vendors.bom import data


def mbom_risk(usage_ids: Sequence[int]) -> dict[int, tuple[tuple[data.Finding, ...], data.Rating | None]]:
    """``{usage id: (findings, rating)}`` in two queries, findings sorted by code."""
    findings = live_findings(usage_ids)
    ratings = latest_ratings(usage_ids)
    risk = {}
    for usage_id in usage_ids:
        live = findings.get(usage_id, {})
        rating = ratings.get(usage_id)
        risk[usage_id] = (
            tuple(
                data.Finding(code=f.code, title=f.title, status=f.status, trigger=f.trigger)
                for _, f in sorted(live.items())
            ),
            data.Rating(
                score=rating.score,
                tier=rating.tier,
                policy_version=rating.policy_version,
                factors=tuple(
                    data.Factor(code=f["code"], points=int(f["points"]), reason=f["reason"])
                    for f in rating.factors
                    if "accepted" not in f
                ),
            )
            if rating is not None
            else None,
        )
    return risk
