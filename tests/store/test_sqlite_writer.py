"""A SQLite file store's writers in one process queue on a lock of the process's own.

SQLite's busy handler sleeps between retries and does not wake when the writer commits, so
writers of one process hand the one writer over through ``store.sqlite_writer``'s lock, taken
before ``BEGIN IMMEDIATE`` and let go however the transaction ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from garante.store.database import create_store_engine, reader
from garante.store.sqlite_writer import writer_lock


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with Session(engine) as session, session.begin():
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


@pytest.fixture
def lock(tmp_path: Path) -> threading.Lock:
    return writer_lock(str(tmp_path / "store.db"))


def test_a_write_transaction_holds_the_writer_lock_until_it_commits(
    engine: Engine, lock: threading.Lock
) -> None:
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert lock.locked()
    assert not lock.locked()


def test_a_write_transaction_rolled_back_lets_the_writer_lock_go(
    engine: Engine, lock: threading.Lock
) -> None:
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("refused")
    assert not lock.locked()
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def test_a_read_transaction_takes_no_writer_lock(engine: Engine, lock: threading.Lock) -> None:
    with Session(reader(engine)) as session, session.begin():
        session.execute(text("SELECT count(*) FROM t"))
        assert not lock.locked()


def test_a_connection_closed_inside_its_transaction_lets_the_writer_lock_go(
    engine: Engine, lock: threading.Lock
) -> None:
    connection = engine.connect()
    connection.begin()
    assert lock.locked()
    connection.invalidate()  # closes the driver's connection, transaction and all
    assert not lock.locked()
    with Session(engine) as session, session.begin():  # the next writer is not stuck
        session.execute(text("INSERT INTO t VALUES (2)"))


def test_a_second_writer_in_the_process_starts_once_the_first_commits(
    engine: Engine, lock: threading.Lock
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
