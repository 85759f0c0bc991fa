"""A mark of change kept in the store, so a process may keep what it read while the mark holds.

Agreements, agencies and undertakings, orders, and conditions with the events they count are
read by every decision and change rarely; a process keeps them (``store.agreements``,
``store.parties``, ``store.standing_orders``, ``store.standing_conditions``) as of one
*generation*: a value in the store's settings that every change replaces, in the transaction
that makes the change. A reader reads the generation in its own transaction and uses what it
kept only while it is the one the kept values were read under. The value is a fresh uuid each
time, so two stores, or a change rolled back, never share one.

A transaction reads every generation it may need in one statement, at the first it asks for,
and answers the others from what that statement read (``marks``): a release asks for three or
four, which were as many reads of a settings row. What the transaction marks itself
(``changed``) replaces what it read; a savepoint's end, or the transaction's, forgets them, so
a mark rolled back is never answered, and the next transaction reads them again: a change
committed by another process is seen by the next transaction that begins after it.

A generation that names row types (``watching``) is marked by a flush hook, so no use case can
forget to mark it; one that names none is marked by its use cases (``changed``).

A few settings every release reads (the vocabulary, the log's verifier key, whose name is the
origin its entries cite) ride on the same statement (``carry``, ``carried``): each was a read
of its own per release. They are read, not kept: a value edited in the store is seen by the
next transaction, as before; what is kept per process is only what is parsed from a value,
and only while the value read is the same (``store.queries``).
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from garante.store.schema import SettingRow
from garante.store.session import driver_rows, loaded_values, parameter_mark

_SETTINGS = SettingRow.metadata.tables[SettingRow.__tablename__]

_KEYS: list[str] = []
"""Every generation's key, in the order they were made: what ``marks`` reads at once."""

_MARKS = "garante.generation.marks"
"""Where a session keeps the marks its current transaction read: ``session.info[_MARKS]``."""

_CARRIED: list[str] = []
"""Settings read by the marks' statement too (``carry``)."""

_VALUES = "garante.generation.values"
"""Where a session keeps the carried settings its current transaction read."""


class Generation:
    """The generation stored under ``key``, marked by any flush that adds, changes or deletes
    a row of one of the ``watching`` types."""

    def __init__(self, key: str, *, watching: tuple[type, ...] = ()) -> None:
        self.key = key
        self._watching = watching
        if key not in _KEYS:
            _KEYS.append(key)
        if watching:
            event.listen(Session, "before_flush", self._mark_on_flush)

    def changed(self, session: Session) -> None:
        """Mark a change, in the transaction that makes it: readers that keep what this
        generation covers read it again."""
        value = uuid.uuid4().hex
        row = session.get(SettingRow, self.key)
        if row is None:
            session.add(SettingRow(key=self.key, value=value))
        else:
            row.value = value
        read = session.info.get(_MARKS)
        if read is not None:
            read[self.key] = value

    def current(self, session: Session) -> str:
        """What ``changed`` last wrote, or "" if nothing ever did: equal while nothing has
        changed since.

        Flushed first where a row of a watched type waits to be written: a change this very
        transaction has made but not yet written must not be answered from what was kept
        before it (the flush marks it). Only then: a release asks for four generations, and a
        flush of nothing, each time, was a share of its cost.
        """
        if self._watching and self._pending(session):
            session.flush()
        read = marks(session)
        if self.key not in read:  # made after this transaction read the others
            row = session.get(SettingRow, self.key)
            read[self.key] = "" if row is None or row.value is None else str(row.value)
        return read[self.key]

    def _pending(self, session: Session) -> bool:
        """Whether the session holds a row of a watched type that its next flush writes."""
        return any(
            any(isinstance(row, self._watching) for row in states)
            for states in (session.new, session.dirty, session.deleted)
        )

    def _mark_on_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        if self._pending(session):
            self.changed(session)


def marks(session: Session) -> dict[str, str]:
    """Every generation as ``session``'s transaction holds it ("" where never marked): read in
    one statement at the first call of the transaction, and given again until it ends."""
    read: dict[str, str] | None = session.info.get(_MARKS)
    if read is None:
        keys = _KEYS + _CARRIED
        stored = driver_rows(session, _statement(len(keys), session), keys)
        load = loaded_values(session, _SETTINGS, "value")
        found: dict[str, Any] = {
            key: None if value is None else load(value) for key, value in stored
        }
        read = {key: "" if found.get(key) is None else str(found[key]) for key in _KEYS}
        session.info[_MARKS] = read
        session.info[_VALUES] = {key: found.get(key) for key in _CARRIED}
    return read


def _statement(count: int, session: Session) -> str:
    """The marks' one statement for ``count`` keys, as the driver's SQL: SQLAlchemy's select
    (its coercions, cache key and result object) cost more, per transaction, than running it.
    The values are loaded as the ORM loads the column (``loaded_values``)."""
    return _sql(count, parameter_mark(session.connection().dialect))


@lru_cache(maxsize=16)
def _sql(count: int, mark: str) -> str:
    return (
        f"SELECT key, value FROM {_SETTINGS.name} "
        f"WHERE key IN ({', '.join(mark for _ in range(count))})"
    )


def carry(key: str) -> None:
    """Read the setting ``key`` with the marks, in their one statement (``carried``)."""
    if key not in _CARRIED:
        _CARRIED.append(key)


def carried(session: Session, key: str) -> Any:
    """The value of the carried setting ``key`` in ``session``'s transaction (None if unset):
    read with the marks, or as written since by ``carried_changed``."""
    values: dict[str, Any] | None = session.info.get(_VALUES)
    if values is None:
        marks(session)
        values = session.info[_VALUES]
    if key not in values:  # carried after this transaction read the others
        row = session.get(SettingRow, key)
        values[key] = None if row is None else row.value
    return values[key]


def carried_changed(session: Session, key: str, value: Any) -> None:
    """The transaction wrote ``value`` to the carried setting ``key``: answer it from now on."""
    values: dict[str, Any] | None = session.info.get(_VALUES)
    if values is not None and key in _CARRIED:
        values[key] = value


def _forget(session: Session, _transaction: SessionTransaction) -> None:
    """A transaction or savepoint ended: what it read or marked may no longer hold."""
    session.info.pop(_MARKS, None)
    session.info.pop(_VALUES, None)


event.listen(Session, "after_transaction_end", _forget)
