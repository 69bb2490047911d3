"""Reads shared by the web UI, the API and the CLI."""

from vendors.selectors.lineage import (
    LineageReport,
    knowledge_base_warning,
    lineage_reports,
    lineage_subgraph,
    node_key,
)
from vendors.selectors.portfolio import (
    HistoryEntry,
    PortfolioSummary,
    UnknownOrg,
    ai_model_detail,
    ai_model_queryset,
    change_events_for,
    model_usage_queryset,
    portfolio_summary,
    product_detail,
    product_queryset,
    unknown_publishers,
    vendor_detail,
    vendor_history,
    vendor_queryset,
)

__all__ = [
    "HistoryEntry",
    "LineageReport",
    "PortfolioSummary",
    "UnknownOrg",
    "ai_model_detail",
    "ai_model_queryset",
    "change_events_for",
    "knowledge_base_warning",
    "lineage_reports",
    "lineage_subgraph",
    "model_usage_queryset",
    "node_key",
    "portfolio_summary",
    "product_detail",
    "product_queryset",
    "unknown_publishers",
    "vendor_detail",
    "vendor_history",
    "vendor_queryset",
]
