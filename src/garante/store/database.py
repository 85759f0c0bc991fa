"""Opening the store: the URL, SQLite's settings, and migrations to the current schema."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from garante.domain.errors import ValidationError

DEFAULT_URL = "sqlite:///garante.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins over ``GARANTE_DB``; a bare path means a SQLite file."""
    url = explicit or os.environ.get("GARANTE_DB") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    try:
        make_url(url)
    except ArgumentError:
        raise ValidationError(
            f"'{url}' is not a database URL",
            field="db",
            hint="use a file path, sqlite:///path.db or postgresql+psycopg://user@host/db",
        ) from None
    return url


def create_store_engine(url: str) -> Engine:
    """An engine whose transactions serialise writers.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE``: the ledger's next index and
    the held queue are read and written in one transaction, and two writers must not both read
    the same "next". WAL lets readers go on meanwhile.
    """
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, so BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
