"""The demo portfolio: ``portfolio.toml`` in this folder, a TOML inventory of fictional vendors, their products and
the models behind them, and the code that reads it.

:mod:`~vendors.demo.specs` holds the parsed shapes and the allowed codes, :mod:`~vendors.demo.parse` reads and checks
the file. ``manage.py load_demo`` turns the result into rows through :mod:`vendors.services.demo`.
"""

from vendors.demo.parse import DEFAULT_PATH, PortfolioError, Problem, load_portfolio, parse_portfolio
from vendors.demo.specs import (
    DATA_CATEGORIES,
    DECLARED_MODEL_SOURCES,
    MODEL_KINDS,
    PRODUCT_CRITICALITIES,
    PRODUCT_STATUSES,
    USAGE_DECLARED_BY,
    USAGE_ROLES,
    VENDOR_STATUSES,
    VENDOR_TIERS,
    ContactSpec,
    DeclaredModelSpec,
    ModelKind,
    ModelRef,
    Portfolio,
    ProductSpec,
    UsageSpec,
    VendorSpec,
)

__all__ = [
    "DATA_CATEGORIES",
    "DECLARED_MODEL_SOURCES",
    "DEFAULT_PATH",
    "MODEL_KINDS",
    "PRODUCT_CRITICALITIES",
    "PRODUCT_STATUSES",
    "USAGE_DECLARED_BY",
    "USAGE_ROLES",
    "VENDOR_STATUSES",
    "VENDOR_TIERS",
    "ContactSpec",
    "DeclaredModelSpec",
    "ModelKind",
    "ModelRef",
    "Portfolio",
    "PortfolioError",
    "Problem",
    "ProductSpec",
    "UsageSpec",
    "VendorSpec",
    "load_portfolio",
    "parse_portfolio",
]
