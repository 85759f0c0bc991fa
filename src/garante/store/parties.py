"""The agencies and undertakings a decision reads, kept per process while none has changed.

A fan-out decides for every partner an item goes to, and each item is its own transaction: read
through the ORM, the same hundred agencies and their undertakings cost more than deciding.
They change rarely, so a process keeps them (converted, immutable) as of one *generation*: a
value in the store's settings that every change to an agency or an undertaking replaces, in
the transaction that makes the change (a flush hook, so no writer can forget it). A reader
reads the generation in its own transaction and uses what is kept only when it is the one the
kept values were read under; anything else is read again from the store. So a process never
decides on a state another process (or another server on the same PostgreSQL database) has
changed: the generation it reads is the one its transaction sees, and on PostgreSQL a decision
reads it under the policy lock that every change to agencies and undertakings holds
exclusively, so none can commit between the read and the decision.

The generation is a ``store.generation.Generation``, as the agreements' is, with the mark
made by the flush itself rather than by each use case.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session

from garante.domain.parties import Agency
from garante.domain.undertaking import Undertaking
from garante.store import convert
from garante.store.generation import Generation
from garante.store.schema import AgencyRow, UndertakingRow
from garante.store.session import driver_rows, loaded_values, parameter_mark

GENERATION = Generation("parties_generation", watching=(AgencyRow, UndertakingRow))
"""Marked by every flush that adds, changes or deletes an agency or an undertaking."""


@dataclass
class _Kept:
    """What one process has read of the agencies and undertakings as of ``generation``:
    ``agencies`` maps each id asked for to the agency, or None where none exists."""

    generation: str
    agencies: dict[str, Agency | None] = field(default_factory=dict)
    undertakings: dict[str, tuple[Undertaking, ...]] = field(default_factory=dict)


_KEPT: dict[str, _Kept] = {}

_AGENCIES = AgencyRow.metadata.tables[AgencyRow.__tablename__]
_UNDERTAKINGS = UndertakingRow.metadata.tables[UndertakingRow.__tablename__]
# What ``convert.agency`` and ``convert.undertaking`` read, and nothing else: a fan-out reads
# thousands of rows, and their statements' text, their creation and recording instants (each
# parsed from text on SQLite) and who recorded them decide nothing.
_AGENCY_COLUMNS = [
    _AGENCIES.c[name]
    for name in (
        "id",
        "name",
        "country",
        "domestic",
        "requires_undertaking",
        "public_key",
        "active",
    )
]
_UNDERTAKING_COLUMNS = [
    _UNDERTAKINGS.c[name]
    for name in (
        "id",
        "agency_id",
        "permits",
        "prohibits",
        "protections",
        "categories",
        "valid_from",
        "valid_until",
        "revoked_at",
        "signature",
    )
]


def read(
    session: Session, agency_ids: Iterable[str]
) -> tuple[dict[str, Agency], list[Undertaking]]:
    """The agencies among ``agency_ids`` that exist, by id, and every undertaking of them
    (in force or not: the snapshot keeps those in force at its instant), as the store holds
    them in ``session``'s transaction; only the ones not kept under the current generation
    are read, in one query each for agencies and undertakings."""
    key = str(session.connection().engine.url)
    current = GENERATION.current(session)
    kept = _KEPT.get(key)
    if kept is None or kept.generation != current:
        kept = _Kept(generation=current)
        if current:  # never marked (a store upgraded as it was): nothing names its content
            _KEPT[key] = kept
    wanted = set(agency_ids)
    missing = wanted.difference(kept.agencies)
    if missing:
        found: dict[str, Agency | None] = dict.fromkeys(missing)
        by_agency: dict[str, list[Undertaking]] = {agency_id: [] for agency_id in missing}
        ordered = sorted(missing)
        for row in _loaded(session, _AGENCY_COLUMNS, "id", ordered):
            found[row.id] = convert.agency(row)
        for row in _loaded(session, _UNDERTAKING_COLUMNS, "agency_id", ordered):
            by_agency[row.agency_id].append(convert.undertaking(row))
        kept.agencies.update(found)
        kept.undertakings.update((a, tuple(u)) for a, u in by_agency.items())
    agencies: dict[str, Agency] = {}
    undertakings: list[Undertaking] = []
    for agency_id in wanted:
        agency = kept.agencies[agency_id]
        if agency is not None:
            agencies[agency_id] = agency
        undertakings.extend(kept.undertakings[agency_id])
    return agencies, undertakings


def _loaded(
    session: Session, columns: Sequence[Column[Any]], key: str, ids: Sequence[str]
) -> list[Any]:
    """The rows of ``columns``' table whose ``key`` is one of ``ids``, each value as the ORM
    loads it (its column type's result processor: SQLite's text as an instant, JSON text as
    lists, integers as booleans), with the columns' names as attributes.

    Run as the driver's SQL (``driver_rows``) and converted column by column: a fan-out to
    1,000 partners not read before (a server's first after a change to any agency) read its
    agencies and undertakings through SQLAlchemy's select and result rows, which cost more
    than the rest of deciding their releases."""
    table = columns[0].table
    mark = parameter_mark(session.connection().dialect)
    rows: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        sql = (
            f"SELECT {', '.join(c.name for c in columns)} FROM {table.name} "
            f"WHERE {key} IN ({', '.join(mark for _ in chunk)})"
        )
        rows += driver_rows(session, sql, chunk)
    if not rows:
        return []
    values: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, column in enumerate(columns):
        values[index] = _each_once(loaded_values(session, table, column.name), values[index])
    shape = _SHAPES[table.name]
    return [shape._make(row) for row in zip(*values, strict=True)]


def _each_once(process: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    """``process`` (a column's loader) applied to each value, once per distinct value: a
    column of a thousand undertakings holds a few distinct permits, and each was parsed from
    JSON text again. Equal stored values load as one value, shared by the rows that hold it:
    ``convert`` freezes each (a frozenset of a JSON list), none is changed. A value that is
    not hashable (PostgreSQL's JSON, decoded by the driver) is loaded on its own."""
    try:
        loaded = {value: process(value) for value in set(column) if value is not None}
    except TypeError:
        return [None if value is None else process(value) for value in column]
    loaded[None] = None
    return list(map(loaded.__getitem__, column))


_CHUNK = 5_000
"""Ids per statement: well under SQLite's 32,766 parameters, and PostgreSQL's 65,535."""
_SHAPES: dict[str, Any] = {
    columns[0].table.name: namedtuple(f"_{columns[0].table.name}", [c.name for c in columns])
    for columns in (_AGENCY_COLUMNS, _UNDERTAKING_COLUMNS)
}
"""Each table's rows as ``_loaded`` gives them: tuples whose values are named as the columns,
as ``convert`` reads them."""
