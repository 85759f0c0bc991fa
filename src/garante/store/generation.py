"""A mark of change kept in the store, so a process may keep what it read while the mark holds.

Agreements, agencies and undertakings, and orders are read by every decision and change
rarely; a process keeps them (``store.agreements``, ``store.parties``, ``store.standing_orders``)
as of one *generation*: a value in the store's settings that every change replaces, in the
transaction that makes the change. A reader reads the generation in its own transaction and
uses what it kept only while it is the one the kept values were read under. The value is a
fresh uuid each time, so two stores, or a change rolled back, never share one.

A generation that names row types (``watching``) is marked by a flush hook, so no use case can
forget to mark it; one that names none is marked by its use cases (``changed``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from garante.store.schema import SettingRow


class Generation:
    """The generation stored under ``key``, marked by any flush that adds, changes or deletes
    a row of one of the ``watching`` types."""

    def __init__(self, key: str, *, watching: tuple[type, ...] = ()) -> None:
        self.key = key
        self._watching = watching
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

    def current(self, session: Session) -> str:
        """What ``changed`` last wrote, or "" if nothing ever did: equal while nothing has
        changed since.

        Flushed first where rows are watched: a change this very transaction has made but not
        yet written must not be answered from what was kept before it (the flush marks it).
        """
        if self._watching:
            session.flush()
        row = session.get(SettingRow, self.key)
        return "" if row is None or row.value is None else str(row.value)

    def _mark_on_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        for states in (session.new, session.dirty, session.deleted):
            if any(isinstance(row, self._watching) for row in states):
                self.changed(session)
                return
