"""Authorities: who issues orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.paging import Keyset, paged
from garante.store.schema import AuthorityRow


def get(session: Session, authority_id: str) -> AuthorityRow | None:
    return session.get(AuthorityRow, authority_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(AuthorityRow.id)).all())


def add(
    session: Session, *, authority_id: str, name: str, public_key: bytes | None, at: datetime
) -> AuthorityRow:
    """A new active authority (written with the next flush)."""
    row = AuthorityRow(
        id=authority_id, name=name, public_key=public_key, active=True, created_at=at
    )
    session.add(row)
    return row


def page(session: Session, page: Keyset | None) -> list[AuthorityRow]:
    return list(session.scalars(paged(select(AuthorityRow), AuthorityRow.id, page)))
