"""The parsed demo portfolio: vendors, their products and contacts, the models behind them, and the codes allowed.

Pure: plain frozen dataclasses; :func:`vendors.demo.parse.load_portfolio` builds them from the TOML file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, cast

VENDOR_TIERS = ("critical", "high", "medium", "low")
VENDOR_STATUSES = ("active", "onboarding", "archived")
PRODUCT_CRITICALITIES = ("critical", "high", "medium", "low")
PRODUCT_STATUSES = ("active", "retired")
DATA_CATEGORIES = (
    "personal",
    "sensitive_personal",
    "health",
    "financial",
    "payment_card",
    "credentials",
    "source_code",
    "customer_content",
    "employee",
    "confidential_business",
    "public",
)
USAGE_ROLES = ("primary", "fallback", "embedding", "reranker", "routed")
USAGE_DECLARED_BY = ("analyst", "vendor", "bom")
DECLARED_MODEL_SOURCES = ("vendor", "analyst")

ModelKind = Literal["hub", "closed", "declared"]
MODEL_KINDS: tuple[ModelKind, ...] = ("hub", "closed", "declared")


@dataclass(frozen=True)
class ModelRef:
    """A model named in the portfolio: ``hub:ORG/NAME``, ``closed:NAME`` or ``declared:NAME``."""

    kind: ModelKind
    name: str

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Read a reference; raises ValueError saying what is wrong with it."""
        kind, sep, name = text.partition(":")
        if not sep:
            raise ValueError(f"{text!r} is not a model reference; write hub:ORG/NAME, closed:NAME or declared:NAME")
        if kind not in MODEL_KINDS:
            raise ValueError(f"{text!r} has an unknown kind {kind!r}; use one of {', '.join(MODEL_KINDS)}")
        if not name or name != name.strip() or any(ch.isspace() for ch in name):
            raise ValueError(f"{text!r} needs a name with no spaces after {kind}:")
        if kind == "hub":
            org, slash, repo = name.partition("/")
            if not (slash and org and repo) or "/" in repo:
                raise ValueError(f"{text!r} is not a hub repo id; write hub:ORG/NAME")
        return cls(kind=cast(ModelKind, kind), name=name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class ContactSpec:
    name: str
    email: str
    role: str = ""


@dataclass(frozen=True)
class UsageSpec:
    """A product uses a model in a role, served by a host (and region)."""

    model: ModelRef
    role: str
    declared_by: str
    host: str | None = None
    region: str | None = None
    share: int | None = None  # percent of the product's traffic; routed role only
    notes: str = ""


@dataclass(frozen=True)
class ProductSpec:
    name: str
    criticality: str
    status: str
    description: str = ""
    business_owner: str = ""
    data_categories: tuple[str, ...] = ()
    usages: tuple[UsageSpec, ...] = ()


@dataclass(frozen=True)
class VendorSpec:
    name: str
    country: str
    tier: str
    status: str
    website: str = ""
    description: str = ""
    hub_orgs: tuple[str, ...] = ()  # hub organisations that are the vendor's own (it publishes those models)
    contacts: tuple[ContactSpec, ...] = ()
    products: tuple[ProductSpec, ...] = ()


@dataclass(frozen=True)
class DeclaredModelSpec:
    """A model with no public record, known only from what a vendor or an analyst said about it."""

    name: str
    source: str
    publisher_hint: str = ""
    parents: tuple[ModelRef, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Portfolio:
    vendors: tuple[VendorSpec, ...]
    declared_models: tuple[DeclaredModelSpec, ...] = ()

    def products(self) -> Iterator[tuple[VendorSpec, ProductSpec]]:
        for vendor in self.vendors:
            for product in vendor.products:
                yield vendor, product

    def usages(self) -> Iterator[tuple[VendorSpec, ProductSpec, UsageSpec]]:
        for vendor, product in self.products():
            for usage in product.usages:
                yield vendor, product, usage

    def model_refs(self) -> set[ModelRef]:
        """Every model named anywhere: in a usage or as a declared model's parent."""
        refs = {usage.model for _, _, usage in self.usages()}
        refs.update(parent for declared in self.declared_models for parent in declared.parents)
        refs.update(ModelRef("declared", declared.name) for declared in self.declared_models)
        return refs
