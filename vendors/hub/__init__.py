"""The hub client: the only code that talks to the model hub (huggingface.co or a mirror at ``HF_ENDPOINT``).

``HubClient(...).fetch(repo_id)`` returns a ``vendors.lineage.snapshot.RepoSnapshot``: one metadata request,
the repo's small lineage files, retries and pacing included, and failures as node statuses rather than
exceptions. ``client`` holds the HTTP side, ``retry`` the waits, ``convert`` the defensive conversion.
"""

from vendors.hub.client import EXPAND, HubClient
from vendors.hub.convert import LINEAGE_FILE_NAME, MAX_LINEAGE_FILE_BYTES, MAX_LINEAGE_FILES

__all__ = ["EXPAND", "LINEAGE_FILE_NAME", "MAX_LINEAGE_FILES", "MAX_LINEAGE_FILE_BYTES", "HubClient"]
