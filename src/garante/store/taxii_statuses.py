"""The status resources of writes to partners' TAXII write collections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from garante.store.schema import TaxiiStatusRow


def add(
    session: Session, *, status_id: str, agency_id: str, at: datetime, body: str
) -> TaxiiStatusRow:
    row = TaxiiStatusRow(id=status_id, agency_id=agency_id, request_timestamp=at, body=body)
    session.add(row)
    session.flush()
    return row


def get(session: Session, status_id: str) -> TaxiiStatusRow | None:
    return session.get(TaxiiStatusRow, status_id)
