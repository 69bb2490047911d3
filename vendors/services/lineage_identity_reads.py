"""The identifying files a walk's models need read for the inference, read on the walk's fetch pool while the walk
goes on (``IdentityReads``), and the fingerprints of those that name a parent stored as their reads finish. The step
after the walk (``vendors.services.lineage_inference.lineage_infer_after_walk``) takes the reads from here."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from django.conf import settings

from vendors.hub.identity import fetch_identity, identity_downloads
from vendors.lineage import RepoSnapshot
from vendors.lineage.inference import telling_files
from vendors.models import AIModel, ModelFingerprint
from vendors.services.lineage_inference import fingerprint_current, fingerprints_store
from vendors.services.lineage_store import GraphStore
from vendors.services.lineage_walk import FetchPool

#: The fingerprints a walk's reads find are stored this many at a time as the reads finish (``IdentityReads``),
#: so the step after the walk has only the rest to store.
FINGERPRINTS_BATCH = 25


def walked_files(snapshot: RepoSnapshot) -> tuple[str, tuple[str, ...], int | None] | None:
    """What the inference keeps of a fetched node: its id, its telling file names and its safetensors parameter
    count (None unless resolved)."""
    if snapshot.status != AIModel.Status.RESOLVED:
        return None
    files = telling_files(snapshot.siblings if isinstance(snapshot.siblings, tuple | list) else ())
    return snapshot.repo_id, files, snapshot.parameters


class IdentityReads:
    """The identifying files a walk's models need read for the inference, read on the walk's fetch pool.

    ``prefetch`` starts a stored node's read at once, on the threads the walk leaves idle (``FetchPool.submit``:
    after every repo asked for), deciding as ``lineage_infer_after_walk`` will: the same files, at the same
    revision, the README for a model that names no parent, nothing for a model whose fingerprint is current (its
    README read too, for one that names no parent). So
    the reads are done, or under way, when the walk ends, instead of all starting then. The step after the walk
    still decides every read itself, from the database, and ``read`` gives it the read already started with the
    same arguments, or starts it: should the two decide differently (a parent declared meanwhile, another refresh
    storing the fingerprint), the read the step wants is the one made, and a read it does not want is not used.
    A read that failed is the future's to raise, when the step takes it, as it would have raised there.

    The fingerprints of the models that name a parent are stored as their reads finish, ``FINGERPRINTS_BATCH`` at a
    time, on the walk's thread between two nodes (at the refresh's ``now``): the step after the walk finds them
    current and has only the rest to read and store, rather than every model the walk reached. The models that
    name none are left to it, since whether their README is read depends on what it finds; so is a read that
    failed.

    Bounded as every hub request of the walk: the pool's threads (``LINEAGE_CONCURRENCY``; in the embedded runner
    the shared allowance too), the client's rate limit, and each read's own deadline and retries
    (``fetch_identity``), counted from when a thread starts it.
    """

    def __init__(self, *, client, pool: FetchPool, now: datetime) -> None:
        self._client, self._pool, self._now = client, pool, now
        self._started: dict[tuple, Future] = {}
        self._unstored: list[tuple[AIModel, Future]] = []  # reads of models that name a parent, not stored yet
        self._fingerprints: dict[int, tuple[str, list, bool]] | None = None  # model id -> (revision, problems, README)
        self.walked: list[tuple[str, tuple[str, ...], int | None] | None] = []  # each stored node's walked_files

    def node_stored(self, snapshot: RepoSnapshot, *, store: GraphStore) -> None:
        """Keep what the inference needs of a node the walk has just stored (``walked``) and start its read."""
        files = walked_files(snapshot)
        self.walked.append(files)
        self.prefetch(files, store=store)
        self._store_finished()

    def prefetch(self, walked: tuple[str, tuple[str, ...], int | None] | None, *, store: GraphStore) -> None:
        """Start the read of the node the walk has just stored (``walked``: its ``walked_files``) if the step
        after the walk will want it; the node's row and edges are ``store``'s, as they were just stored."""
        if walked is None or not settings.LINEAGE_INFERENCE:
            return
        repo_id, files, parameters = walked
        model = store.find(repo_id)
        if model is None or model.name.lower() != repo_id.lower() or model.status != AIModel.Status.RESOLVED:
            return
        subject = not model.lineage_gaps and not store.edges.get(model.pk)  # as inference_subjects decides
        if self._fingerprints is None:  # once per walk, on its first resolved node: the walk's thread, not a pool's
            rows = ModelFingerprint.objects.values_list("model_id", "revision", "problems", "readme_read")
            self._fingerprints = {model_id: (revision, problems, read) for model_id, revision, problems, read in rows}
        if (stored := self._fingerprints.get(model.pk)) is not None:
            revision, problems, readme_read = stored
            if fingerprint_current(revision, problems, sha=model.sha, readme=subject, readme_read=readme_read):
                return
        future = self.read(model.name, model.sha, siblings=files, parameters=parameters, readme=subject)
        if not subject:
            self._unstored.append((model, future))

    def _store_finished(self) -> None:
        """Store the fingerprints whose reads have finished, once ``FINGERPRINTS_BATCH`` have (one statement)."""
        finished = {id(future) for _, future in self._unstored if future.done()}
        if len(finished) < FINGERPRINTS_BATCH:
            return
        ready: dict[int, tuple[AIModel, Future]] = {}
        for model, future in self._unstored:
            if id(future) in finished and not future.cancelled() and future.exception() is None:
                ready[model.pk] = (model, future)
        self._unstored = [(model, future) for model, future in self._unstored if id(future) not in finished]
        models = [model for model, _ in ready.values()]
        fingerprints_store(models=models, identities={pk: future.result() for pk, (_, future) in ready.items()},
                           now=self._now)  # fmt: skip

    def read(self, repo_id: str, revision: str, *, siblings: tuple[str, ...], parameters, readme: bool) -> Future:
        """The read of these files (``HubClient.fetch_identity``'s arguments), started now unless it has been. A repo
        that lists none of the files to download is read here and now (no request: no share of the hub's allowance
        taken, no wait for every repo queued for the pool's threads)."""
        key = (repo_id, revision, siblings, parameters, readme)
        if key not in self._started:
            if identity_downloads(siblings, readme=readme):
                self._started[key] = self._pool.submit(
                    lambda: self._client.fetch_identity(
                        repo_id, revision, siblings=siblings, parameters=parameters, readme=readme
                    )
                )
            else:
                self._started[key] = future = Future()
                try:
                    identity = fetch_identity(
                        self._client, repo_id, revision, siblings=siblings, parameters=parameters, readme=readme
                    )
                except Exception as error:  # the future's to raise when the step takes it, as a pool's read is
                    future.set_exception(error)
                else:
                    future.set_result(identity)
        return self._started[key]

    def cancel(self) -> None:
        """Drop the reads no thread has started (the walk or the step after it failed)."""
        for future in self._started.values():
            future.cancel()
