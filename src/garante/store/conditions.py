"""Conditions: states of the world orders can depend on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import ConditionRow


def get(session: Session, condition_id: str) -> ConditionRow | None:
    return session.get(ConditionRow, condition_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(ConditionRow.id)).all())
