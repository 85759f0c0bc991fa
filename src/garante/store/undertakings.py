"""Undertakings: the terms a recipient agreed to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.domain.undertaking import Undertaking
from garante.store.paging import Keyset, paged
from garante.store.schema import UndertakingRow


def get(session: Session, undertaking_id: str) -> UndertakingRow | None:
    return session.get(UndertakingRow, undertaking_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(UndertakingRow.id)).all())


def count_of(session: Session, agency_id: str) -> int:
    """How many undertakings an agency has signed (revoked ones included)."""
    count = session.scalar(
        select(func.count())
        .select_from(UndertakingRow)
        .where(UndertakingRow.agency_id == agency_id)
    )
    return int(count or 0)


def add(
    session: Session,
    terms: Undertaking,
    *,
    statement: str,
    signature: bytes | None,
    recorded_by: str,
    at: datetime,
    key_recovered: bool = False,
) -> UndertakingRow:
    """A signed undertaking as recorded (written with the next flush)."""
    row = UndertakingRow(
        id=terms.id,
        agency_id=terms.agency_id,
        permits=sorted(terms.permits),
        prohibits=sorted(terms.prohibits),
        protections=sorted(terms.protections),
        categories=sorted(terms.categories),
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        statement=statement,
        signature=signature,
        key_recovered=key_recovered,
        recorded_by=recorded_by,
        recorded_at=at,
        revoked_at=None,
    )
    session.add(row)
    return row


def page(
    session: Session, page: Keyset | None, *, agency_id: str | None = None
) -> list[UndertakingRow]:
    """Undertakings by id, of one agency when given."""
    query = select(UndertakingRow)
    if agency_id:
        query = query.where(UndertakingRow.agency_id == agency_id)
    return list(session.scalars(paged(query, UndertakingRow.id, page)))
