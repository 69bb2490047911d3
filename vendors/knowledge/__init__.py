"""The curated jurisdiction knowledge base: the TOML files in this folder, and the code that reads them.

Three files, each row with its sources:

* ``publishers.toml``: who made a model (hub org ids -> legal entity, country, flags);
* ``hosts.toml``: who serves it (API hostnames, operator country, regions);
* ``closed_models.toml``: closed API model ids -> publisher and hosts.

:mod:`~vendors.knowledge.records` holds the records and the lookups, :mod:`~vendors.knowledge.parse` reads and
validates the files (with :mod:`~vendors.knowledge.reader` for one row's typed fields). Pure: no Django models or
settings, no I/O beyond reading the three files. :mod:`~vendors.knowledge.provenance` classifies every
row's sources as primary or secondary. Every problem found is collected and raised together in one
:class:`KnowledgeBaseError`, so an operator editing the files sees all mistakes at once. See ``README.md`` here.
"""

from vendors.knowledge.parse import (
    CLOSED_MODELS_FILE,
    DEFAULT_DIR,
    HOSTS_FILE,
    PUBLISHERS_FILE,
    KnowledgeBaseError,
    load_knowledge_base,
)
from vendors.knowledge.provenance import PRIMARY_DOMAINS, Source
from vendors.knowledge.records import (
    FLAGS,
    HOST_KINDS,
    HOSTNAME_PLACEHOLDERS,
    ClosedModelRecord,
    HostMatch,
    HostRecord,
    KnowledgeBase,
    PublisherRecord,
    RegionRecord,
)

__all__ = [
    "CLOSED_MODELS_FILE",
    "DEFAULT_DIR",
    "FLAGS",
    "HOSTNAME_PLACEHOLDERS",
    "HOSTS_FILE",
    "HOST_KINDS",
    "PRIMARY_DOMAINS",
    "PUBLISHERS_FILE",
    "ClosedModelRecord",
    "HostMatch",
    "HostRecord",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "PublisherRecord",
    "RegionRecord",
    "Source",
    "load_knowledge_base",
]
