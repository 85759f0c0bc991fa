"""SQLite's one writer, handed over within a process without sleeping.

A SQLite write transaction starts with ``BEGIN IMMEDIATE`` (``store.database``): the file's one
writer. A second writer finds it taken and SQLite's busy handler sleeps and retries, 1, 2, 5,
10, 15, 20, 25, 25, 25, 50, 50, 100 ms and so on, up to ``busy_timeout``. It does not wake when
the writer commits, so a writer that waited once waits until its next retry whatever happens
meanwhile: behind a release batch of 2 ms, the server's integrator slept 20 to 130 ms in its
``BEGIN``, and the releases queued behind the integrator waited as long.

So writers queue on a lock of their own, one per database file, taken before ``BEGIN
IMMEDIATE`` and let go when the transaction ends (commit, rollback, or the connection closing):
the next writer starts the moment the last one ends. It has two parts:

- within a process, a ``threading.Lock``: the process's writers take turns;
- between processes, an exclusive ``flock`` on a file beside the store (``<store>-writer``),
  taken by whichever of the process's writers holds the first part: several ``garante serve``
  workers on one file, or ``garante`` on the command line beside a server. The kernel wakes a
  process waiting in ``flock`` as soon as the holder lets go, and lets go for a process that
  dies, so a killed writer never leaves it taken.

SQLite's lock on the file is still what excludes writers; the lock here only orders Garante's,
so that they never meet SQLite's busy handler. A writer that does not go through it (the
``sqlite3`` shell, say) still meets it, within the busy timeout as before. A writer that cannot
get the process's part within the busy timeout (one that nests a write in a write, which SQLite
would refuse after the timeout too) goes on without either part, to the same ``BEGIN
IMMEDIATE`` and the same error. The file part has no timeout: whoever holds it is a Garante
writer in its transaction, which ends. Where the file cannot be opened (a directory this user
may not write, and no lock file yet), processes are ordered by SQLite's lock alone, as before.

A forked child starts with locks of its own (``os.register_at_fork``): what it inherited would
share the parent's hold (one ``flock`` per open file, not per process) and perhaps a
``threading.Lock`` taken by a thread that does not exist in the child.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading

from garante.store.sqlite_checkpointer import Checkpointer

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another (SQLite's ``busy_timeout``, and this lock's)."""

LOCK_SUFFIX = "-writer"
"""The lock file's name is the store's with this after it, as SQLite's ``-wal`` and ``-shm``."""


class WriterLock:
    """The writers' lock of one SQLite file: this process's turn, then the file's."""

    def __init__(self, path: str) -> None:
        self.path = path + LOCK_SUFFIX
        self._turn = threading.Lock()
        self._fd: int | None = None
        self._no_file = False

    def acquire(self, timeout: float) -> bool:
        """Take the process's turn (within ``timeout`` seconds, else False and nothing held),
        then the file's lock, waiting as long as another process's writer holds it."""
        if not self._turn.acquire(timeout=timeout):
            return False
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._turn.release()
            raise
        return True

    def release(self) -> None:
        """Let the file's lock go, then the process's turn."""
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    def locked(self) -> bool:
        """Whether a writer of this process holds it."""
        return self._turn.locked()

    def _file(self) -> int | None:
        if self._fd is None and not self._no_file:
            try:
                # Read-only is enough for flock, and lets users other than the lock file's
                # maker (an operator's CLI beside the server's account) take it too.
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                self._no_file = True
        return self._fd

    def _forked(self) -> None:
        """In a forked child: forget the parent's open file and turn (see the module's doc)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):  # the parent's hold stays: its descriptor keeps it
                os.close(self._fd)
        self._fd = None
        self._turn = threading.Lock()


_locks: dict[str, WriterLock] = {}
_locks_lock = threading.Lock()


def writer_lock(path: str) -> WriterLock:
    """The one lock for the writers of the SQLite file ``path`` in this process."""
    key = os.path.realpath(path)
    with _locks_lock:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(key)
        return lock


def _after_fork_in_child() -> None:
    global _locks_lock
    _locks_lock = threading.Lock()
    for lock in _locks.values():
        lock._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


class WriterConnection(sqlite3.Connection):
    """A SQLite connection that holds its file's writer lock from ``take_writer`` to the end
    of that transaction (``sqlite3.connect(..., factory=WriterConnection)``)."""

    writer: WriterLock | None = None
    checkpointer: Checkpointer | None = None
    holding: bool = False

    def take_writer(self) -> None:
        """Wait for the file's writer lock (the process's turn at most the busy timeout),
        before ``BEGIN IMMEDIATE``; ``let_go`` if that fails."""
        if self.writer is not None and not self.holding:
            self.holding = self.writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000)

    def commit(self) -> None:
        wrote = self.holding
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self.let_go()
        if wrote and self.checkpointer is not None:
            self.checkpointer.wrote()

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
        """Hand the file's writer lock on, if this connection holds it."""
        if self.holding:
            self.holding = False
            assert self.writer is not None  # holding implies a lock
            self.writer.release()
