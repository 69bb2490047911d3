"""Node ids as people read them. The lineage names a model with no hub repo ``kind:name`` (``closed:gpt-4o``,
``declared:acme-internal-7b``; see ``vendors.selectors.node_key``): integrators read those ids as they are (API,
CSV, ``lineage --json``), pages show the name alone. Pure."""

from __future__ import annotations

import re

_NODE_PREFIX = re.compile(r"(?<![\w/.:-])(?:closed|declared):(?=[\w.])")


def plain_ids(text: str) -> str:
    """``closed:deepseek-reasoner (DeepSeek, CN) is a root`` → ``deepseek-reasoner (DeepSeek, CN) is a root``."""
    return _NODE_PREFIX.sub("", str(text))
