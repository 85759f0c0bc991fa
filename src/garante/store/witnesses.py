"""The witnesses the log's operator trusts, as stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import LogWitnessRow


def add(
    session: Session, *, witness_id: str, name: str, verifier_key: str, at: datetime
) -> LogWitnessRow:
    row = LogWitnessRow(id=witness_id, name=name, verifier_key=verifier_key, added_at=at)
    session.add(row)
    session.flush()
    return row


def active(session: Session) -> list[LogWitnessRow]:
    """The witnesses registered and not removed, by name."""
    return list(
        session.scalars(
            select(LogWitnessRow)
            .where(LogWitnessRow.removed_at.is_(None))
            .order_by(LogWitnessRow.name)
        )
    )


def active_with_id(session: Session, witness_id: str) -> LogWitnessRow | None:
    return session.scalars(
        select(LogWitnessRow).where(
            LogWitnessRow.id == witness_id, LogWitnessRow.removed_at.is_(None)
        )
    ).first()


def active_named(session: Session, name: str) -> LogWitnessRow | None:
    return session.scalars(
        select(LogWitnessRow).where(LogWitnessRow.name == name, LogWitnessRow.removed_at.is_(None))
    ).first()
