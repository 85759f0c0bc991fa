"""What the tables of partners' signed statements about their releases share (acknowledgements,
consent requests): each row is one statement as received, under the partner's own id for it,
with the agency that signed it, when it came, and the index of the log entry that recorded its
receipt; they are listed the same way, in that entry's order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from garante.store.schema import AcknowledgementRow, ConsentRequestRow

SignedRowT = TypeVar("SignedRowT", AcknowledgementRow, ConsentRequestRow)
RowT = TypeVar("RowT")


def added(session: Session, row: RowT) -> RowT:
    """``row`` added and flushed, so a conflict with a row already there shows now."""
    session.add(row)
    session.flush()
    return row


def received(
    session: Session,
    row: type[SignedRowT],
    *,
    agency_id: str | None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[SignedRowT]:
    """The statements of one table, of one agency if given and meeting ``where``, in the order
    received: by the log entry that recorded each. Not by ``received_at``: those taken in one
    transaction share its instant, and their ids, the partner's own, say nothing of order. (Two
    rows share an entry only if revision 0026 found none for them; their ids then decide.)"""
    query = select(row).where(*where)
    if agency_id is not None:
        query = query.where(row.agency_id == agency_id)
    return list(session.scalars(query.order_by(row.received_index, row.id)))
