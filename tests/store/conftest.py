"""A SQLite file store with one table, for the tests of its writers and its checkpointer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from garante.store.database import create_store_engine


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The store's file: ``store.db`` in the test's own directory."""
    return tmp_path / "store.db"


@pytest.fixture
def engine(store: Path) -> Iterator[Engine]:
    """An engine on ``store``, with the table ``t (x INTEGER)`` made."""
    engine = create_store_engine(f"sqlite:///{store}")
    with Session(engine) as session, session.begin():
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()
