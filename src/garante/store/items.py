"""Items: the intelligence that may be released."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import ItemRow


def get(session: Session, item_id: str) -> ItemRow | None:
    return session.get(ItemRow, item_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(ItemRow.id)).all())
