"""Partners' signed acknowledgements of deliveries and of recalls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from garante.domain.acknowledgement import AckKind, Acknowledgement
from garante.store.schema import AcknowledgementRow, FeedReleaseRow


def get(session: Session, ack_id: str) -> AcknowledgementRow | None:
    return session.get(AcknowledgementRow, ack_id)


def of_release(session: Session, request_id: int, kind: str) -> AcknowledgementRow | None:
    """The acknowledgement of this kind of a release, if one came."""
    return session.scalar(
        select(AcknowledgementRow).where(
            AcknowledgementRow.request_id == request_id, AcknowledgementRow.kind == kind
        )
    )


def add(
    session: Session,
    ack: Acknowledgement,
    *,
    statement: str,
    signature: str,
    at: datetime,
) -> AcknowledgementRow:
    """An acknowledgement as received, flushed."""
    row = AcknowledgementRow(
        id=ack.id,
        kind=ack.kind,
        request_id=ack.request_id,
        agency_id=ack.agency_id,
        statement=statement,
        signature=signature,
        acknowledged_at=ack.acknowledged_at,
        received_at=at,
    )
    session.add(row)
    session.flush()
    return row


def of_agency(session: Session, agency_id: str | None) -> list[AcknowledgementRow]:
    """Acknowledgements, of one agency if given, in the order received."""
    query = select(AcknowledgementRow)
    if agency_id is not None:
        query = query.where(AcknowledgementRow.agency_id == agency_id)
    return list(
        session.scalars(query.order_by(AcknowledgementRow.received_at, AcknowledgementRow.id))
    )


def unacknowledged_recalls(session: Session, partner_id: str | None) -> list[FeedReleaseRow]:
    """Recalled releases no acknowledgement of recall has come for, the oldest recall first."""
    query = (
        select(FeedReleaseRow)
        .outerjoin(
            AcknowledgementRow,
            and_(
                AcknowledgementRow.request_id == FeedReleaseRow.request_id,
                AcknowledgementRow.kind == AckKind.RECALL.value,
            ),
        )
        .where(FeedReleaseRow.recalled_at.is_not(None), AcknowledgementRow.id.is_(None))
    )
    if partner_id is not None:
        query = query.where(FeedReleaseRow.partner_id == partner_id)
    return list(
        session.scalars(query.order_by(FeedReleaseRow.recalled_at, FeedReleaseRow.request_id))
    )
