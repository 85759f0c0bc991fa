"""Items: the intelligence that may be released."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.paging import Keyset, paged
from garante.store.schema import ItemRow


def get(session: Session, item_id: str) -> ItemRow | None:
    return session.get(ItemRow, item_id)


def get_many(session: Session, ids: Iterable[str]) -> dict[str, ItemRow]:
    """The items with these ids that exist, by id: one query for them all."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(ItemRow).where(ItemRow.id.in_(wanted)))}


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(ItemRow.id)).all())


def add(
    session: Session,
    *,
    item_id: str,
    title: str,
    category: str,
    region: str,
    tlp: str,
    originator: str,
    releasable_to: list[str],
    bundle: str,
    content_sha256: str,
    commitment_salt: bytes,
    added_by: str,
    at: datetime,
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
) -> ItemRow:
    """A new item (written with the next flush)."""
    row = ItemRow(
        id=item_id,
        title=title,
        category=category,
        region=region,
        tlp=tlp,
        originator=originator,
        releasable_to=releasable_to,
        bundle=bundle,
        content_sha256=content_sha256,
        commitment_salt=commitment_salt,
        added_by=added_by,
        created_at=at,
        embargo_until=embargo_until,
        expires_at=expires_at,
    )
    session.add(row)
    return row


def page(session: Session, page: Keyset | None) -> list[ItemRow]:
    return list(session.scalars(paged(select(ItemRow), ItemRow.id, page)))


def embargoes_ending(session: Session, since: datetime | None, until: datetime) -> list[ItemRow]:
    """Items whose embargo ended after ``since`` (any time, if None) and by ``until``."""
    query = select(ItemRow).where(ItemRow.embargo_until <= until)
    if since is not None:
        query = query.where(ItemRow.embargo_until > since)
    return list(session.scalars(query.order_by(ItemRow.embargo_until, ItemRow.id)))


def expiring(session: Session, since: datetime | None, until: datetime) -> list[ItemRow]:
    """Items that expired after ``since`` (any time, if None) and by ``until``."""
    query = select(ItemRow).where(ItemRow.expires_at <= until)
    if since is not None:
        query = query.where(ItemRow.expires_at > since)
    return list(session.scalars(query.order_by(ItemRow.expires_at, ItemRow.id)))
