"""SQLite's write-ahead log copied into the database by a thread beside the writers.

In WAL mode a commit appends its pages to the ``-wal`` file, and the pages are copied into the
database later, by a checkpoint. By default the commit that takes the log past
``wal_autocheckpoint`` pages runs that checkpoint itself, before it returns: it writes every
page the log holds and syncs the file. In a fan-out of 300 items to 100 partners, 10 of the 600
commits took 40 to 85 ms instead of under 1 ms, 0.42 to 0.51 s in all, each spent by a writer
while every other writer waited for the file's one writer lock (docs/deploy.md).

So each process that writes a file store runs one thread per file that does it instead: a
commit only tells it the log has grown (``Checkpointer.wrote``), and the thread runs a
``PASSIVE`` checkpoint, which takes no writer's or reader's lock (SQLite's ``wal_checkpoint``:
"checkpoint as many frames as possible without waiting for any database readers or writers to
finish"), at most once every ``CHECKPOINT_EVERY_SECONDS``. Once it has copied the whole log,
the next writer starts the log again from its beginning, so the log stays short and the
autocheckpoint, kept as the backstop (``store.database``), is seldom reached. The copy runs
outside the interpreter lock (the ``sqlite3`` module lets it go while SQLite works), beside the
writers on another core.

What is durable does not change: the log is the database until it is copied, and SQLite's
checkpoint is safe against a crash at any point. The thread opens a connection of its own for
each checkpoint, and runs only while there is work: ``IDLE_SECONDS`` after the last commit it
ends, so a process that opened many stores (a test run) does not keep a thread for each. A
fork waits for a checkpoint under way, and the child starts with no thread and fresh locks
(``os.register_at_fork``); it starts its own on its first commit.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

CHECKPOINT_EVERY_SECONDS = 0.1
"""At most this often a checkpoint runs while commits keep coming (each one syncs the file)."""

IDLE_SECONDS = 5.0
"""The thread ends this long after the last commit it was told of."""

_log = logging.getLogger(__name__)


class Checkpointer:
    """The thread that checkpoints one SQLite file for the writers of this process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._woken = threading.Condition(self._lock)
        self._pending = False
        self._running = False
        self._working = threading.Lock()
        self.checkpoints = 0
        """How many checkpoints this process's thread has run (for tests and benchmarks)."""

    def wrote(self) -> None:
        """A write transaction committed: the log holds pages to copy."""
        with self._lock:
            self._pending = True
            if self._running:
                self._woken.notify()
                return
            self._running = True
        thread = threading.Thread(
            target=self._run, name=f"garante-checkpoint {self.path}", daemon=True
        )
        thread.start()

    @contextmanager
    def held(self) -> Iterator[None]:
        """No checkpoint of this process starts while inside: for a reader of the log's
        frames as the commits wrote them (``bench/fanout.py`` counts the pages per item), which
        a copy, and the log started again after it, would take away. Do not fork inside."""
        with self._working:
            yield

    def _run(self) -> None:
        while self._next():
            self._checkpoint()
            time.sleep(CHECKPOINT_EVERY_SECONDS)

    def _next(self) -> bool:
        """Wait for a commit to copy; False (and the thread ends) after ``IDLE_SECONDS``."""
        with self._lock:
            if not self._pending:
                self._woken.wait(IDLE_SECONDS)
            if not self._pending:
                self._running = False
                return False
            self._pending = False
            return True

    def _checkpoint(self) -> None:
        """One ``PASSIVE`` checkpoint, on a connection of its own made for it.

        Made each time, and read-write only if the file is there (``mode=rw``): a store
        removed (``garante demo`` starting again) is never made again empty by this thread, and
        one put in its place is the file checkpointed, never the log of one with the file of
        the other. A connection costs far less than the checkpoint, at most once every
        ``CHECKPOINT_EVERY_SECONDS``. Between connecting and closing, ``_working`` is held,
        so a fork waits for it (see ``_before_fork``)."""
        failed: sqlite3.Error | None = None
        with self._working:
            try:
                connection = sqlite3.connect(
                    f"file:{quote(self.path)}?mode=rw", uri=True, isolation_level=None
                )
            except sqlite3.Error as exc:  # the store was removed
                failed = exc
            else:
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    # Another process's checkpoint holds the file's checkpoint lock: the log
                    # is being copied, and the writers' autocheckpoint is behind both.
                    failed = exc
                finally:
                    connection.close()
        if failed is not None:
            _log.debug("no checkpoint of %s: %s", self.path, failed)
        else:
            self.checkpoints += 1

    def _forked(self) -> None:
        """In a forked child: no thread runs here, and its locks may have been held by one."""
        self._lock = threading.Lock()
        self._woken = threading.Condition(self._lock)
        self._working = threading.Lock()
        self._running = False


_checkpointers: dict[str, Checkpointer] = {}
_checkpointers_lock = threading.Lock()


def checkpointer(path: str) -> Checkpointer:
    """The one checkpointer of the SQLite file ``path`` in this process."""
    key = os.path.realpath(path)
    with _checkpointers_lock:
        found = _checkpointers.get(key)
        if found is None:
            found = _checkpointers[key] = Checkpointer(key)
        return found


# A fork never happens while a checkpointer's thread is inside SQLite: SQLite's own mutexes
# (its list of open files, say) held by that thread at the fork would stay held in the child,
# whose first connection would wait for them for ever, and the thread's connection would be
# carried into the child ("How To Corrupt An SQLite Database File", 2.6). ``garante serve
# --workers`` forks its workers just after it made or migrated the store, when the thread is
# likely copying that very write. So a fork waits for the checkpoint under way (tens of
# milliseconds at most) and the child starts with no thread, no connection and fresh locks; its
# first commit starts a thread of its own.


def _before_fork() -> None:
    _checkpointers_lock.acquire()
    for found in _checkpointers.values():
        found._working.acquire()


def _after_fork_in_parent() -> None:
    for found in _checkpointers.values():
        found._working.release()
    _checkpointers_lock.release()


def _after_fork_in_child() -> None:
    global _checkpointers_lock
    _checkpointers_lock = threading.Lock()
    for found in _checkpointers.values():
        found._forked()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
