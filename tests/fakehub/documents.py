"""JSON documents the fake hub returns, shaped like the real Hub's responses.

Kept apart from the HTTP layer so the shapes can be read (and checked against
``huggingface_hub``'s parsers, e.g. ``ModelInfo.__init__``, ``RepoFile``,
``Organization``) in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .records import DEFAULT_DATE, Repo, Snapshot, derived_hex

#: ``ExpandModelProperty_T`` of huggingface_hub 2.4.0: anything else is a 400.
EXPAND_PROPERTIES = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData",
    }
)  # fmt: skip
#: Accepted on ``/api/models/{id}`` only, not on listings (huggingface_hub PR #3182).
DETAIL_ONLY_EXPAND = frozenset({"baseModels", "childrenModelCount", "usedStorage"})

# Key order of a plain ``GET /api/models/{id}`` on the live Hub.
_DEFAULT_INFO_KEYS = (
    "private", "pipeline_tag", "library_name", "tags", "downloads", "likes", "modelId", "author", "sha",
    "lastModified", "gated", "disabled", "mask_token", "widgetData", "model-index", "config", "cardData",
    "transformersInfo", "siblings", "spaces", "createdAt", "safetensors", "gguf", "inference", "usedStorage",
)  # fmt: skip
_LIST_KEYS = ("likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt")
_LIST_FULL_KEYS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
# Keys the document builders compute; any other record key is passed through verbatim.
_KNOWN_KEYS = EXPAND_PROPERTIES | {"_id", "id", "modelId", "securityRepoStatus"}

Resolver = Callable[[str], Repo | None]


def siblings(snapshot: Snapshot, *, blobs: bool = False) -> Any:
    """``siblings`` entries; sizes, blob ids and LFS info only with ``blobs=true`` (as on the Hub)."""
    recorded = snapshot.fields.get("siblings")
    if recorded is not None and not isinstance(recorded, list):
        return recorded  # hostile records may pin a malformed value
    entries = []
    for item in snapshot.files.values():
        entry: dict[str, Any] = {"rfilename": item.path}
        if blobs:
            entry.update(blobId=item.blob_id, size=item.size)
            if item.is_lfs:
                entry["lfs"] = {"sha256": item.lfs_sha256, "size": item.size, "pointerSize": item.pointer_size}
        entries.append(entry)
    return entries


def base_models(snapshot: Snapshot, resolve: Resolver) -> dict[str, Any] | None:
    """The ``baseModels`` expand: existing parents only, under their current (post-rename) ids."""
    models = []
    for parent in snapshot.parents:
        repo = resolve(parent)
        if repo is not None and not repo.private:
            models.append({"_id": repo.record["_id"], "id": repo.repo_id})
    if not models:
        return None
    return {"relation": snapshot.relation, "models": models}


def properties(repo: Repo, snapshot: Snapshot) -> dict[str, Any]:
    """Expandable properties of a snapshot; ``None`` means "no value" (the key is omitted).

    ``baseModels`` and ``childrenModelCount`` need the whole world and are only
    computed by :func:`model_info` when asked for.
    """
    fields, card = snapshot.fields, snapshot.card_data
    created = fields.get("createdAt") or DEFAULT_DATE
    downloads = fields.get("downloads", 0)
    namespace = repo.repo_id.split("/")[0] if "/" in repo.repo_id else None
    return {
        "author": fields.get("author", namespace),
        "cardData": fields.get("cardData"),
        "config": fields.get("config"),
        "createdAt": created,
        "disabled": bool(fields.get("disabled", False)),
        "downloads": downloads,
        "downloadsAllTime": fields.get("downloadsAllTime", downloads),
        "evalResults": fields.get("evalResults"),
        "gated": fields.get("gated") or False,
        "gguf": fields.get("gguf"),
        "inference": fields.get("inference"),
        "inferenceProviderMapping": fields.get("inferenceProviderMapping"),
        "lastModified": fields.get("lastModified") or created,
        "library_name": fields.get("library_name", card.get("library_name")),
        "likes": fields.get("likes", 0),
        "mask_token": fields.get("mask_token"),
        "model-index": fields.get("model-index"),
        "pipeline_tag": fields.get("pipeline_tag", card.get("pipeline_tag")),
        "private": bool(fields.get("private", False)),
        "resourceGroup": fields.get("resourceGroup"),
        "safetensors": fields.get("safetensors"),
        "sha": snapshot.sha,
        "siblings": siblings(snapshot),
        "spaces": fields.get("spaces", []),
        "tags": snapshot.tags,
        "transformersInfo": fields.get("transformersInfo"),
        "trendingScore": fields.get("trendingScore", 0),
        "usedStorage": fields.get("usedStorage", sum(item.size for item in snapshot.files.values())),
        "widgetData": fields.get("widgetData"),
    }


def _head(repo: Repo) -> dict[str, Any]:
    return {"_id": repo.record["_id"], "id": repo.repo_id}


def model_info(
    repo: Repo,
    snapshot: Snapshot,
    resolve: Resolver,
    children: Callable[[str], int],
    *,
    expand: list[str] | None = None,
    blobs: bool = False,
    security: bool = False,
) -> dict[str, Any]:
    """``GET /api/models/{id}``: the default document, or ``_id``/``id`` plus the expanded keys."""
    props = properties(repo, snapshot)
    doc = _head(repo)
    if expand:
        if "baseModels" in expand:
            props["baseModels"] = base_models(snapshot, resolve)
        if "childrenModelCount" in expand:
            props["childrenModelCount"] = children(repo.repo_id)
        doc.update((key, props[key]) for key in expand if props.get(key) is not None)
        return doc
    props["modelId"] = repo.repo_id
    doc.update((key, props[key]) for key in _DEFAULT_INFO_KEYS if props.get(key) is not None)
    if blobs:
        doc["siblings"] = siblings(snapshot, blobs=True)
    if security:
        doc["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
    doc.update((k, v) for k, v in snapshot.fields.items() if k not in _KNOWN_KEYS)
    return doc


def listing_item(
    repo: Repo,
    *,
    expand: list[str] | None = None,
    full: bool = False,
    card_data: bool = False,
    config: bool = False,
) -> dict[str, Any]:
    """One element of ``GET /api/models``: a short document unless ``full``/``expand`` ask for more."""
    props = properties(repo, repo.main)
    doc = _head(repo)
    if expand:
        doc.update((key, props[key]) for key in expand if props.get(key) is not None)
        return doc
    keys = _LIST_KEYS + (_LIST_FULL_KEYS if full else ())
    doc.update((key, props[key]) for key in keys if props.get(key) is not None)
    if (card_data or full) and props["cardData"] is not None:
        doc["cardData"] = props["cardData"]
    if config and props["config"] is not None:
        doc["config"] = props["config"]
    doc["modelId"] = repo.repo_id
    return doc


def tree(snapshot: Snapshot, path: str, *, recursive: bool, expand: bool) -> list[dict[str, Any]] | None:
    """``GET /api/models/{id}/tree/{rev}/{path}`` entries, or ``None`` when ``path`` is not a folder."""
    folders = {"/".join(p.split("/")[:i]) for p in snapshot.files for i in range(1, p.count("/") + 1)}
    prefix = path.strip("/")
    if prefix and prefix not in folders:
        return None
    base = f"{prefix}/" if prefix else ""

    def wanted(candidate: str) -> bool:
        return candidate.startswith(base) and (recursive or "/" not in candidate[len(base) :])

    commit = {
        "id": snapshot.sha,
        "title": "Upload folder using huggingface_hub",
        "date": snapshot.fields.get("lastModified") or snapshot.fields.get("createdAt") or DEFAULT_DATE,
    }
    entries: list[dict[str, Any]] = []
    for folder in sorted(f for f in folders if wanted(f)):
        entry: dict[str, Any] = {
            "type": "directory",
            "oid": derived_hex("tree", snapshot.sha, folder),
            "size": 0,
            "path": folder,
        }
        if expand:
            entry["lastCommit"] = commit
        entries.append(entry)
    for item in snapshot.files.values():
        if not wanted(item.path):
            continue
        entry = {"type": "file", "oid": item.blob_id, "size": item.size, "path": item.path}
        if item.is_lfs:
            entry["lfs"] = {"oid": item.lfs_sha256, "size": item.size, "pointerSize": item.pointer_size}
        if expand:
            entry["lastCommit"] = commit
            entry["securityFileStatus"] = {
                "status": "safe",
                "avScan": {"virusFound": False, "virusNames": None},
                "pickleImportScan": None,
            }
        entries.append(entry)
    return entries


def _avatar(name: str) -> str:
    return (
        f"https://cdn-avatars.huggingface.co/v1/production/uploads/{derived_hex('avatar', name, length=24)}/avatar.png"
    )


def organization_overview(name: str, profile: dict[str, Any], num_models: int) -> dict[str, Any]:
    """``GET /api/organizations/{org}/overview`` (no country field exists on the Hub)."""
    return {
        "_id": derived_hex("org", name, length=24),
        "avatarUrl": profile.get("avatarUrl", _avatar(name)),
        "fullname": profile.get("fullname", name),
        "name": name,
        "type": "org",
        "isVerified": bool(profile.get("isVerified", False)),
        "isFollowing": False,
        "numUsers": profile.get("numUsers", 1),
        "numModels": num_models,
        "numSpaces": profile.get("numSpaces", 0),
        "numDatasets": profile.get("numDatasets", 0),
        "numFollowers": profile.get("numFollowers", 0),
        "numPapers": profile.get("numPapers", 0),
        **({"plan": profile["plan"]} if "plan" in profile else {}),
        **({"details": profile["details"]} if "details" in profile else {}),
    }


def user_overview(name: str, profile: dict[str, Any], num_models: int) -> dict[str, Any]:
    """``GET /api/users/{user}/overview``."""
    return {
        "_id": derived_hex("user", name, length=24),
        "avatarUrl": profile.get("avatarUrl", _avatar(name)),
        "isPro": bool(profile.get("isPro", False)),
        "fullname": profile.get("fullname", name),
        "user": name,
        "type": "user",
        "isFollowing": False,
        "numModels": num_models,
        "numDatasets": profile.get("numDatasets", 0),
        "numSpaces": profile.get("numSpaces", 0),
        "numDiscussions": profile.get("numDiscussions", 0),
        "numPapers": profile.get("numPapers", 0),
        "numUpvotes": profile.get("numUpvotes", 0),
        "numLikes": profile.get("numLikes", 0),
        "numFollowing": profile.get("numFollowing", 0),
        "numFollowers": profile.get("numFollowers", 0),
        "orgs": [],
        **({"details": profile["details"]} if "details" in profile else {}),
    }
