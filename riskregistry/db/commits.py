"""Commits that do not wait for the disk, for a long run of transactions whose last commit waits for them all.

PostgreSQL's ``synchronous_commit`` off makes a commit return before its WAL is flushed: the database stays
consistent, and a crash of the database server can lose only the last fraction of a second of such commits
(``wal_writer_delay`` three times over). A commit made with the flush puts every earlier commit on disk with it,
because the WAL is written in order. So a lineage walk, which commits the nodes it stores a few at a time, skips
the wait for all but its final save, and only a walk that never finished can lose nodes: the next one redoes it.

What leaves the database after such a commit (a webhook announcing a change the walk recorded) is sent only after
a commit made with the flush (``commit_flushed``: the webhook's claim), even when it is sent in-process during the
walk: nothing reaches the outside before what it reports is on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def commits_unflushed(enabled: bool = True) -> Iterator[None]:
    """While entered, this thread's commits do not wait for the disk (set once on the connection, not per
    transaction); after it they do again, so the caller's next commit flushes them all. Nothing changes inside
    a caller's transaction (its commit is the one that counts), on another database, or when not ``enabled``."""
    if not enabled or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # a broken connection: closed, never used again with the setting
            connection.close()


def commit_flushed() -> None:
    """Have the current transaction's commit wait for the disk whatever the connection's setting (inside
    ``commits_unflushed``, say), and so put every commit before it on disk too: for a transaction after which
    something leaves the database."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO ON")
