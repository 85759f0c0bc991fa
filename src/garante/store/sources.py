"""Sources: where items come from, and each upstream version they gave."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from garante.store.paging import Keyset, paged
from garante.store.schema import ItemRow, SourceIngestRow, SourceRow

INGESTED = "item"  # the upstream version became an item
VERSION_SEEN = "version-seen"  # an older version than the item's current: recorded, not applied
REVISED = "revised"  # a later version of one that did: the item's next version
REVOKED = "revoked"  # the upstream revoked it: the item is revoked
APPLIED = (INGESTED, REVISED)  # the versions an item was at, in order


def get(session: Session, source_id: str) -> SourceRow | None:
    return session.get(SourceRow, source_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(SourceRow.id).where(SourceRow.removed_at.is_(None))))


def add(
    session: Session,
    *,
    source_id: str,
    kind: str,
    url: str,
    collection: str | None,
    auth: str,
    username: str | None,
    secret: str | None,
    credentials_salt: bytes | None,
    originator: str,
    interval: int,
    grouping: str,
    category: str,
    region: str,
    tlp: str,
    mapping: dict[str, Any],
    added_by: str,
    at: datetime,
) -> SourceRow:
    row = SourceRow(
        id=source_id,
        kind=kind,
        url=url,
        collection=collection,
        auth=auth,
        username=username,
        secret=secret,
        credentials_salt=credentials_salt,
        originator=originator,
        interval=interval,
        grouping=grouping,
        category=category,
        region=region,
        tlp=tlp,
        mapping=mapping,
        added_by=added_by,
        added_at=at,
    )
    session.add(row)
    return row


def page(session: Session, page: Keyset | None, *, removed: bool = False) -> list[SourceRow]:
    query = select(SourceRow)
    if not removed:
        query = query.where(SourceRow.removed_at.is_(None))
    return list(session.scalars(paged(query, SourceRow.id, page)))


def due(session: Session, now: datetime) -> list[SourceRow]:
    """Sources neither paused nor removed whose interval has passed since their last attempt
    (or that were never pulled), or whose pull was asked for (first). The interval is
    compared here, not in SQL: there are few."""
    rows = session.scalars(
        select(SourceRow)
        .where(SourceRow.paused_at.is_(None), SourceRow.removed_at.is_(None))
        .order_by(SourceRow.id)
    )
    due = [
        r
        for r in rows
        if r.pull_requested_at is not None
        or r.last_attempt_at is None
        or (now - r.last_attempt_at).total_seconds() >= r.interval
    ]
    return sorted(due, key=lambda r: r.pull_requested_at is None)


def record_attempt(
    session: Session,
    source_id: str,
    *,
    at: datetime,
    position_added: str | None,
    position_next: str | None,
    error: str | None,
    refused: str | None = None,
    started: datetime | None = None,
) -> None:
    """Where a pull got to and how it ended: a success clears the last error, unless it
    refused objects, which is then said (``refused``) as the last error, at the same time.
    A pull asked for before the pull ``started`` is done (one asked for during it is not)."""
    values: dict[str, Any] = {
        "last_attempt_at": at,
        "position_added": position_added,
        "position_next": position_next,
    }
    if error is None:
        values.update(last_success_at=at, last_error=refused, last_error_at=at if refused else None)
    else:
        values.update(last_error=error, last_error_at=at)
    session.execute(update(SourceRow).where(SourceRow.id == source_id).values(**values))
    if started is not None:
        session.execute(
            update(SourceRow)
            .where(SourceRow.id == source_id, SourceRow.pull_requested_at <= started)
            .values(pull_requested_at=None)
        )


def request_pull(session: Session, source_id: str, at: datetime) -> None:
    """Ask the server's schedule to pull the source next (a request already waiting stays)."""
    session.execute(
        update(SourceRow)
        .where(SourceRow.id == source_id, SourceRow.pull_requested_at.is_(None))
        .values(pull_requested_at=at)
    )


def record_position(
    session: Session, source_id: str, *, position_added: str | None, position_next: str | None
) -> None:
    """How far a pull got: written after each page, so a restart resumes there."""
    session.execute(
        update(SourceRow)
        .where(SourceRow.id == source_id)
        .values(position_added=position_added, position_next=position_next)
    )


# -- what each source gave -------------------------------------------------------------------


def ingest(
    session: Session, source_id: str, upstream_id: str, upstream_version: str
) -> SourceIngestRow | None:
    """The record of this exact upstream version, if it was taken before."""
    return session.scalars(
        select(SourceIngestRow).where(
            SourceIngestRow.source_id == source_id,
            SourceIngestRow.upstream_id == upstream_id,
            SourceIngestRow.upstream_version == upstream_version,
        )
    ).first()


