"""Client certificates of partner agencies, by fingerprint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import AgencyCertificateRow


def get(session: Session, fingerprint: str) -> AgencyCertificateRow | None:
    return session.get(AgencyCertificateRow, fingerprint)


def add(
    session: Session, *, fingerprint: str, agency_id: str, label: str, at: datetime
) -> AgencyCertificateRow:
    """A new certificate in use (written with the next flush)."""
    row = AgencyCertificateRow(
        fingerprint=fingerprint, agency_id=agency_id, label=label, created_at=at, removed_at=None
    )
    session.add(row)
    return row


def of_agency(session: Session, agency_id: str) -> list[AgencyCertificateRow]:
    """An agency's certificates, removed ones too, oldest first."""
    return list(
        session.scalars(
            select(AgencyCertificateRow)
            .where(AgencyCertificateRow.agency_id == agency_id)
            .order_by(AgencyCertificateRow.created_at, AgencyCertificateRow.fingerprint)
        )
    )
