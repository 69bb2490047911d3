"""What identifies a repo without its weights, read from the hub: ``config.json``, ``tokenizer_config.json``, the
safetensors parameter count and, for repos whose parents are inferred, the README text.

Read through huggingface_hub like the rest of lineage (``model_info`` for the counts and file list, the bounded
download for the files, at the commit the metadata names), never executed, never cached on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx2
from huggingface_hub import hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from vendors.hub.convert import parse_json_object, pinned_revision, safetensors_parameters, sibling_names
from vendors.hub.downloads import LineageFileTooLarge, download_small
from vendors.hub.retry import HubUnavailable
from vendors.lineage.inference import Exposed

if TYPE_CHECKING:
    from vendors.hub.client import HubClient

logger = logging.getLogger(__name__)

#: The identifying files, read when the repo lists them.
CONFIG_FILE, TOKENIZER_FILE, README_FILE = "config.json", "tokenizer_config.json", "README.md"
#: Largest identifying JSON file read: real tokenizer configs with a long added-token table reach a few hundred KiB.
MAX_IDENTITY_FILE_BYTES = 2 * 1024 * 1024
#: Largest README read (the prose claims are near the top; long cards are cut, not refused).
MAX_README_BYTES = 512 * 1024
#: Most file names kept for the inference (merge configs, GGUF files, adapters are recognised by name).
MAX_FILE_NAMES = 512
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, RecursionError)


@dataclass(frozen=True)
class RepoIdentity:
    """A repo's identifying files at one revision; ``None`` for a file that is absent or could not be read,
    with the reason in ``problems`` (our own words)."""

    repo_id: str
    revision: str
    config: Mapping[str, Any] | None = None
    tokenizer_config: Mapping[str, Any] | None = None
    readme: str = ""
    parameters: int | None = None
    files: tuple[str, ...] = ()
    created_at: datetime | None = None
    problems: tuple[str, ...] = ()
    readme_read: bool = False  # asked for (``readme``): ``readme`` is then the README, empty when there is none

    def exposed(self) -> Exposed:
        return Exposed(
            repo_id=self.repo_id,
            config=self.config,
            tokenizer_config=self.tokenizer_config,
            readme=self.readme,
            parameters=self.parameters,
            files=self.files,
            created_at=self.created_at,
        )


def identity_downloads(siblings: tuple[str, ...], *, readme: bool) -> tuple[str, ...]:
    """The files ``fetch_identity`` downloads when given the walk's file list (``siblings``): none for a repo that
    lists none of the identifying files (a README counts only when asked for), which is then read without a request."""
    wanted = (CONFIG_FILE, TOKENIZER_FILE, README_FILE) if readme else (CONFIG_FILE, TOKENIZER_FILE)
    return tuple(path for path in wanted if path in siblings)


def fetch_identity(
    client: HubClient,
    repo_id: str,
    revision: str = "",
    *,
    siblings: tuple[str, ...] | None = None,
    parameters: int | None = None,
    readme: bool = False,
) -> RepoIdentity:
    """The identifying files of ``repo_id`` at ``revision`` (the current one when empty). Never raises for what
    the hub does: a repo that cannot be read comes back empty, with the reason.

    With ``siblings`` (the file list the lineage walk has just read at ``revision``, with its ``parameters``
    count) only the files are downloaded: the walk asked for the metadata once already. Without, one
    ``model_info`` request reads the file list, the commit, the creation date and the parameter count first.
    """
    started = client._clock()
    created, repo, sha = None, repo_id, revision
    if siblings is None:
        try:
            info = client._retrying(
                lambda: client._api.model_info(
                    repo_id,
                    revision=revision or None,
                    expand=["sha", "siblings", "safetensors", "createdAt"],
                    timeout=client.timeout,
                ),
                started=started,
                max_bytes=client.max_metadata_bytes,
            )
        except Exception as exc:  # the walk reports this repo's state; here it only means "no identity"
            if not isinstance(
                exc, HfHubHTTPError | HubUnavailable | httpx2.HTTPError | OfflineModeIsEnabled | _MALFORMED
            ):
                raise
            logger.info("hub: %s: identity not read (%s)", repo_id, type(exc).__name__)
            return RepoIdentity(repo_id, revision, problems=(f"metadata not read ({type(exc).__name__})",))
        repo, sha = info.id, info.sha if isinstance(info.sha, str) else ""
        siblings, parameters = sibling_names(info), safetensors_parameters(info)
        created = info.created_at if isinstance(info.created_at, datetime) else None
    pinned = pinned_revision(sha) if sha else "main"
    problems: list[str] = []

    def read(path: str, max_bytes: int) -> bytes | None:
        if path not in siblings:
            return None
        url = hf_hub_url(repo, path, revision=pinned, endpoint=client.endpoint)
        try:
            return client._retrying(
                lambda: download_small(url, token=client._token, timeout=client.timeout, max_bytes=max_bytes),
                started=started,
            )
        except (HubUnavailable, HfHubHTTPError, httpx2.HTTPError, OfflineModeIsEnabled, LineageFileTooLarge) as exc:
            problems.append(f"{path}: {client._file_failure(exc)[1]}")
            return None

    documents = {}
    for path in (CONFIG_FILE, TOKENIZER_FILE):
        body = read(path, MAX_IDENTITY_FILE_BYTES)
        documents[path] = parse_json_object(body) if body is not None else None
        if body is not None and documents[path] is None:
            problems.append(f"{path}: not a JSON object")
    text = ""
    if readme and (body := read(README_FILE, MAX_README_BYTES)) is not None:
        text = body.decode("utf-8", errors="replace")
    return RepoIdentity(
        repo_id=repo,
        revision=sha,
        config=documents[CONFIG_FILE],
        tokenizer_config=documents[TOKENIZER_FILE],
        readme=text,
        parameters=parameters,
        files=tuple(siblings[:MAX_FILE_NAMES]),
        created_at=created,
        problems=tuple(problems),
        readme_read=readme,
    )
