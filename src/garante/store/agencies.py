"""Agencies: the parties that share and receive."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import AgencyRow


def get(session: Session, agency_id: str) -> AgencyRow | None:
    return session.get(AgencyRow, agency_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(AgencyRow.id)).all())
