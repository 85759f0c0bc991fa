"""Outcome reports: what was done with a release, and whether it kept the undertaking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.outcome import OutcomeReport
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
