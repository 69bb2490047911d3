"""The walk over the hub: from seed repos up to the roots, each unique repo fetched once, many at a time.

The walk only fetches and discovers; what it finds is handed, node by node and on the calling thread, to a
callback that stores it. Hub requests run on ``concurrency`` threads (and within the client's own rate limit) that
take the next repo themselves as soon as they are free, the deepest known first: a parent is asked for ahead of
the seeds still waiting, so a long chain is walked while the seeds are, not after them. The database is touched
only by the caller's thread.
"""

from __future__ import annotations

import functools
import itertools
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
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


#: Most answers handed to ``on_nodes`` at once: storing them together costs less, but the answers that arrive
#: meanwhile wait for the batch to be stored before the parents they name are asked for (of 1, 4 and 8, 4 was the
#: fastest in the lineage benchmark, on both runners).
STORE_BATCH = 4


def lineage_walk(
    seeds: Iterable[str],
    *,
    client: _Fetcher,
    on_node: Callable[[RepoSnapshot, Discovery, int], None] | None = None,
    on_nodes: Callable[[list[tuple[RepoSnapshot, Discovery, int]]], None] | None = None,
    limits: WalkLimits = WalkLimits(),
    aliases: Mapping[str, str] | None = None,
    stats: WalkStats | None = None,
    claim: Callable[[list[str]], set[str]] | None = None,
    pool: FetchPool | None = None,
) -> WalkStats:
    """Fetch every seed and every ancestor they name, once each, the deepest known first.

    ``aliases`` maps known former ids (lower-case) to current ids, so a renamed repo that is already known is
    asked for by its new name and not fetched twice through the redirect. ``claim(repo_ids)`` (when several
    walks share one refresh) answers which of these repos (lower-case ids) this walk fetches; a repo claimed by
    another walk is left to it, ancestors included. It is asked once for the seeds, then for the new parents
    named by the answers taken together (those that arrived while a node was stored), and only when they name
    repos not seen yet: not once per repo. ``pool`` (walks side by side in one process) fetches for this walk
    and the others on its threads, the deepest repo any of them asked for first, rather than on ``concurrency``
    threads of the walk's own (``client`` is then the pool's).

    Each answer is handed, on the calling thread, to ``on_node``; or, with ``on_nodes`` instead, the answers
    waiting to be stored are handed together, up to ``STORE_BATCH`` at a time, in the order answered.
    """
    if (on_node is None) == (on_nodes is None):
        raise TypeError("lineage_walk takes one of on_node and on_nodes")
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    stats = stats if stats is not None else WalkStats()
    seen: set[str] = set()  # lower-case ids asked for, or answered as after a redirect
    own_pool = pool is None
    pool = pool if pool is not None else FetchPool(client, size=limits.concurrency)
    lane = pool.lane()

    def canonical(repo_id: str) -> str:
        return aliases.get(repo_id.lower(), repo_id)

    def submit(found: Iterable[tuple[str, int]]) -> None:
        """Ask for these (repo id, depth) pairs, claiming them all at once."""
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
            lane.ask(repo_id, depth)

    # Answered, their parents asked for, not yet stored: storing is slower than answers arrive (a portfolio's seeds
    # all at once), so the answers are taken in between two nodes stored, not after a whole batch of them, and the
    # parents they name are asked for (and claimed, those of all the answers taken at once) before they are stored.
    unstored: deque[tuple[RepoSnapshot, Discovery, int]] = deque()

    def take(answers: list[tuple[int, RepoSnapshot]]) -> None:
        nodes = []
        for depth, snapshot in answers:
            seen.add(snapshot.repo_id.lower())
            if snapshot.redirected_from:
                aliases[snapshot.requested_id.lower()] = snapshot.repo_id
            discovery = discover_parents(snapshot)
            stats.fetched += 1
            stats.failed += node_outcome(snapshot, discovery.gaps)[0] != "resolved"
            nodes.append((snapshot, discovery, depth))
        submit((parent.repo_id, depth + 1) for _, discovery, depth in nodes for parent in discovery.parents)
        unstored.extend(nodes)

    try:
        submit((seed, 0) for seed in seeds)
        while lane.asked or unstored:
            take(lane.answers(wait=not unstored))
            # In the order answered: a child before the parents it names.
            if unstored and on_nodes is not None:
                on_nodes([unstored.popleft() for _ in range(min(len(unstored), STORE_BATCH))])
            elif unstored:
                on_node(*unstored.popleft())
    finally:
        lane.close()
        if own_pool:
            pool.close()
    return stats


