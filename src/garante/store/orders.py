"""Orders: what an authority requires of releases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import OrderRow


def get(session: Session, order_id: str) -> OrderRow | None:
    return session.get(OrderRow, order_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(OrderRow.id)).all())
