"""The unit of work: what a use case has added or changed is written when it is flushed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import DateTime, LargeBinary, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine


def flush(session: Session) -> None:
    """Write what the session holds now (ids assigned, constraints checked), still uncommitted."""
    session.flush()


def parameter_mark(dialect: Dialect) -> str:
    """The driver's mark for a positional parameter, in SQL that goes to the driver as written
    (``driver_cursor``, ``driver_rows``, ``exec_driver_sql``): sqlite3's ``?``, psycopg's
    ``%s``. One place to say it, for the statements built per dialect."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


_T = TypeVar("_T")


def padded(values: Sequence[_T]) -> list[_T]:
    """``values`` (at least one) with the last repeated up to the next power of two, 4 at
    least: a statement that names them one by one then takes one of a few shapes, each built
    and prepared once, rather than one per count."""
    width = 1 << max(2, (len(values) - 1).bit_length())
    return [*values, *[values[-1]] * (width - len(values))]


@contextmanager
def driver_cursor(connection: Connection) -> Iterator[Any]:
    """A cursor of the driver's own, in ``connection``'s transaction, closed after use.

    For the few hot statements (the log's size, its entries and proofs, bulk inserts, the
    feed's seeks) where SQLAlchemy's execution and result objects cost more than the query.
    The driver's errors are raised as SQLAlchemy raises them for any other statement (a
    dropped connection is ``sqlalchemy.exc.OperationalError``, and the connection is
    invalidated so the pool never hands it out again), so ``database.reachable`` still turns
    them into ``StoreUnavailable``, not a 500 with the driver's message.
    """
    base = connection.dialect.loaded_dbapi.Error
    cursor = None
    try:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        yield cursor
    except base as exc:
        raise _as_sqlalchemy(connection, exc, cursor) from exc
    finally:
        if cursor is not None:
            with suppress(base):  # a lost connection's cursor: the error above says it all
                cursor.close()


def driver_rows(session: Session, sql: str, parameters: Sequence[Any] | None = None) -> list[Any]:
    """The rows of ``sql``, run on the driver's own cursor (``driver_cursor``) in ``session``'s
    transaction, after writing what the session holds, as the ORM's select would (autoflush):
    for a read every release or write transaction makes, whose SQLAlchemy execution and result
    cost several times the query."""
    if session.autoflush:
        session.flush()
    with driver_cursor(session.connection()) as cursor:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        return list(cursor.fetchall())


def driver_execute(session: Session, sql: str, parameters: Sequence[Any]) -> int:
    """Run one statement that returns no rows (an UPDATE, a DELETE) on the driver's own cursor
    in ``session``'s transaction, after writing what the session holds (as the ORM's statement
    would, autoflush), and give the number of rows it changed: ``driver_rows``' sibling for
    the hot writes whose caller needs the rowcount, where the ORM's statement cost several
    times the write."""
    if session.autoflush:
        session.flush()
    with driver_cursor(session.connection()) as cursor:
        cursor.execute(sql, parameters)
        return int(cursor.rowcount)


def loaded_values(session: Session, table: Table, column: str) -> Callable[[Any], Any]:
    """How the ORM loads ``column``'s stored value on ``session``'s dialect (its type's result
    processor: SQLite's text, or PostgreSQL's aware datetime, as an aware UTC instant; JSON text
    as a value; SQLite's integers as booleans), for rows read with ``driver_rows``: the same
    values the ORM's select gives. It takes no None: the caller keeps those."""
    return _loader(table.c[column].type, session.connection().dialect)


