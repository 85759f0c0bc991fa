"""Authorities: who issues orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from garante.store.paging import Keyset, paged
from garante.store.schema import AuthorityRow, AuthoritySuperiorRow


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


def superiors(session: Session, authority_id: str) -> set[str]:
    """The authorities configured as superior to ``authority_id``."""
    query = select(AuthoritySuperiorRow.superior_id).where(
        AuthoritySuperiorRow.subordinate_id == authority_id
    )
    return set(session.scalars(query))


def set_subordinates(
    session: Session, authority_id: str, over: Sequence[str], *, at: datetime
) -> None:
    """Make ``authority_id`` superior to exactly ``over`` (written with the next flush)."""
    session.execute(
        delete(AuthoritySuperiorRow).where(AuthoritySuperiorRow.superior_id == authority_id)
    )
    session.add_all(
        AuthoritySuperiorRow(superior_id=authority_id, subordinate_id=other, set_at=at)
        for other in over
    )


def superior_map(session: Session) -> dict[str, list[str]]:
    """Every configured superior, with the authorities it is over, both by id."""
    rows = session.execute(
        select(AuthoritySuperiorRow.superior_id, AuthoritySuperiorRow.subordinate_id).order_by(
            AuthoritySuperiorRow.superior_id, AuthoritySuperiorRow.subordinate_id
        )
    )
    out: dict[str, list[str]] = {}
    for superior, subordinate in rows:
        out.setdefault(superior, []).append(subordinate)
    return out
