"""Undertakings: the terms a recipient agreed to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import UndertakingRow


def get(session: Session, undertaking_id: str) -> UndertakingRow | None:
    return session.get(UndertakingRow, undertaking_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(UndertakingRow.id)).all())