@lru_cache(maxsize=512)
def _loader(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """``loaded_values``' processor, looked up once per column type and dialect."""
    process = column_type._cached_result_processor(dialect, None)
    if process is None:
        return _unchanged
    return process


def _unchanged(value: Any) -> Any:
    return value


def _as_sqlalchemy(connection: Connection, exc: Any, cursor: Any) -> StatementError:
    """``exc`` as SQLAlchemy wraps a driver's error, invalidating a lost connection as it
    would (``Connection._handle_dbapi_exception``). ``exc`` is an instance of the driver's
    ``Error``, a class only known at run time (``dialect.loaded_dbapi``)."""
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    lost = dialect.is_disconnect(exc, raw, cursor)
    if lost:
        connection.invalidate(exc)
    error: StatementError = DBAPIError.instance(
        None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
    )
    return error


def stored_value(session: Session, table: Table, column: str, value: Any) -> Any:
    """``value`` as ``insert_many`` hands it to the driver for ``column``: for a caller that
    writes one value in every row, converted once (``insert_many(..., stored=True)``)."""
    convert = _converter(table.c[column].type, session.connection().dialect)
    return value if convert is None else convert([value])[0]


def stored_values(
    session: Session, table: Table, column: str, values: Sequence[Any]
) -> Sequence[Any]:
    """``values`` as ``insert_many`` hands them to the driver for ``column``, converted as one
    column (``insert_many(..., stored=True)``)."""
    convert = _converter(table.c[column].type, session.connection().dialect)
    return values if convert is None else convert(values)


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    stored: bool = False,
) -> None:
    """Insert ``rows`` (values in ``columns``' order) in the session's transaction, through the
    driver's own ``executemany``.

    For the bulk paths (a batch of releases, the log's entries): SQLAlchemy's executemany
    builds a parameter dictionary and runs every type's processor through its generic loop for
    each row, which cost more than the insert itself. Here each column's bind processor (how
    the column's type stores a value on this dialect: a UTC instant, JSON, a boolean) is looked
    up once and applied to the values only, and the rows go to the driver as tuples.
    ``stored``: the values are as the driver takes them already (bytes, text, integers, or
    ``stored_value``'s), and go to it unconverted, the rows not even turned into columns.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    converting = (
        []
        if stored
        else [
            (index, converter)
            for index, name in enumerate(columns)
            if (converter := _converter(table.c[name].type, dialect)) is not None
        ]
    )
    if converting:
        # Column by column, not row by row: each converter takes a whole column, mostly in
        # C (``map``, sets), and ``zip`` turns the columns back into rows.
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, convert in converting:
            values[index] = convert(values[index])
        rows = list(zip(*values, strict=True))
    names = tuple(columns)
    mark = parameter_mark(dialect)
    with driver_cursor(connection) as cursor:
        if dialect.name == "postgresql" and len(rows) <= PG_ONE_STATEMENT_ROWS:
            cursor.execute(
                _insert(table.name, names, len(rows), mark), [v for r in rows for v in r]
            )
        else:
            cursor.executemany(_insert(table.name, names, 1, mark), rows)


PG_ONE_STATEMENT_ROWS = 4
"""On PostgreSQL, up to this many rows go as one multi-row ``INSERT ... VALUES``; more go
through psycopg's ``executemany``. Its pipeline machinery costs more Python than one statement
for a few rows, and less for many: measured against a bare cluster (9 columns, CPU per call),
1 row 84-104 us by ``executemany`` against 53-69 us in one statement, 4 rows 149-176 against
79-88, 8 rows about even, 32 rows 541-610 against 565-660, and 1,000 rows 12 ms against 25-44
ms however they were split. A release group's requests, decisions and feed rows are mostly a
few rows (one per caller), so each of those inserts saves the machinery; its log entries,
three per release, and a fan-out's batches keep ``executemany``."""


@lru_cache(maxsize=256)
def _insert(table: str, columns: tuple[str, ...], count: int, mark: str) -> str:
    """``INSERT INTO table (columns) VALUES (...), ...`` with ``count`` rows of marks."""
    row = f"({', '.join(mark for _ in columns)})"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(row for _ in range(count))}"
    )


@lru_cache(maxsize=512)
def _converter(
    column_type: TypeEngine[Any], dialect: Dialect
) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """How ``insert_many`` stores a column's values on ``dialect``: its bind processor applied
    to each value but None, less the work that gives the same stored value every time.

    Bytes go to the driver as they are: both drivers store ``bytes`` as a blob (bytea), which
    SQLAlchemy's generic processor only wraps (in a ``memoryview`` on SQLite) first. A batch's
    instants are mostly one (the transaction's ``now``), so each distinct instant is converted
    once per batch: the conversion depends on the value alone. Leaf hashes and entries, and the
    instants of every row of a fan-out, were converted one by one before, which cost more than
    inserting them. Made once per column type and dialect (both live as long as the process's
    tables and engines): looking the processor up again cost more than a small batch's insert.
    """
    process = column_type._cached_bind_processor(dialect)
    if process is None:
        return None

    def each(column: Sequence[Any]) -> Sequence[Any]:
        return [None if value is None else process(value) for value in column]

    if isinstance(column_type, LargeBinary):

        def blobs(column: Sequence[Any]) -> Sequence[Any]:
            return column if set(map(type, column)) <= _BYTES else each(column)

        return blobs
    if isinstance(getattr(column_type, "impl", column_type), DateTime):

        def instants(column: Sequence[Any]) -> Sequence[Any]:
            stored = {value: process(value) for value in set(column) if value is not None}
            stored[None] = None
            return list(map(stored.__getitem__, column))

        return instants
    return each


_BYTES = frozenset({bytes, type(None)})
"""What a blob column's values may be to go to the driver unconverted."""
