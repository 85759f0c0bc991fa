"""Conditions: states of the world orders can depend on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.condition import ConditionRule, Event
from garante.store.paging import Keyset, paged
from garante.store.schema import ConditionRow, EventRow


def counted_events(
    session: Session, rule: ConditionRule, after: datetime, until: datetime | None = None
) -> list[EventRow]:
    """The events of ``rule``'s kind and region that occurred after ``after`` (and at or
    before ``until``, if given), by id: those its window can count. One query for both
    readers: the count at one instant (``queries``) and the events kept per process for
    every instant from one on (``standing_conditions``)."""
    query = select(EventRow).where(
        EventRow.kind == rule.kind,
        EventRow.region == rule.region,
        EventRow.occurred_at > after,
    )
    if until is not None:
        query = query.where(EventRow.occurred_at <= until)
    return list(session.scalars(query.order_by(EventRow.id)))


def get(session: Session, condition_id: str) -> ConditionRow | None:
    return session.get(ConditionRow, condition_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(ConditionRow.id)).all())


def add(
    session: Session,
    *,
    condition_id: str,
    description: str,
    rule: dict[str, Any] | None,
    manual_active: bool,
    evidence: str,
    at: datetime,
) -> ConditionRow:
    """A new condition, inactive until evaluated, flushed."""
    row = ConditionRow(
        id=condition_id,
        description=description,
        rule=rule,
        manual_active=manual_active,
        evidence=evidence,
        active=False,
        changed_at=at,
    )
    session.add(row)
    session.flush()
    return row


def all_by_id(session: Session) -> list[ConditionRow]:
    return list(session.scalars(select(ConditionRow).order_by(ConditionRow.id)).all())


def add_event(
    session: Session,
    event: Event,
    *,
    agency_id: str,
    statement: str,
    signature: bytes | None,
    at: datetime,
) -> EventRow:
    """An event as recorded, flushed so that it has its id."""
    row = EventRow(
        kind=event.kind,
        region=event.region,
        occurred_at=event.occurred_at,
        source=event.source,
        note=event.note,
        agency_id=agency_id,
        statement=statement,
        signature=signature,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    return row


def page(session: Session, page: Keyset | None) -> list[ConditionRow]:
    return list(session.scalars(paged(select(ConditionRow), ConditionRow.id, page)))


def events_page(session: Session, page: Keyset | None) -> list[EventRow]:
    return list(session.scalars(paged(select(EventRow), EventRow.id, page)))
