"""A SQLite file store's write-ahead log is copied into the file by a thread, not by a commit.

A commit only tells the process's checkpointer of its file that the log grew
(``store.sqlite_checkpointer``); the thread copies it with a ``PASSIVE`` checkpoint, ends when
no commit comes, never makes a removed store again, and a forked child runs its own.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from garante.store import sqlite_checkpointer
from garante.store.database import SQLITE_WAL_AUTOCHECKPOINT, create_store_engine, reader
from garante.store.sqlite_checkpointer import checkpointer


def _write(engine: Engine, *values: int) -> None:
    with Session(engine) as session, session.begin():
        for value in values:
            session.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})


def _within(seconds: float, done: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _rows_in_the_file_alone(store: Path, tmp_path: Path) -> int:
    """The rows of ``t`` the database file holds without its write-ahead log."""
    copy = tmp_path / "file-alone.db"
    shutil.copyfile(store, copy)
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(copy)
    try:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'")
        if tables.fetchone()[0] == 0:
            return 0
        return int(connection.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.DatabaseError:  # copied while a checkpoint was writing it: not there yet
        return -1
    finally:
        connection.close()


def _checkpoint_threads(store: Path) -> list[threading.Thread]:
    name = f"garante-checkpoint {os.path.realpath(store)}"
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_a_commit_reaches_the_database_file_long_before_the_autocheckpoint(
    engine: Engine, store: Path, tmp_path: Path
) -> None:
    _write(engine, 1, 2, 3)
    # Three rows are a few pages of log, far from the autocheckpoint's 10,000: only the
    # checkpointer's thread copies them into the file.
    assert SQLITE_WAL_AUTOCHECKPOINT >= 1_000
    assert _within(10, lambda: _rows_in_the_file_alone(store, tmp_path) == 3)
    assert checkpointer(str(store)).checkpoints >= 1


def test_the_checkpointer_thread_ends_when_no_commit_comes(
    engine: Engine, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpointer, "IDLE_SECONDS", 0.2)
    _write(engine, 1)
    assert _within(10, lambda: checkpointer(str(store)).checkpoints >= 1)
    assert _within(10, lambda: not _checkpoint_threads(store))


def test_a_new_commit_starts_the_thread_again_after_it_ended(
    engine: Engine, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpointer, "IDLE_SECONDS", 0.2)
    _write(engine, 1)
    assert _within(10, lambda: not _checkpoint_threads(store))
    before = checkpointer(str(store)).checkpoints
    _write(engine, 2)
    assert _within(10, lambda: checkpointer(str(store)).checkpoints > before)


def test_a_read_leaves_the_checkpointer_alone(engine: Engine, store: Path) -> None:
    _write(engine, 1)
    copier = checkpointer(str(store))
    assert _within(10, lambda: copier.checkpoints >= 1)
    assert _within(10, lambda: not copier._pending)
    with Session(reader(engine)) as session, session.begin():
        session.execute(text("SELECT count(*) FROM t")).scalar_one()
    assert not copier._pending


def test_a_removed_store_is_not_made_again_by_its_checkpointer(
    engine: Engine, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpointer, "IDLE_SECONDS", 0.2)
    _write(engine, 1)
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    checkpointer(str(store)).wrote()  # as a commit that raced the removal would
    assert _within(10, lambda: not _checkpoint_threads(store))
    assert not store.exists()


def test_a_forked_child_runs_a_checkpointer_of_its_own(engine: Engine, store: Path) -> None:
    """As ``garante serve --workers`` does: the store written and closed, then a fork at once,
    while the parent's thread is likely copying that write. The fork waits for the copy, and
    the child's first commit, on a connection of its own, starts a thread of the child's."""
    _write(engine, 1)
    engine.dispose()
    reader_end, writer_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(reader_end)
        copier = checkpointer(str(store))
        report = b"still running" if copier._running else b""
        if not report:
            before = copier.checkpoints
            own = create_store_engine(f"sqlite:///{store}")
            _write(own, 2)
            report = b"checkpointed" if _within(10, lambda: copier.checkpoints > before) else b""
            own.dispose()
        os.write(writer_end, report or b"never checkpointed")
        os._exit(0)
    os.close(writer_end)
    with os.fdopen(reader_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], 30)
        said = pipe.read() if ready else b"the child hung"
    if not ready:
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    assert said == b"checkpointed"