def first_ingest(session: Session, source_id: str, upstream_id: str) -> SourceIngestRow | None:
    """The version of this upstream id that became an item, if one did."""
    return session.scalars(
        select(SourceIngestRow).where(
            SourceIngestRow.source_id == source_id,
            SourceIngestRow.upstream_id == upstream_id,
            SourceIngestRow.status == INGESTED,
        )
    ).first()


def current_ingest(session: Session, source_id: str, upstream_id: str) -> SourceIngestRow | None:
    """The upstream version the item of this upstream id is at now (the last one applied)."""
    return session.scalars(
        select(SourceIngestRow)
        .where(
            SourceIngestRow.source_id == source_id,
            SourceIngestRow.upstream_id == upstream_id,
            SourceIngestRow.status.in_(APPLIED),
        )
        .order_by(SourceIngestRow.id.desc())
        .limit(1)
    ).first()


def taken_from(session: Session, item_id: str) -> SourceIngestRow | None:
    """The ingest that made ``item_id`` (its first upstream version), if a source gave it:
    where it came from and, from a Garante upstream, the terms it was released under."""
    found: SourceIngestRow | None = session.scalars(
        select(SourceIngestRow).where(
            SourceIngestRow.item_id == item_id, SourceIngestRow.status == "item"
        )
    ).first()
    return found


def versions_of(session: Session, item_id: str) -> list[SourceIngestRow]:
    """An item's history: every upstream version of it taken, in the order taken."""
    return list(
        session.scalars(
            select(SourceIngestRow)
            .where(SourceIngestRow.item_id == item_id)
            .order_by(SourceIngestRow.id)
        )
    )


def standing_upstream_ids(session: Session, source_id: str) -> list[str]:
    """The upstream ids of the source that made items not revoked, in the order taken."""
    return list(
        session.scalars(
            select(SourceIngestRow.upstream_id)
            .join(ItemRow, ItemRow.id == SourceIngestRow.item_id)
            .where(
                SourceIngestRow.source_id == source_id,
                SourceIngestRow.status == INGESTED,
                ItemRow.revoked_at.is_(None),
            )
            .order_by(SourceIngestRow.id)
        )
    )


def add_ingest(
    session: Session,
    *,
    source_id: str,
    upstream_id: str,
    upstream_version: str,
    item_id: str,
    status: str,
    content_commitment: str,
    commitment_salt: bytes | None,
    bundle: str | None,
    ingested_by: str,
    at: datetime,
    title: str | None = None,
    item_version: int | None = None,
    tlp: str | None = None,
    terms: dict[str, Any] | None = None,
) -> SourceIngestRow:
    row = SourceIngestRow(
        source_id=source_id,
        upstream_id=upstream_id,
        upstream_version=upstream_version,
        item_id=item_id,
        status=status,
        content_commitment=content_commitment,
        commitment_salt=commitment_salt,
        title=title,
        bundle=bundle,
        item_version=item_version,
        tlp=tlp,
        terms=terms,
        ingested_by=ingested_by,
        ingested_at=at,
    )
    session.add(row)
    return row


def ingests_of_items(session: Session, item_ids: Iterable[str]) -> dict[str, SourceIngestRow]:
    """Where each of these items came from, for those a source gave."""
    wanted = set(item_ids)
    if not wanted:
        return {}
    rows = session.scalars(
        select(SourceIngestRow).where(
            SourceIngestRow.item_id.in_(wanted), SourceIngestRow.status == INGESTED
        )
    )
    return {r.item_id: r for r in rows}


def counts(session: Session, source_id: str) -> tuple[int, int]:
    """How many items the source gave, and how many other versions (later, older, revoking)
    it recorded of them."""
    rows = session.execute(
        select(SourceIngestRow.status).where(SourceIngestRow.source_id == source_id)
    ).all()
    items = sum(1 for (status,) in rows if status == INGESTED)
    return items, len(rows) - items


def all_ingests(session: Session) -> list[SourceIngestRow]:
    return list(session.scalars(select(SourceIngestRow).order_by(SourceIngestRow.id)))


# -- a Garante upstream ------------------------------------------------------------------------


def record_checkpoint(session: Session, source_id: str, verified: dict[str, Any]) -> None:
    """The last upstream checkpoint a pull verified and cosigned (pull state, not logged)."""
    session.execute(
        update(SourceRow).where(SourceRow.id == source_id).values(upstream_checkpoint=verified)
    )
