"""What an import will do, row by row: create, change, leave alone or refuse (with the reason). Pure: the parsed
rows and a snapshot of the portfolio in, a plan out; the service applies it through the portfolio services.

A blank cell means "not given": it never clears a value. An import adds and updates; it never removes, retires
or revives anything."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from vendors.csv_import.parse import Row
from vendors.models.lineage import AIModelKind

CREATE, CHANGE, UNCHANGED, REFUSED = "create", "change", "unchanged", "refused"
OUTCOMES = (CREATE, CHANGE, UNCHANGED, REFUSED)


@dataclass(frozen=True)
class VendorFact:
    id: int
    name: str
    country: str
    website: str
    tier: str
    archived: bool = False


@dataclass(frozen=True)
class ProductFact:
    id: int
    vendor_id: int
    name: str
    criticality: str
    business_owner: str
    data_categories: tuple[str, ...]
    retired: bool = False


@dataclass(frozen=True)
class UsageFact:
    id: int
    share: int | None


@dataclass
class PortfolioState:
    """The part of the portfolio a file names, keyed as rows name it (names lower-cased)."""

    vendors: dict[str, VendorFact] = field(default_factory=dict)
    products: dict[tuple[int, str], ProductFact] = field(default_factory=dict)
    #: (product id, model id, role, host key, region code) -> the active usage
    usages: dict[tuple[int, int, str, str, str], UsageFact] = field(default_factory=dict)
    #: (kind, lower-case name or alias) -> model id
    models: dict[tuple[str, str], int] = field(default_factory=dict)
    #: host key -> its region codes
    hosts: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowPlan:
    row: Row
    outcome: str
    notes: tuple[str, ...]
    vendor: str | None = None  # "create", "update" or None
    vendor_changes: dict = field(default_factory=dict)
    product: str | None = None
    product_changes: dict = field(default_factory=dict)
    usage: str | None = None
    usage_id: int | None = None
    usage_changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    rows: tuple[RowPlan, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: sum(1 for r in self.rows if r.outcome == outcome) for outcome in OUTCOMES}

    @property
    def refused(self) -> tuple[RowPlan, ...]:
        return tuple(r for r in self.rows if r.outcome == REFUSED)

    @property
    def digest(self) -> str:
        """A fingerprint of what the plan will do: applying checks that it is still what was previewed."""
        shape = [[r.row.line, r.outcome, list(r.notes)] for r in self.rows]
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()

    def summary(self, *, done: bool) -> str:
        c = self.counts
        verbs = (
            ("created", "changed", "left alone", "refused")
            if done
            else ("to create", "to change", "to leave alone", "refused")
        )
        parts = [f"{c[o]} {verb}" for o, verb in zip(OUTCOMES, verbs, strict=True)]
        return f"{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}: {', '.join(parts)}"


_VENDOR_COLUMNS = {"vendor_country": "country", "vendor_website": "website", "vendor_tier": "tier"}
_PRODUCT_COLUMNS = {
    "product_criticality": "criticality",
    "product_business_owner": "business_owner",
    "product_data_categories": "data_categories",
}


class _Planner:
    def __init__(self, state: PortfolioState):
        self.state = state
        # What earlier rows of the file will have made of each vendor and product: (values, line that set each).
        self.vendors: dict[str, dict] = {}
        self.products: dict[tuple[str, str], dict] = {}
        self.usages: dict[tuple, int] = {}

    def row(self, row: Row) -> RowPlan:
        if row.errors:
            return RowPlan(row, REFUSED, row.errors)
        if row.ended:
            return RowPlan(row, UNCHANGED, ("An ended model usage: the import leaves it as it was.",))
        reasons: list[str] = []
        notes: list[str] = []
        vendor_action, vendor_changes, vendor_id = self._vendor(row, notes, reasons)
        product_action, product_changes, product_id = (None, {}, None)
        if row.product and not reasons:
            product_action, product_changes, product_id = self._product(row, vendor_id, notes, reasons)
        usage_action, usage_id, usage_changes = (None, None, {})
        if row.model and not reasons:
            usage_action, usage_id, usage_changes = self._usage(row, product_id, notes, reasons)
        if reasons:
            return RowPlan(row, REFUSED, tuple(reasons))
        self._remember(row, vendor_changes, product_changes)
        actions = (vendor_action, product_action, usage_action)
        outcome = CREATE if "create" in actions else CHANGE if "update" in actions else UNCHANGED
        if outcome == UNCHANGED:
            notes.append("Already as the row says.")
        return RowPlan(
            row, outcome, tuple(notes), vendor_action, vendor_changes, product_action, product_changes, usage_action,
            usage_id, usage_changes,
        )  # fmt: skip

    # -- vendors ---------------------------------------------------------------------------------------------------
    def _vendor(self, row: Row, notes: list[str], reasons: list[str]):
        key = row.vendor.lower()
        given = {attr: getattr(row, column) for column, attr in _VENDOR_COLUMNS.items() if getattr(row, column)}
        earlier = self.vendors.get(key)
        fact = self.state.vendors.get(key)
        if fact is not None and fact.archived:
            reasons.append(f"Vendor {fact.name} is archived; restore it before importing into it.")
            return None, {}, None
        if earlier is not None:
            current = earlier["values"]
        elif fact is not None:
            current = {"country": fact.country, "website": fact.website, "tier": fact.tier}
        else:
            current = None
        if current is None:
            if "country" not in given:
                reasons.append(f"vendor_country: required for a new vendor ({row.vendor}).")
                return None, {}, None
            notes.append(f"New vendor {row.vendor} ({given['country']}).")
            return "create", given, None
        changes = {attr: value for attr, value in given.items() if current.get(attr) != value}
        for attr, value in changes.items():
            if earlier is not None and attr in earlier["set_by"]:
                line = earlier["set_by"][attr]
                reasons.append(f"vendor {attr} “{value}” conflicts with row {line} (“{current.get(attr)}”).")
        if reasons:
            return None, {}, None
        vendor_id = fact.id if fact is not None else None
        if changes:
            notes.append(
                f"Vendor {row.vendor}: "
                + ", ".join(f"{a} {current.get(a) or '(blank)'} → {v}" for a, v in changes.items())
            )
            return "update", changes, vendor_id
        return None, {}, vendor_id

    # -- products --------------------------------------------------------------------------------------------------
    def _product(self, row: Row, vendor_id: int | None, notes: list[str], reasons: list[str]):
        key = (row.vendor.lower(), row.product.lower())
        given = {attr: getattr(row, column) for column, attr in _PRODUCT_COLUMNS.items() if getattr(row, column)}
        earlier = self.products.get(key)
        fact = self.state.products.get((vendor_id, row.product.lower())) if vendor_id is not None else None
        if fact is not None and fact.retired:
            reasons.append(f"Product {fact.name} is retired; its record is kept as it was.")
            return None, {}, None
        if earlier is not None:
            current = earlier["values"]
        elif fact is not None:
            current = {
                "criticality": fact.criticality,
                "business_owner": fact.business_owner,
                "data_categories": fact.data_categories,
            }
        else:
            notes.append(f"New product {row.product}.")
            return "create", given, None
        changes = {attr: value for attr, value in given.items() if current.get(attr) != value}
        for attr in changes:
            if earlier is not None and attr in earlier["set_by"]:
                reasons.append(f"product {attr} conflicts with row {earlier['set_by'][attr]}.")
        if reasons:
            return None, {}, None
        product_id = fact.id if fact is not None else None
        if changes:
            notes.append(f"Product {row.product}: " + ", ".join(f"{a} → {_show(v)}" for a, v in changes.items()))
            return "update", changes, product_id
        return None, {}, product_id

    # -- model usages ----------------------------------------------------------------------------------------------
    def _usage(self, row: Row, product_id: int | None, notes: list[str], reasons: list[str]):
        model_id = self.state.models.get((row.model_kind, row.model.lower()))
        if row.model_kind == AIModelKind.CLOSED and model_id is None:
            reasons.append(
                f"model: “{row.model}” is not in the catalogue of closed API models; an admin can add it to the "
                "knowledge base."
            )
        if row.host:
            regions = self.state.hosts.get(row.host)
            if regions is None:
                reasons.append(f"host: unknown host “{row.host}”; use a host key from the knowledge base.")
            elif row.region and row.region not in regions:
                reasons.append(f"region: “{row.region}” is not a region of {row.host}.")
        if reasons:
            return None, None, {}
        key = (
            row.vendor.lower(),
            row.product.lower(),
            row.model_kind,
            row.model.lower(),
            row.role,
            row.host,
            row.region,
        )
        if key in self.usages:
            reasons.append(f"The same model usage as row {self.usages[key]}.")
            return None, None, {}
        self.usages[key] = row.line
        fact = None
        if product_id is not None and model_id is not None:
            fact = self.state.usages.get((product_id, model_id, row.role, row.host, row.region))
        where = f" on {row.host}" + (f" ({row.region})" if row.region else "") if row.host else ""
        if fact is None:
            notes.append(f"New model usage: {row.model} ({row.role}){where}.")
            return "create", None, {}
        if row.share is not None and row.share != fact.share:
            notes.append(f"Model usage {row.model}: share {fact.share or '(blank)'} → {row.share}.")
            return "update", fact.id, {"share": row.share}
        return None, fact.id, {}

    def _remember(self, row: Row, vendor_changes: dict, product_changes: dict) -> None:
        vendor = self.vendors.get(row.vendor.lower())
        if vendor is None:
            fact = self.state.vendors.get(row.vendor.lower())
            base = {"country": fact.country, "website": fact.website, "tier": fact.tier} if fact else {}
            vendor = self.vendors[row.vendor.lower()] = {"values": base, "set_by": {}}
        for attr, value in vendor_changes.items():
            vendor["values"][attr] = value
            vendor["set_by"][attr] = row.line
        if not row.product:
            return
        key = (row.vendor.lower(), row.product.lower())
        product = self.products.get(key)
        if product is None:
            vendor_fact = self.state.vendors.get(key[0])
            fact = self.state.products.get((vendor_fact.id, key[1])) if vendor_fact else None
            base = {}
            if fact is not None:
                base = {
                    "criticality": fact.criticality,
                    "business_owner": fact.business_owner,
                    "data_categories": fact.data_categories,
                }
            product = self.products[key] = {"values": base, "set_by": {}}
        for attr, value in product_changes.items():
            product["values"][attr] = value
            product["set_by"][attr] = row.line


def _show(value) -> str:
    return "; ".join(value) if isinstance(value, tuple) else str(value)


def import_plan(rows: list[Row], state: PortfolioState) -> Plan:
    """What importing these rows into this portfolio will do, row by row in file order."""
    planner = _Planner(state)
    return Plan(rows=tuple(planner.row(row) for row in rows))