class FetchPool:
    """``size`` threads that fetch the repos one walk, or several side by side, asked for: the deepest first, then
    in the order each walk asked (the walks' repos taken in turn, so they progress together), each thread taking the
    next as soon as it is free. Work that no walk waits for (``submit``) comes after every repo asked for."""

    def __init__(self, client: _Fetcher, *, size: int) -> None:
        self._client = client
        self._todo: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [threading.Thread(target=self._run, name=f"hub_{i}", daemon=True) for i in range(max(1, size))]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> FetchPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def lane(self) -> _Lane:
        """The requests of one walk and the answers to them."""
        return _Lane(self)

    def submit(self, job: Callable[[], object]) -> Future:
        """Run ``job`` on a thread of the pool once no repo is waiting to be fetched: it takes only the threads the
        walks leave idle, and never delays a request a walk is waiting for. Its result (or what it raised) is the
        returned future's; cancelling the future before a thread takes it drops the job."""
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(job())
            except BaseException as error:  # handed to whoever waits for the future, as an executor does
                future.set_exception(error)

        self._todo.put((_AFTER_REPOS, 0, next(self._order), run))
        return future

    def _ask(self, lane: _Lane, repo_id: str, depth: int, turn: int) -> None:
        self._todo.put((-depth, turn, next(self._order), functools.partial(self._fetch, lane, repo_id, depth)))

    def _fetch(self, lane: _Lane, repo_id: str, depth: int) -> None:
        if lane.closed:  # its walk has ended (it raised): what it asked for is dropped
            return
        try:
            snapshot = self._client.fetch(repo_id)
        except Exception as error:
            snapshot = _error_snapshot(repo_id, error)
        lane.answer(depth, snapshot)

    def _run(self) -> None:
        while True:
            *_, work = self._todo.get()
            if work is None:
                return
            work()

    def close(self) -> None:
        """Stop the threads once they finish the work in hand: the stop sorts ahead of anything still waiting."""
        for _ in self._threads:
            self._todo.put((float("-inf"), 0, next(self._order), None))
        for thread in self._threads:
            thread.join()


#: Where submitted jobs sort in a pool's queue: after every repo asked for (repos sort by minus their depth).
_AFTER_REPOS = 1


class _Lane:
    """One walk's requests on a ``FetchPool``; ``answers`` returns every answer that has arrived (with ``wait``,
    at least one, so only while some repo is asked for)."""

    def __init__(self, pool: FetchPool) -> None:
        self._pool, self._done = pool, queue.SimpleQueue()
        self.asked = 0  # asked for and not yet answered
        self.closed = False
        self._turns = itertools.count()

    def ask(self, repo_id: str, depth: int) -> None:
        self.asked += 1
        self._pool._ask(self, repo_id, depth, next(self._turns))

    def answer(self, depth: int, snapshot: RepoSnapshot) -> None:
        self._done.put((depth, snapshot))

    def answers(self, *, wait: bool) -> list[tuple[int, RepoSnapshot]]:
        arrived = [self._done.get()] if wait else []
        while True:
            try:
                arrived.append(self._done.get_nowait())
            except queue.Empty:
                break
        self.asked -= len(arrived)
        return arrived

    def close(self) -> None:
        self.closed = True


def _error_snapshot(repo_id: str, error: Exception) -> RepoSnapshot:
    """The client maps hub failures to statuses; anything it raises anyway becomes an error node, so one bad
    repo never stops a portfolio refresh."""
    return RepoSnapshot(
        requested_id=repo_id,
        repo_id=repo_id,
        status="error",
        status_reason=f"unexpected error while fetching: {type(error).__name__}",
    )
