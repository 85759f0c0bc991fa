"""A partner node's outbox: the acknowledgements it signed for its upstream, until accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.store.schema import SourceIngestRow, UpstreamAckRow


def of_release(
    session: Session, source_id: str, request_id: int, kind: str
) -> UpstreamAckRow | None:
    return session.scalars(
        select(UpstreamAckRow).where(
            UpstreamAckRow.source_id == source_id,
            UpstreamAckRow.request_id == request_id,
            UpstreamAckRow.kind == kind,
        )
    ).first()


def add(session: Session, row: UpstreamAckRow) -> UpstreamAckRow:
    session.add(row)
    session.flush()
    return row


def pending(session: Session, source_id: str) -> list[UpstreamAckRow]:
    """What the upstream has not accepted yet, oldest first; those queued at one instant (one
    pull's) by release, the delivery before the recall. Not by id: ids are random, and the
    upstream lists what it received in the order it came."""
    return list(
        session.scalars(
            select(UpstreamAckRow)
            .where(UpstreamAckRow.source_id == source_id, UpstreamAckRow.accepted_at.is_(None))
            .order_by(UpstreamAckRow.queued_at, UpstreamAckRow.request_id, UpstreamAckRow.kind)
        )
    )


def get(session: Session, ack_id: str) -> UpstreamAckRow | None:
    return session.get(UpstreamAckRow, ack_id)


def tried(session: Session, ack_id: str, *, at: datetime, error: str | None) -> None:
    """One attempt to send it: accepted (``error`` None) or why not."""
    row = session.get(UpstreamAckRow, ack_id)
    if row is None:
        return
    row.attempts += 1
    row.last_error = error
    if error is None:
        row.accepted_at = at


def outbox(session: Session, source_id: str) -> tuple[int, str | None]:
    """How many are waiting, and the last error of the latest one that failed."""
    waiting = session.scalar(
        select(func.count())
        .select_from(UpstreamAckRow)
        .where(UpstreamAckRow.source_id == source_id, UpstreamAckRow.accepted_at.is_(None))
    )
    error = session.scalars(
        select(UpstreamAckRow.last_error)
        .where(
            UpstreamAckRow.source_id == source_id,
            UpstreamAckRow.accepted_at.is_(None),
            UpstreamAckRow.last_error.is_not(None),
        )
        .order_by(UpstreamAckRow.queued_at.desc())
    ).first()
    return int(waiting or 0), error


def released_items(session: Session, source_id: str) -> list[tuple[int, str, str, str]]:
    """Each upstream release a source's items came from: (request, the agency it went to
    upstream, the item, its upstream id), from the terms kept with each item taken."""
    rows = session.execute(
        select(SourceIngestRow.terms, SourceIngestRow.item_id, SourceIngestRow.upstream_id)
        .where(SourceIngestRow.source_id == source_id)
        .order_by(SourceIngestRow.id)
    )
    found = []
    for terms, item_id, upstream_id in rows:
        request = terms.get("request") if isinstance(terms, dict) else None
        agency = terms.get("released_to") if isinstance(terms, dict) else None
        if type(request) is int and isinstance(agency, str):
            found.append((request, agency, item_id, upstream_id))
    return found
