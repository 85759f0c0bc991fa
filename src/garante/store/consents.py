"""Partners' signed consent requests for onward sharing, and the answers given to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.consent import ConsentRequest
from garante.store.schema import ConsentRequestRow


def get(session: Session, consent_id: str) -> ConsentRequestRow | None:
    return session.get(ConsentRequestRow, consent_id)


def add(
    session: Session,
    consent: ConsentRequest,
    *,
    statement: str,
    signature: str,
    at: datetime,
) -> ConsentRequestRow:
    """A consent request as received, pending, flushed."""
    row = ConsentRequestRow(
        id=consent.id,
        agency_id=consent.agency_id,
        request_id=consent.release,
        recipient=consent.recipient,
        country=consent.country,
        purpose=consent.purpose,
        statement=statement,
        signature=signature,
        requested_at=consent.requested_at,
        received_at=at,
        status="pending",
    )
    session.add(row)
    session.flush()
    return row


def listed(
    session: Session, *, agency_id: str | None, status: str | None
) -> list[ConsentRequestRow]:
    """Consent requests, of one agency and in one status if given, in the order received."""
    query = select(ConsentRequestRow)
    if agency_id is not None:
        query = query.where(ConsentRequestRow.agency_id == agency_id)
    if status is not None:
        query = query.where(ConsentRequestRow.status == status)
    return list(
        session.scalars(query.order_by(ConsentRequestRow.received_at, ConsentRequestRow.id))
    )
