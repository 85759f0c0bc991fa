"""Outcome reports: what was done with a release, and whether it kept the undertaking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.domain.outcome import OutcomeReport
from garante.store.paging import Keyset, paged
from garante.store.schema import OutcomeRow


def add(
    session: Session,
    report: OutcomeReport,
    *,
    undertaking_id: str | None,
    breach: bool,
    breach_reasons: list[str],
    statement: str,
    signature: bytes | None,
    reported_by: str,
    at: datetime,
) -> OutcomeRow:
    """An outcome as reported, flushed so that it has its id."""
    row = OutcomeRow(
        request_id=report.request_id,
        agency_id=report.agency_id,
        kind=report.kind,
        occurred_at=report.occurred_at,
        casualties=report.casualties,
        persons=report.persons,
        quantities=report.quantities,
        place=report.place,
        note=report.note,
        undertaking_id=undertaking_id,
        breach=breach,
        breach_reasons=breach_reasons,
        order_id=None,
        statement=statement,
        signature=signature,
        reported_by=reported_by,
        reported_at=at,
    )
    session.add(row)
    session.flush()
    return row


def counts_by_kind(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str, str, bool, int]]:
    """How many outcomes each agency reported of each kind, breaches apart, that occurred in
    [start, end)."""
    rows = session.execute(
        select(OutcomeRow.agency_id, OutcomeRow.kind, OutcomeRow.breach, func.count())
        .where(OutcomeRow.occurred_at >= start, OutcomeRow.occurred_at < end)
        .group_by(OutcomeRow.agency_id, OutcomeRow.kind, OutcomeRow.breach)
    )
    return [(agency_id, kind, breach, int(count)) for agency_id, kind, breach, count in rows]


def page(
    session: Session, page: Keyset | None, *, agency_id: str | None = None
) -> list[OutcomeRow]:
    """Outcomes by id, of one agency when given."""
    query = select(OutcomeRow)
    if agency_id:
        query = query.where(OutcomeRow.agency_id == agency_id)
    return list(session.scalars(paged(query, OutcomeRow.id, page)))


def with_statement(session: Session, agency_id: str, statement: str) -> OutcomeRow | None:
    """An outcome the agency already reported with exactly this canonical statement."""
    return session.scalar(
        select(OutcomeRow)
        .where(OutcomeRow.agency_id == agency_id, OutcomeRow.statement == statement)
        .order_by(OutcomeRow.id)
        .limit(1)
    )
