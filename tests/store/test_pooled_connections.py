"""PostgreSQL's pooled connections: pinged before use only after sitting idle.

A ping at every checkout (SQLAlchemy's ``pool_pre_ping``) cost every transaction, a release's
included, one more round trip; a connection reused within milliseconds has had no time to be
dropped. These tests hold the store's engine to what ``store.database`` promises instead: no
ping for a connection reused at once, a ping for one idle ``PING_AFTER_IDLE_SECONDS``, a dropped
idle connection replaced before anyone uses it, and a connection dropped under a busy pool
failing its one transaction as ``StoreUnavailable``, the next one connecting afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from garante.domain.errors import StoreUnavailable
from garante.store import database
from garante.store.database import create_store_engine, reachable, reader

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_store_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each ping the dialect sends, counted on the way to the real one."""
    sent: list[object] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        sent.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def backend_pid(engine: Engine) -> int:
    with reachable(engine), reader(engine).connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(engine: Engine, pid: int) -> None:
    """Drop one backend's connection from the server's side, as a restart or a timeout would,
    through a connection of another pool (this one's idle connection is the one dropped)."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_a_connection_reused_at_once_is_not_pinged(engine: Engine, pings: list[object]) -> None:
    first = backend_pid(engine)
    assert backend_pid(engine) == first  # the same pooled connection, handed out again
    assert pings == []


def test_a_connection_idle_past_the_threshold_is_pinged_before_use(
    engine: Engine, pings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend_pid(engine)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    backend_pid(engine)
    assert len(pings) == 1


def test_a_dropped_idle_connection_is_replaced_before_anyone_uses_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = backend_pid(engine)  # the pool's one connection, handed out next
    terminate(engine, dropped)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid(engine) != dropped  # no error: the ping found it gone, the pool replaced it


def test_a_connection_dropped_while_the_pool_is_busy_fails_one_transaction_then_reconnects(
    engine: Engine, pings: list[object]
) -> None:
    dropped = backend_pid(engine)
    terminate(engine, dropped)
    with pytest.raises(StoreUnavailable):  # reused at once: not pinged, so its query fails
        backend_pid(engine)
    assert backend_pid(engine) != dropped  # the pool connected afresh
    assert pings == []
