"""The driver's own cursor, used by the hot statements, fails as every other statement does.

A dropped connection must reach the caller as ``StoreUnavailable`` (503 on HTTP, "nothing was
changed"), never as a 500 with the driver's message, whichever way the statement was run.
Plain engines here: a store's engine takes the sequencer in every transaction it begins, and
the dropped-connection test needs two connections at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from garante.domain.errors import StoreUnavailable
from garante.store.database import reachable
from garante.store.session import driver_cursor


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_drivers_error_on_its_own_cursor_is_raised_as_sqlalchemy_raises_it(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with (
            engine.connect() as connection,
            pytest.raises(DBAPIError) as raised,
            driver_cursor(connection) as cursor,
        ):
            cursor.execute("SELECT * FROM no_such_table")
        assert isinstance(raised.value.orig, engine.dialect.loaded_dbapi.Error)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_dropped_under_the_drivers_cursor_is_store_unavailable(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as doomed, engine.connect() as other:
            pid = doomed.execute(text("SELECT pg_backend_pid()")).scalar_one()
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(StoreUnavailable), reachable(engine), driver_cursor(doomed) as cur:
                cur.execute("SELECT 1")
    finally:
        engine.dispose()
