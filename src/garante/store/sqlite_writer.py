"""SQLite's one writer, handed over within a process without sleeping.

A SQLite write transaction starts with ``BEGIN IMMEDIATE`` (``store.database``): the file's one
writer. A second writer finds it taken and SQLite's busy handler sleeps and retries, 1, 2, 5,
10, 15, 20, 25, 25, 25, 50, 50, 100 ms and so on, up to ``busy_timeout``. It does not wake when
the writer commits, so a writer that waited once waits until its next retry whatever happens
meanwhile: behind a release batch of 2 ms, the server's integrator slept 20 to 130 ms in its
``BEGIN``, and the releases queued behind the integrator waited as long.

So the writers of one process queue on a lock of the process's own, one per database file,
taken before ``BEGIN IMMEDIATE`` and let go when the transaction ends (commit, rollback, or the
connection closing): the next writer in the process starts the moment the last one ends. The
lock only orders a process's writers: SQLite's lock on the file is still what excludes writers
(another process, ``garante`` on the command line beside a server), and its busy handler still
covers them. A writer that cannot get the lock within the busy timeout (one that nests a write
in a write, which SQLite would refuse after the timeout too) goes on without it, to the same
``BEGIN IMMEDIATE`` and the same error.
"""

from __future__ import annotations

import os
import sqlite3
import threading

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another (SQLite's ``busy_timeout``, and this lock's)."""

_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def writer_lock(path: str) -> threading.Lock:
    """The one lock for the writers of the SQLite file ``path`` in this process."""
    key = os.path.realpath(path)
    with _locks_lock:
        return _locks.setdefault(key, threading.Lock())


class WriterConnection(sqlite3.Connection):
    """A SQLite connection that holds its file's writer lock from ``take_writer`` to the end
    of that transaction (``sqlite3.connect(..., factory=WriterConnection)``)."""

    writer: threading.Lock | None = None
    holding: bool = False

    def take_writer(self) -> None:
        """Wait for the process's writer lock (at most the busy timeout), before ``BEGIN
        IMMEDIATE``; ``let_go`` if that fails."""
        if self.writer is not None and not self.holding:
            self.holding = self.writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if not self.in_transaction:
                self.let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()

    def let_go(self) -> None:
        """Hand the process's writer lock on, if this connection holds it."""
        if self.holding:
            self.holding = False
            assert self.writer is not None  # holding implies a lock
            self.writer.release()
