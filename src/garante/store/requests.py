"""Release requests and the decisions stored for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.decision import Decision, Outcome
from garante.store.schema import DecisionRow, RequestRow


def get(session: Session, request_id: int) -> RequestRow | None:
    return session.get(RequestRow, request_id)


def add(
    session: Session,
    *,
    item_id: str,
    recipient_id: str,
    purpose: str,
    requested_by: str,
    at: datetime,
) -> RequestRow:
    """A new request, held until decided, flushed so that it has its id."""
    row = RequestRow(
        item_id=item_id,
        recipient_id=recipient_id,
        purpose=purpose,
        requested_by=requested_by,
        requested_at=at,
        outcome=Outcome.HELD.value,
        decided_at=at,
    )
    session.add(row)
    session.flush()
    return row


def held(session: Session) -> list[RequestRow]:
    """The held queue, oldest first."""
    return list(
        session.scalars(
            select(RequestRow)
            .where(RequestRow.outcome == Outcome.HELD.value)
            .order_by(RequestRow.id)
        ).all()
    )


def add_decision(
    session: Session, request_id: int, decision: Decision, *, trigger: str, at: datetime
) -> None:
    """Store a decision beside the request it decides (written with the next flush)."""
    session.add(
        DecisionRow(
            request_id=request_id,
            outcome=decision.outcome.value,
            explanation=decision.explanation,
            rules=[hit.to_dict() for hit in decision.rules],
            undertaking_id=decision.undertaking_id,
            state_version=decision.state_version,
            trigger=trigger,
            decided_at=at,
        )
    )
