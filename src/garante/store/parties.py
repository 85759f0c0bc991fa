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

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.parties import Agency
from garante.domain.undertaking import Undertaking
from garante.store import convert
from garante.store.generation import Generation
from garante.store.schema import AgencyRow, UndertakingRow

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
        table = _AGENCIES
        for row in session.execute(select(*_AGENCY_COLUMNS).where(table.c.id.in_(missing))):
            found[row.id] = convert.agency(row)
        undertaking_table = _UNDERTAKINGS
        by_agency: dict[str, list[Undertaking]] = {agency_id: [] for agency_id in missing}
        query = select(*_UNDERTAKING_COLUMNS).where(undertaking_table.c.agency_id.in_(missing))
        for row in session.execute(query):
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
