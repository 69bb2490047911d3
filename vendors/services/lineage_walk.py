"""The walk over the hub: from seed repos up to the roots, each unique repo fetched once, many at a time.

The walk only fetches and discovers; what it finds is handed, node by node and on the calling thread, to a
callback that stores it. Hub requests run on a thread pool bounded by ``concurrency`` (and the client's own
rate limit); the database is touched only by the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import Discovery, discover_parents
from vendors.lineage.gaps import node_outcome


@dataclass(frozen=True)
class WalkLimits:
    max_depth: int = 32
    max_nodes: int = 20000
    concurrency: int = 16


@dataclass
class WalkStats:
    queued: int = 0  # unique repos asked for so far (grows as ancestors are discovered)
    fetched: int = 0
    failed: int = 0
    depth_limited: list[str] = field(default_factory=list)
    node_limit_reached: bool = False


class _Fetcher:
    """What the walk needs from the hub client (vendors.hub.HubClient satisfies it)."""

    def fetch(self, repo_id: str) -> RepoSnapshot:  # pragma: no cover - protocol
        raise NotImplementedError


def lineage_walk(
    seeds: Iterable[str],
    *,
    client: _Fetcher,
    on_node: Callable[[RepoSnapshot, Discovery, int], None],
    limits: WalkLimits = WalkLimits(),
    aliases: Mapping[str, str] | None = None,
    stats: WalkStats | None = None,
    claim: Callable[[list[str]], set[str]] | None = None,
) -> WalkStats:
    """Fetch every seed and, breadth-first, every ancestor they name, once each.

    ``aliases`` maps known former ids (lower-case) to current ids, so a renamed repo that is already known is
    asked for by its new name and not fetched twice through the redirect. ``claim(repo_ids)`` (when several
    walks share one refresh) answers which of these repos (lower-case ids) this walk fetches; a repo claimed by
    another walk is left to it, ancestors included. It is asked once for the seeds, then once per round of
    answers for the parents they name, not once per repo.
    """
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    stats = stats if stats is not None else WalkStats()
    seen: set[str] = set()  # lower-case ids asked for, or answered as after a redirect

    def canonical(repo_id: str) -> str:
        return aliases.get(repo_id.lower(), repo_id)

    with ThreadPoolExecutor(max_workers=max(1, limits.concurrency), thread_name_prefix="hub") as pool:
        pending: dict[Future, tuple[str, int]] = {}

        def submit(found: Iterable[tuple[str, int]]) -> None:
            """Queue these (repo id, depth) pairs, claiming them all at once."""
            wanted: list[tuple[str, int]] = []
            for repo_id, depth in found:
                repo_id = canonical(repo_id)
                if repo_id.lower() in seen:
                    continue
                if depth > limits.max_depth:
                    stats.depth_limited.append(repo_id)
                    seen.add(repo_id.lower())
                    continue
                if len(seen) >= limits.max_nodes:
                    stats.node_limit_reached = True
                    break
                seen.add(repo_id.lower())
                wanted.append((repo_id, depth))
            if claim is not None and wanted:
                owned = claim([repo_id for repo_id, _ in wanted])
                wanted = [(repo_id, depth) for repo_id, depth in wanted if repo_id.lower() in owned]
            for repo_id, depth in wanted:
                stats.queued += 1
                pending[pool.submit(client.fetch, repo_id)] = (repo_id, depth)

        submit((seed, 0) for seed in seeds)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            parents: list[tuple[str, int]] = []  # with claims, those of every node of this round, claimed together
            for future in done:
                repo_id, depth = pending.pop(future)
                snapshot = _result(future, repo_id)
                seen.add(snapshot.repo_id.lower())
                if snapshot.redirected_from:
                    aliases[snapshot.requested_id.lower()] = snapshot.repo_id
                discovery = discover_parents(snapshot)
                stats.fetched += 1
                stats.failed += node_outcome(snapshot, discovery.gaps)[0] != "resolved"
                on_node(snapshot, discovery, depth)
                found = [(parent.repo_id, depth + 1) for parent in discovery.parents]
                if claim is None:
                    submit(found)  # asked for at once: nothing to agree with another walk first
                else:
                    parents += found
            submit(parents)
    return stats


def _result(future: Future, repo_id: str) -> RepoSnapshot:
    """The client maps hub failures to statuses; anything it raises anyway becomes an error node, so one bad
    repo never stops a portfolio refresh."""
    try:
        return future.result()
    except Exception as error:
        return RepoSnapshot(
            requested_id=repo_id,
            repo_id=repo_id,
            status="error",
            status_reason=f"unexpected error while fetching: {type(error).__name__}",
        )
