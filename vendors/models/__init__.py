"""What vendors run: the portfolio (vendors, products, model usages), the lineage graph and the knowledge base."""

from vendors.models.bom import BomImport, BomVersion
from vendors.models.imports import CsvImport
from vendors.models.inference import InferredEdge, ModelFilesUpload, ModelFingerprint
from vendors.models.knowledge import Host, HostRegion, Publisher, PublisherOrg
from vendors.models.lineage import (
    AIModel,
    AIModelAlias,
    ChangeEvent,
    LineageEdge,
    LineageRefresh,
    LineageRefreshChunk,
    LineageRefreshClaim,
)
from vendors.models.portfolio import Contact, DataCategory, ModelUsage, Product, Vendor

__all__ = [
    "AIModel",
    "AIModelAlias",
    "BomImport",
    "BomVersion",
    "ChangeEvent",
    "Contact",
    "CsvImport",
    "DataCategory",
    "Host",
    "HostRegion",
    "InferredEdge",
    "LineageEdge",
    "LineageRefresh",
    "LineageRefreshChunk",
    "LineageRefreshClaim",
    "ModelFilesUpload",
    "ModelFingerprint",
    "ModelUsage",
    "Product",
    "Publisher",
    "PublisherOrg",
    "Vendor",
]
