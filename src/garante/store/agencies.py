"""Agencies: the parties that share and receive."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.paging import Keyset, paged
from garante.store.schema import AgencyRow


def get(session: Session, agency_id: str) -> AgencyRow | None:
    return session.get(AgencyRow, agency_id)


def get_many(session: Session, ids: Iterable[str]) -> dict[str, AgencyRow]:
    """The agencies with these ids that exist, by id: one query for them all."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(AgencyRow).where(AgencyRow.id.in_(wanted)))}


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(AgencyRow.id)).all())


def add(
    session: Session,
    *,
    agency_id: str,
    name: str,
    country: str,
    domestic: bool,
    requires_undertaking: bool,
    public_key: bytes | None,
    at: datetime,
) -> AgencyRow:
    """A new active agency (written with the next flush)."""
    row = AgencyRow(
        id=agency_id,
        name=name,
        country=country,
        domestic=domestic,
        requires_undertaking=requires_undertaking,
        public_key=public_key,
        active=True,
        created_at=at,
    )
    session.add(row)
    return row


def countries(session: Session) -> set[str]:
    """The countries some registered agency is in."""
    return set(session.scalars(select(AgencyRow.country)).all())


def places(session: Session) -> list[tuple[str, str, bool]]:
    """Every agency's id, country and whether it is domestic, by id."""
    rows = session.execute(
        select(AgencyRow.id, AgencyRow.country, AgencyRow.domestic).order_by(AgencyRow.id)
    )
    return [(agency_id, country, bool(domestic)) for agency_id, country, domestic in rows]


def within(session: Session, agency_id: str, prefix: str) -> list[str]:
    """Other agencies whose ids start with ``prefix`` (an agency's namespace)."""
    return list(
        session.scalars(
            select(AgencyRow.id).where(
                AgencyRow.id != agency_id, AgencyRow.id.startswith(prefix, autoescape=True)
            )
        ).all()
    )


def foreign_ids(session: Session) -> list[str]:
    """The ids of the foreign partners, in order."""
    return list(
        session.scalars(
            select(AgencyRow.id).where(AgencyRow.domestic.is_(False)).order_by(AgencyRow.id)
        )
    )


def page(session: Session, page: Keyset | None, *, only: str | None = None) -> list[AgencyRow]:
    """Agencies by id (only ``only`` when given)."""
    query = select(AgencyRow)
    if only is not None:
        query = query.where(AgencyRow.id == only)
    return list(session.scalars(paged(query, AgencyRow.id, page)))


def page_ids(session: Session, page: Keyset | None) -> list[str]:
    return list(session.scalars(paged(select(AgencyRow.id), AgencyRow.id, page)))
