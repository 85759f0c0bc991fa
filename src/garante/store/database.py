"""Opening the store: the URL, SQLite's settings, and migrations to the current schema."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.orm import Session

from garante.domain.errors import StoreUnavailable, ValidationError
from garante.store.session import driver_cursor
from garante.store.sqlite_checkpointer import Checkpointer, checkpointer
from garante.store.sqlite_writer import BUSY_TIMEOUT_MS, WriterConnection, WriterLock, writer_lock

DEFAULT_URL = "sqlite:///garante.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins over ``GARANTE_DB``; a bare path means a SQLite file."""
    url = explicit or os.environ.get("GARANTE_DB") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(
            f"'{url}' is not a database URL",
            field="db",
            hint=_URL_FORMS,
        ) from None
    backend = parsed.get_backend_name()
    # The driver after the backend: naming the default driver loads the backend's dialect.
    if backend not in _STORES or parsed.get_driver_name() != _STORES[backend]:
        shown = parsed.render_as_string(hide_password=True)
        raise ValidationError(
            f"'{shown}' is not a store Garante can open: it keeps its store in SQLite "
            "(through Python's sqlite3) or PostgreSQL (through psycopg)",
            field="db",
            hint=_URL_FORMS,
        )
    return url


_STORES = {"sqlite": "pysqlite", "postgresql": "psycopg"}
"""The databases and drivers a store may be on: what Garante installs and is tested with."""

_URL_FORMS = "use a file path, sqlite:///path.db or postgresql+psycopg://user@host/db"


# -- the two locks on PostgreSQL ---------------------------------------------------------------
# The sequencer lock: whoever holds it appends to the log (and writes the feeds and the held
# queue); every write transaction holds it until it ends, from its start or, in a release,
# from its first entry (``take_sequencer``).
SEQUENCER_LOCK = 0x6761_7261_6E74_65  # "garante"
_TAKE_SEQUENCER = f"SELECT pg_advisory_xact_lock({SEQUENCER_LOCK})"
# The policy lock: releases hold it shared, every other write exclusively, until they end.
POLICY_LOCK = 0x6761_7261_6E74_66
READ_OPTION = "garante_read"
RELEASE_OPTION = "garante_release"

# -- integration ------------------------------------------------------------------------------
# The integrator lock: whoever holds it computes the tree of entries already sequenced. It is
# neither the policy lock nor the sequencer, so integrating never makes a writer wait.
INTEGRATOR_LOCK = 0x6761_7261_6E74_67
INTEGRATE_OPTION = "garante_integrate"

# -- PostgreSQL's pooled connections ------------------------------------------------------------
# A pooled connection idle at least this long is pinged before it is handed out, and replaced
# if the server dropped it (``_ping_idle_connections``); one reused sooner is not.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "garante_idle_since"


# -- SQLite's page cache and its write-ahead log ----------------------------------------------
# Each pooled connection keeps its own page cache, filled as pages are read, up to
# ``SQLITE_CACHE_KIB``: at most ``SQLITE_POOL_SIZE + SQLITE_MAX_OVERFLOW`` connections, so at
# most 15 x 2 MiB = 30 MiB of page cache in a server under a load that holds every connection
# at once; a process that runs one transaction at a time holds one (docs/deploy.md). This is
# SQLite's default, kept on purpose: a fan-out to 10,000 partners, in a process of its own
# (``bench/fanout.py``'s child, its peak as ``VmHWM``), peaked at 165 MB resident with it, 171
# MB with 8 MiB and 180 MB with 16 MiB (two runs each; its cache fills while the fan-out's rows
# are in memory), for a gain in a fan-out to 100 partners that the measurements could not tell
# from the machine's noise.
SQLITE_CACHE_KIB = 2_000
SQLITE_POOL_SIZE = 5  # SQLAlchemy's defaults, spelled out: the cache bound above depends on them
SQLITE_MAX_OVERFLOW = 10
# The write-ahead log is copied into the database (a checkpoint, with an fsync) by the commit
# that takes it past this many pages. SQLite's default, 1,000 pages (4 MiB), is two or three
# fan-outs of 100 partners: each of them re-dirtied the same index leaves (one per partner and
# index), so the commits that checkpointed wrote those pages again and again, and the commit
# grew with the indexes. At 10,000 pages (about 40 MiB of log) a checkpoint writes each page
# once for many commits. It is the backstop: each process's checkpointer thread copies the log
# first, beside the writers (``store.sqlite_checkpointer``).
SQLITE_WAL_AUTOCHECKPOINT = 10_000


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return parsed.database


