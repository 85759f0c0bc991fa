"""Authorities: who issues orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import AuthorityRow


def get(session: Session, authority_id: str) -> AuthorityRow | None:
    return session.get(AuthorityRow, authority_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(AuthorityRow.id)).all())
