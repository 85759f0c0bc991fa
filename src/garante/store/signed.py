"""What the tables of partners' signed statements about their releases share (acknowledgements,
consent requests): each row is one statement as received, under the partner's own id for it,
with the agency that signed it and when it came; they are listed the same way."""

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
    received (by id among those received at the same instant)."""
    query = select(row).where(*where)
    if agency_id is not None:
        query = query.where(row.agency_id == agency_id)
    return list(session.scalars(query.order_by(row.received_at, row.id)))
