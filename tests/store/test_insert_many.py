"""``insert_many``: the bulk paths' insert, through the driver's own cursor.

On PostgreSQL a few rows go as one multi-row statement and more through psycopg's
``executemany`` (``PG_ONE_STATEMENT_ROWS``); on SQLite always ``executemany``. Either way the
rows stored are the rows given, each column converted as the ORM would store it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import Session

from garante.store.schema import UTCDateTime
from garante.store.session import PG_ONE_STATEMENT_ROWS, insert_many
from tests.support.stores import BACKENDS

METADATA = MetaData()
THINGS = Table(
    "things",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=True),
)
AT = datetime(2025, 11, 11, 9, tzinfo=UTC)

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def rows(count: int) -> list[tuple[int, str, datetime, object]]:
    return [
        (n, f"thing {n}", AT + timedelta(seconds=n), {"n": n, "tags": ["a", n]} if n % 2 else None)
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    "count", [1, PG_ONE_STATEMENT_ROWS, PG_ONE_STATEMENT_ROWS + 1, 250], ids=lambda n: f"{n}rows"
)
def test_the_rows_stored_are_the_rows_given(engine: Engine, count: int) -> None:
    given = rows(count)
    with Session(engine) as session, session.begin():
        insert_many(session, THINGS, ["id", "name", "at", "data"], given)
    with Session(engine) as session:
        stored = [tuple(row) for row in session.execute(select(THINGS).order_by(THINGS.c.id))]
    assert stored == given
