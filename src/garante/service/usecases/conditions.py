"""Conditions and the events a derived condition counts."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from garante import records
from garante.domain.condition import ConditionRule, Event
from garante.domain.roles import Role
from garante.service import (
    conditions,
    views,
    visibility,
)
from garante.service.access import (
    INTERNAL,
    acts_as,
    entitled,
    not_as_the_system,
    reporting_agency,
)
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import conditions as store_conditions


class EventTerms(TypedDict):
    """What an event says, as ``event_statement`` and ``record_event`` both take it."""

    kind: str
    region: str
    occurred_at: datetime
    source: str
    note: str
    agency_id: str | None


class Conditions(UseCases):
    """Conditions and the events a derived condition counts."""

    @entitled(Role.AUTHORITY)
    def define_condition(
        self,
        condition_id: str,
        *,
        description: str,
        rule: ConditionRule | None = None,
        active: bool = False,
        evidence: str = "",
    ) -> Change[records.Condition]:
        with self._tx() as tx:
            row = conditions.define_condition(
                tx,
                condition_id=condition_id,
                description=description,
                rule=rule,
                active=active,
                evidence=evidence,
            )
            return Change(value=views.condition(row))

    @entitled(Role.AUTHORITY)
    def condition_statement(
        self, condition_id: str, *, active: bool, evidence: str, authority_id: str
    ) -> dict[str, str | bool]:
        """What ``authority_id`` signs to set a hand-kept condition; nothing stored."""
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="set")
        with self.context.reads() as read:
            return conditions.set_statement(
                read,
                condition_id=condition_id,
                active=active,
                evidence=evidence,
                authority_id=authority_id,
            )

    @entitled(Role.AUTHORITY)
    def set_condition(
        self,
        condition_id: str,
        *,
        active: bool,
        evidence: str,
        authority_id: str,
        signature: bytes | None = None,
    ) -> Change[records.Condition]:
        """Set a hand-kept condition on an authority's word, signed with its key if it has
        one: orders in force while it holds start or stop at once."""
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="set")
        with self._tx() as tx:
            row, moved = conditions.set_condition(
                tx,
                condition_id=condition_id,
                active=active,
                evidence=evidence,
                authority_id=authority_id,
                signature=signature,
            )
            return Change(value=views.condition(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.ANALYST, Role.AUTHORITY)
    def event_statement(
        self,
        *,
        kind: str,
        region: str,
        occurred_at: datetime,
        source: str = "",
        note: str = "",
        agency_id: str | None = None,
    ) -> dict[str, str]:
        """What the reporting agency signs to report an event; nothing stored.

        An analyst reports for its own agency (the default); others name the agency.
        """
        event = Event(
            kind=kind,
            region=region,
            occurred_at=occurred_at.replace(microsecond=0),
            source=source,
            note=note,
        )
        agency_id = reporting_agency(self.principal, agency_id)
        with self.context.reads() as read:
            return conditions.event_statement(read, event, agency_id=agency_id)

    @entitled(Role.ANALYST, Role.AUTHORITY)
    def record_event(
        self,
        *,
        kind: str,
        region: str,
        occurred_at: datetime,
        source: str = "",
        note: str = "",
        agency_id: str | None = None,
        signature: bytes | None = None,
    ) -> Change[records.Event]:
        """Record an event on its reporting agency's word, signed with the agency's key if it
        has one; derived conditions are evaluated again at once."""
        event = Event(kind=kind, region=region, occurred_at=occurred_at, source=source, note=note)
        agency_id = reporting_agency(self.principal, agency_id)
        with self._tx() as tx:
            row, moved = conditions.record_event(
                tx, event, agency_id=agency_id, signature=signature
            )
            return Change(value=views.event(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.ANALYST, Role.AUTHORITY)
    def refresh_conditions(self) -> Change[tuple[records.Condition, ...]]:
        """Store what derived conditions are now, and move what their change moves.

        Whether any changed is read first without the writer lock: a server runs this every
        second, and most seconds nothing has.
        """
        with self._read() as session:
            stored = store_conditions.all_by_id(session)
            if not conditions.stale(session, stored, self.clock.now()):
                return Change(value=tuple(views.condition(r) for r in stored))
        with self._tx() as tx:
            moved = conditions.refresh_conditions(tx)
            rows = store_conditions.all_by_id(tx.session)
            return Change(
                value=tuple(views.condition(r) for r in rows),
                moved=visibility.moved(self.principal, moved),
            )

    @entitled(*INTERNAL)
    def conditions(self, page: Page | None = None) -> list[records.Condition]:
        with self._read() as session:
            return [views.condition(r) for r in store_conditions.page(session, page)]

    @entitled(*INTERNAL)
    def events(self, page: Page | None = None) -> list[records.Event]:
        with self._read() as session:
            return [views.event(r) for r in store_conditions.events_page(session, page)]