def shown(url: str) -> str:
    """Where a store is, as a person names it: a SQLite file's path, or the URL without its
    password."""
    path = sqlite_file(url)
    return path if path is not None else make_url(url).render_as_string(hide_password=True)


def file_missing(url: str) -> bool:
    """A SQLite URL whose file is not there (connecting would create it)."""
    path = sqlite_file(url)
    return path is not None and not Path(path).exists()


def create_store_engine(url: str) -> Engine:
    """An engine whose write transactions are ordered by locks the database holds for them.

    The ledger's next index, the feeds' next positions and the held queue are read and
    written in one transaction, and two writers, in one process or in several servers, must
    never both read the same "next". So every write transaction holds the sequencer until it
    ends: on SQLite ``BEGIN IMMEDIATE`` (the one writer), on PostgreSQL the transaction-scoped
    advisory lock ``SEQUENCER_LOCK``. Nothing about sequencing lives in a process's memory.

    On PostgreSQL the policy state (orders, conditions, undertakings, keys, agreements,
    items) has its own lock, ``POLICY_LOCK``, taken before the sequencer, always in that
    order, so no two transactions wait for each other in a cycle:

    - a release transaction (``releaser(engine)``) takes it shared at its start, reads the
      policy state and decides, concurrently with other releases, and takes the sequencer only
      for its writes (``take_sequencer``), just before its first entry;
    - every other write transaction takes it exclusively, then the sequencer, at its start.

    So a release and a policy change never overlap: an order waits for the releases that hold
    the policy lock to commit, and a release that asks after the order waits for it to commit
    (PostgreSQL queues a shared request behind an exclusive one already waiting, so orders are
    not starved). Every release then decides on the state every committed change left, and
    "once an order commits, nothing it covers is released" holds across servers. A release
    changes nothing another release decides on, so releases need not wait for each other to
    decide; they wait only to append, in the sequencer's order. The held queue is re-decided
    only by changes, under the exclusive lock, so never while a release is being decided.

    Readers (``reader(engine)``) take no lock: a plain deferred transaction on SQLite (WAL
    gives it a snapshot), ``REPEATABLE READ`` on PostgreSQL, so a read sees one instant.
    """
    if make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(url, future=True, pool_size=10)
        _ping_idle_connections(engine)
        _configure_postgresql(engine)
    elif sqlite_file(url) is not None:
        # Last in, first out: a process that runs one transaction after another (a fan-out's
        # write, then its checkpoint's read) gets the same connection back, whose page cache
        # is still valid; first in, first out handed each transaction the connection idle
        # longest, which SQLite makes drop its whole cache when another connection wrote since.
        engine = create_engine(
            url,
            future=True,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_MAX_OVERFLOW,
            pool_use_lifo=True,
            connect_args={"factory": WriterConnection},
        )
        path = sqlite_file(url) or ""
        _configure_sqlite(engine, writer=writer_lock(path), copier=checkpointer(path))
    else:  # an in-memory SQLite store: one connection per thread, nothing to pool
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
    _ensure_reachable(engine, url)
    return engine


def _reason(exc: DatabaseError | InterfaceError) -> str:
    """The driver's own first line: what a person can act on, without SQLAlchemy's wrapping."""
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


@contextmanager
def reachable(engine: Engine) -> Iterator[None]:
    """Turn the driver's "cannot reach the database" into ``StoreUnavailable``.

    A PostgreSQL restart, a dropped connection or a SQLite file locked past the busy timeout
    fails the transaction, which rolls back: nothing was changed, and the caller should hear
    that (503 on HTTP) rather than a 500 with a driver's message.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(
            f"the store cannot be reached: {_reason(exc)}; nothing was changed",
            hint="try again shortly; if it persists, the operator should check the database",
        ) from None


def _ensure_reachable(engine: Engine, url: str) -> None:
    """Connect once now, so an unreachable store is one clear error, not a driver's traceback.

    The connection goes back to the pool, so the first real transaction does not pay again.
    """
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        if engine.dialect.name == "sqlite":
            hint = "check that the file's directory exists and that you may write to it"
        else:
            hint = "check that the server is running, the host, port, user and password"
        raise StoreUnavailable(
            f"cannot open the store at {shown}: {_reason(exc)}", field="db", hint=hint
        ) from None
    except DatabaseError as exc:  # SQLite's "file is not a database": something else is there
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        raise StoreUnavailable(
            f"cannot open the store at {shown}: {_reason(exc)}",
            field="db",
            hint="the file there is not a SQLite database (nor a Garante store): check --db "
            "(and GARANTE_DB); a new store needs a path where there is no file yet",
        ) from None


def reader(engine: Engine) -> Engine:
    """The same pool, for transactions that only read: they never wait for the writer lock."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READ_OPTION: True}, isolation_level="REPEATABLE READ")
    return engine.execution_options(**{READ_OPTION: True})


