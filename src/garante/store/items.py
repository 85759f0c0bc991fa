"""Items: the intelligence that may be released.

Every release reads its items (their attributes, bundle, and the upstream release each came
under, if a Garante upstream gave it), and they change rarely: a process keeps them
(``kept``), converted and immutable, as of a *generation* (``store.generation``) that every
flush adding, changing or deleting an item or a source ingest marks, in the transaction that
makes the change. So no writer can forget it: a new version, a revocation, a window, a
review, an ingest's terms are all changes of those rows. A transaction uses what is kept only
while the generation it reads is the one the kept values were read under; a change another
process (or server) commits is seen by the next transaction that begins after it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.consent import Onward
from garante.domain.item import Item
from garante.store import convert
from garante.store.generation import Generation
from garante.store.paging import Keyset, paged
from garante.store.schema import ItemRow, SourceIngestRow
from garante.store.session import driver_rows, loaded_values, parameter_mark

GENERATION = Generation("items_generation", watching=(ItemRow, SourceIngestRow))
"""Marked by every flush that adds, changes or deletes an item or a source ingest."""


@dataclass(frozen=True, slots=True)
class Kept:
    """An item as a release reads it: its attributes (``item``), its bundle as stored, and
    the upstream release it came under (``onward``, ``queries.released_under``'s)."""

    item: Item
    bundle: str
    onward: Onward | None

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def tlp(self) -> str:
        return self.item.tlp


@dataclass
class _Kept:
    """What one process has read of the items as of ``generation``: each id asked for, with
    the item, or None where none exists."""

    generation: str
    items: dict[str, Kept | None] = field(default_factory=dict)


_KEPT: dict[Any, _Kept] = {}

_ITEMS = ItemRow.metadata.tables[ItemRow.__tablename__]
_INGESTS = SourceIngestRow.metadata.tables[SourceIngestRow.__tablename__]
# What ``convert.item`` reads, and the bundle.
_COLUMNS = (
    "id",
    "title",
    "category",
    "region",
    "tlp",
    "originator",
    "releasable_to",
    "content_sha256",
    "embargo_until",
    "expires_at",
    "review",
    "revoked_at",
    "revoked_reason",
    "bundle",
)
_Row = namedtuple("_Row", _COLUMNS)  # type: ignore[misc]  # names from _COLUMNS


def kept(session: Session, item_ids: Iterable[str]) -> dict[str, Kept]:
    """The items among ``item_ids`` that exist, by id, as the store holds them in
    ``session``'s transaction: only those not kept under the current generation are read, in
    one statement for the items and one for their ingests, as the driver's SQL."""
    key = session.connection().engine.url
    current = GENERATION.current(session)
    held = _KEPT.get(key)
    if held is None or held.generation != current or len(held.items) >= _KEPT_AT_MOST:
        # A fresh one, not the old one emptied: another thread may be reading that one.
        held = _Kept(generation=current)
        if current:  # never marked (a store upgraded as it was): nothing names its content
            _KEPT[key] = held
    wanted = set(item_ids)
    missing = wanted.difference(held.items)
    if missing:
        held.items.update(_read(session, sorted(missing)))
    found: dict[str, Kept] = {}
    for item_id in wanted:
        item = held.items[item_id]
        if item is not None:
            found[item_id] = item
    return found


def _read(session: Session, ids: list[str]) -> dict[str, Kept | None]:
    """The items ``ids`` (None where none exists), read as the driver's SQL and each value
    loaded as the ORM loads its column: SQLAlchemy's select and the ORM's rows cost more, per
    release, than deciding it."""
    mark = parameter_mark(session.connection().dialect)
    rows: list[Any] = []
    terms: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        places = ", ".join(mark for _ in chunk)
        rows += driver_rows(
            session,
            f"SELECT {', '.join(_COLUMNS)} FROM {_ITEMS.name} WHERE id IN ({places})",
            chunk,
        )
        terms += driver_rows(
            session,
            f"SELECT item_id, terms FROM {_INGESTS.name} "
            f"WHERE status = {mark} AND item_id IN ({places})",
            ["item", *chunk],
        )
    onward: dict[str, Onward] = {}
    load_terms = loaded_values(session, _INGESTS, "terms")
    for item_id, stored in terms:
        upstream = Onward.of_terms(None if stored is None else load_terms(stored))
        if upstream is not None:
            onward[item_id] = upstream
    loaders = [loaded_values(session, _ITEMS, name) for name in _COLUMNS]
    found: dict[str, Kept | None] = dict.fromkeys(ids)
    for stored_row in rows:
        row: Any = _Row._make(
            None if value is None else load(value)
            for load, value in zip(loaders, stored_row, strict=True)
        )
        # ``convert.item`` reads only the attributes ``_Row`` names.
        item = convert.item(cast(ItemRow, row))
        found[row.id] = Kept(item=item, bundle=row.bundle, onward=onward.get(row.id))
    return found


_KEPT_AT_MOST = 10_000
"""Items a process keeps per store at most (with their bundles): past it, it starts again
with the items released from then on, so a hub releasing from a million items between two
changes keeps only those it is releasing now, not all it ever read."""

_CHUNK = 5_000
"""Ids per statement: well under SQLite's 32,766 parameters, and PostgreSQL's 65,535."""


def get(session: Session, item_id: str) -> ItemRow | None:
    return session.get(ItemRow, item_id)


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
