"""The unit of work: what a use case has added or changed is written when it is flushed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def flush(session: Session) -> None:
    """Write what the session holds now (ids assigned, constraints checked), still uncommitted."""
    session.flush()


def insert_many(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in ``columns``' order) in the session's transaction, through the
    driver's own ``executemany``.

    For the bulk paths (a batch of releases, the log's entries): SQLAlchemy's executemany
    builds a parameter dictionary and runs every type's processor through its generic loop for
    each row, which cost more than the insert itself. Here each column's bind processor (how
    the column's type stores a value on this dialect: a UTC instant, JSON, a boolean) is looked
    up once and applied to the values only, and the rows go to the driver as tuples.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    converting = [(index, p) for index, p in enumerate(processors) if p is not None]
    if converting:
        converted = []
        for row in rows:
            values = list(row)
            for index, process in converting:
                if values[index] is not None:
                    values[index] = process(values[index])
            converted.append(values)
        rows = converted
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()
