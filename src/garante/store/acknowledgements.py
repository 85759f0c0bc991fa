"""Partners' signed acknowledgements of deliveries and of recalls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, cast, literal, select
from sqlalchemy.orm import Session

from garante.domain.acknowledgement import AckKind, Acknowledgement
from garante.store import signed
from garante.store.schema import AcknowledgementRow, FeedReleaseRow, OrderRow, RequestRow


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
    index: int,
) -> AcknowledgementRow:
    """An acknowledgement as received at ``at``, recorded by log entry ``index``, flushed."""
    row = AcknowledgementRow(
        id=ack.id,
        kind=ack.kind,
        request_id=ack.request_id,
        agency_id=ack.agency_id,
        statement=statement,
        signature=signature,
        acknowledged_at=ack.acknowledged_at,
        received_at=at,
        received_index=index,
    )
    return signed.added(session, row)


def of_agency(session: Session, agency_id: str | None) -> list[AcknowledgementRow]:
    """Acknowledgements, of one agency if given, in the order received."""
    return signed.received(session, AcknowledgementRow, agency_id=agency_id)


def _unacknowledged(query: Select[Any]) -> Select[Any]:
    """``query`` of releases narrowed to those no acknowledgement of recall has come for."""
    return query.outerjoin(
        AcknowledgementRow,
        and_(
            AcknowledgementRow.request_id == FeedReleaseRow.request_id,
            AcknowledgementRow.kind == AckKind.RECALL.value,
        ),
    ).where(AcknowledgementRow.id.is_(None))


def unacknowledged_recalls(session: Session, partner_id: str | None) -> list[FeedReleaseRow]:
    """Recalled releases no acknowledgement of recall has come for, the oldest recall first."""
    query = _unacknowledged(select(FeedReleaseRow)).where(FeedReleaseRow.recalled_at.is_not(None))
    if partner_id is not None:
        query = query.where(FeedReleaseRow.partner_id == partner_id)
    return list(
        session.scalars(query.order_by(FeedReleaseRow.recalled_at, FeedReleaseRow.request_id))
    )


# -- recall acknowledgement deadlines (issue 21) -------------------------------------------


def _overdue(columns: Any, now: datetime) -> Select[Any]:
    """Recalls past their deadline, with no acknowledgement and no hold for them yet."""
    hold_id = (
        literal("recall-")
        + FeedReleaseRow.partner_id
        + "-"
        + cast(FeedReleaseRow.request_id, String)
    )
    return (
        _unacknowledged(select(columns))
        .outerjoin(OrderRow, OrderRow.id == hold_id)
        .where(FeedReleaseRow.recall_ack_by <= now, OrderRow.id.is_(None))
    )


def overdue_recalls(session: Session, now: datetime) -> list[FeedReleaseRow]:
    """Recalls past their acknowledgement deadline with no acknowledgement and no hold yet,
    the earliest deadline first."""
    query = _overdue(FeedReleaseRow, now).order_by(
        FeedReleaseRow.recall_ack_by, FeedReleaseRow.request_id
    )
    return list(session.scalars(query))


def any_overdue(session: Session, now: datetime) -> bool:
    """Whether ``overdue_recalls`` has any (read without the writer lock, every second)."""
    return session.scalar(_overdue(FeedReleaseRow.request_id, now).limit(1)) is not None


def item_of(session: Session, request_id: int) -> str:
    return str(session.scalar(select(RequestRow.item_id).where(RequestRow.id == request_id)))