def releaser(engine: Engine) -> Engine:
    """The same pool, for release transactions: on PostgreSQL they hold the policy lock
    shared and take the sequencer late (``take_sequencer``); on SQLite they are writes like
    any other (the one writer, from the start)."""
    return engine.execution_options(**{RELEASE_OPTION: True})


def integrator(engine: Engine) -> Engine:
    """The same pool, for integration transactions: on PostgreSQL they hold only the
    integrator lock (``INTEGRATOR_LOCK``), so writers never wait for them nor they for
    writers; on SQLite they are short writes like any other (the one writer)."""
    return engine.execution_options(**{INTEGRATE_OPTION: True})


def sequencer_taken(connection: Connection) -> bool:
    """Whether the write transaction on ``connection`` took the sequencer when it began: every
    one does but a release transaction on PostgreSQL."""
    return connection.dialect.name != "postgresql" or not connection.get_execution_options().get(
        RELEASE_OPTION
    )


def take_sequencer(session: Session) -> None:
    """Take the sequencer in a release transaction on PostgreSQL, held until it ends.

    READ COMMITTED: every statement after this one sees every write committed before the lock
    was granted, so what the release reads from here on (the log's size, the feeds' positions,
    what a partner already holds) is what the releases before it left.
    """
    # On the driver's own cursor: a statement every release group runs, under load hundreds
    # of times a second, whose SQLAlchemy execution cost more than the lock. Nothing the
    # session holds is flushed first: the lock reads no row.
    with driver_cursor(session.connection()) as cursor:
        cursor.execute(_TAKE_SEQUENCER)


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only if it sat idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip before every
    transaction, a release's included, though under load a connection comes back within
    milliseconds of its last use, when the server has had no time to drop it. Here only a
    connection idle ``PING_AFTER_IDLE_SECONDS`` or more is pinged (the dialect's own ping);
    one the server dropped (a restart, an idle timeout, a terminated backend) is replaced
    before anyone uses it (``DisconnectionError``: the pool discards it and connects anew).
    A connection dropped less than that after its last use fails its transaction instead,
    which rolls back whole and is reported as ``StoreUnavailable`` (503, "nothing was
    changed"); SQLAlchemy then recycles every connection the pool held at that moment
    (``pool._invalidate``), so the next transaction connects afresh.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection was dropped: {exc}") from exc


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READ_OPTION):
            return
        if options.get(RELEASE_OPTION):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({POLICY_LOCK})")
            return
        if options.get(INTEGRATE_OPTION):
            # The election: one integrator at a time, READ COMMITTED, so after the lock it sees
            # what the previous integrator committed (its integrated size, its nodes).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({INTEGRATOR_LOCK})")
            return
        # READ COMMITTED (the default): every statement after the locks sees every write
        # committed before they were granted, so the serial order is the locks' order.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POLICY_LOCK})")
        connection.exec_driver_sql(_TAKE_SEQUENCER)


def _configure_sqlite(
    engine: Engine, *, writer: WriterLock | None = None, copier: Checkpointer | None = None
) -> None:
    """SQLite's settings on each new connection, and ``BEGIN IMMEDIATE`` for every write
    transaction; with ``writer``, a file store's writers (of this process, then of every
    process) queue on that lock first (``store.sqlite_writer``); with ``copier``, each write
    leaves the copy of the write-ahead log into the file to its thread
    (``store.sqlite_checkpointer``)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, so BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        if isinstance(dbapi_connection, WriterConnection):
            dbapi_connection.writer = writer
            dbapi_connection.checkpointer = copier
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the driver's cursor: SQLAlchemy's statement execution cost more than the BEGIN,
        # once per transaction; a locked file past the busy timeout is still SQLAlchemy's
        # OperationalError, so ``reachable`` still turns it into StoreUnavailable.
        if connection.get_execution_options().get(READ_OPTION):
            with driver_cursor(connection) as cursor:
                cursor.execute("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        queued = isinstance(dbapi_connection, WriterConnection)
        if queued:
            dbapi_connection.take_writer()
        try:
            with driver_cursor(connection) as cursor:
                cursor.execute(_IMMEDIATE)
        except BaseException:
            if queued:
                dbapi_connection.let_go()
            raise


_IMMEDIATE = "BEGIN IMMEDIATE"
"""A write transaction takes the one writer at its start (``create_store_engine``)."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


def is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        return set(context.get_current_heads()) == set(script.get_heads())
