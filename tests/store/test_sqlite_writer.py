"""A SQLite file store's writers in one process queue on a lock of the process's own.

SQLite's busy handler sleeps between retries and does not wake when the writer commits, so
writers of one process hand the one writer over through ``store.sqlite_writer``'s lock, taken
before ``BEGIN IMMEDIATE`` and let go however the transaction ends.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from garante.store.database import reader
from garante.store.sqlite_writer import LOCK_SUFFIX, WriterLock, writer_lock


@pytest.fixture
def lock(tmp_path: Path) -> WriterLock:
    return writer_lock(str(tmp_path / "store.db"))


def test_a_write_transaction_holds_the_writer_lock_until_it_commits(
    engine: Engine, lock: WriterLock
) -> None:
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert lock.locked()
    assert not lock.locked()


def test_a_write_transaction_rolled_back_lets_the_writer_lock_go(
    engine: Engine, lock: WriterLock
) -> None:
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("refused")
    assert not lock.locked()
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def test_a_read_transaction_takes_no_writer_lock(engine: Engine, lock: WriterLock) -> None:
    with Session(reader(engine)) as session, session.begin():
        session.execute(text("SELECT count(*) FROM t"))
        assert not lock.locked()


def test_a_connection_closed_inside_its_transaction_lets_the_writer_lock_go(
    engine: Engine, lock: WriterLock
) -> None:
    connection = engine.connect()
    connection.begin()
    assert lock.locked()
    connection.invalidate()  # closes the driver's connection, transaction and all
    assert not lock.locked()
    with Session(engine) as session, session.begin():  # the next writer is not stuck
        session.execute(text("INSERT INTO t VALUES (2)"))


def test_a_second_writer_in_the_process_starts_once_the_first_commits(
    engine: Engine, lock: WriterLock
) -> None:
    began = threading.Event()

    def second() -> None:
        with Session(engine) as session, session.begin():
            session.execute(text("INSERT INTO t VALUES (2)"))  # BEGIN IMMEDIATE, then this
            began.set()

    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not began.wait(0.2), "a second writer began while the first held the writer"
    waiting.join(timeout=30)
    assert began.is_set()
    with Session(engine) as session:
        assert session.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 2]


def test_two_engines_on_one_file_share_its_writer_lock(tmp_path: Path) -> None:
    relative = tmp_path / "sub" / ".." / "store.db"
    assert writer_lock(str(relative)) is writer_lock(str(tmp_path / "store.db"))
    assert writer_lock(str(tmp_path / "other.db")) is not writer_lock(str(tmp_path / "store.db"))


def _file_taken(tmp_path: Path) -> bool:
    """Whether a writer holds the store's lock file, as another process sees it: a descriptor
    of its own, so the test's hold and a writer's conflict as two processes' would."""
    fd = os.open(str(tmp_path / "store.db") + LOCK_SUFFIX, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_write_transaction_holds_the_lock_file_other_processes_wait_on(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert _file_taken(tmp_path)
    assert not _file_taken(tmp_path)


def test_a_read_transaction_leaves_the_lock_file_free(engine: Engine, tmp_path: Path) -> None:
    with Session(reader(engine)) as session, session.begin():
        session.execute(text("SELECT count(*) FROM t"))
        assert not _file_taken(tmp_path)


def test_a_writer_in_another_process_waits_for_this_one_then_writes(
    engine: Engine, tmp_path: Path
) -> None:
    script = (
        "import sys\n"
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n"
        "from garante.store.database import create_store_engine\n"
        "engine = create_store_engine(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "with Session(engine) as session, session.begin():\n"
        "    session.execute(text('INSERT INTO t VALUES (2)'))\n"
        "    print('wrote', flush=True)\n"
    )
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        other = subprocess.Popen(
            [sys.executable, "-c", script, url], stdout=subprocess.PIPE, text=True
        )
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "ready"
        # It waits in the lock file's flock while this transaction holds it.
        assert not _finished_soon(other)
    assert other.wait(timeout=60) == 0
    assert other.stdout.read().strip() == "wrote"
    other.stdout.close()
    with Session(engine) as session:
        assert session.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 2]


def _finished_soon(other: subprocess.Popen[str]) -> bool:
    """Whether ``other`` wrote and ended within 0.3 s (it must not while this process writes)."""
    try:
        other.wait(timeout=0.3)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_a_forked_child_takes_the_lock_file_for_itself(engine: Engine, tmp_path: Path) -> None:
    """One ``flock`` per open file, not per process: a child writing through what it
    inherited would think it held the lock its parent holds."""
    lock = writer_lock(str(tmp_path / "store.db"))
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        reader_end, writer_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through the pipe
            os.close(reader_end)
            fresh = writer_lock(str(tmp_path / "store.db"))
            taken = threading.Thread(target=fresh.acquire, args=(30,), daemon=True)
            report = b"locked" if fresh.locked() else b""
            if not report:
                taken.start()
                taken.join(0.3)  # it must still wait: the parent holds the file
                report = b"held while the parent holds" if not taken.is_alive() else b"waits"
            os.write(writer_end, report)
            os._exit(0)
        os.close(writer_end)
        with os.fdopen(reader_end, "rb") as pipe:
            said = pipe.read()
        os.waitpid(child, 0)
    assert lock is writer_lock(str(tmp_path / "store.db"))
    assert said == b"waits"
