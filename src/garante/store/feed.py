"""A partner's feed: the releases that fill it, the object versions they put in it, and pages.

Pages are read by keyset over an index, never a count, never an offset. The cost of a page
depends on the page size, not on the collection's: the index
(partner, visible, is_latest, date_added, seq) leads straight to the first row after the cursor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

from garante.domain.decision import Outcome
from garante.store.paging import Keyset, paged
from garante.store.schema import AgencyRow, FeedObjectRow, FeedReleaseRow, RequestRow
from garante.store.session import (
    driver_cursor,
    driver_rows,
    insert_many,
    loaded_values,
    parameter_mark,
    stored_value,
    stored_values,
)

AVAILABLE = "available"  # released, not yet fetched, and an order may still withhold it
WITHHELD = "withheld"  # released once, but what decides now would not release it
RECALLED = "recalled"  # delivered, then recalled: the feed carries revoked versions
WITHDRAWN = "withdrawn"  # recalled before delivery: the partner never received it
DELIVERED = "delivered"  # not a status kept: AVAILABLE with a delivery time, as shown

TICK = timedelta(microseconds=1)  # the step between two date_added in one feed


@dataclass(frozen=True, kw_only=True)
class FeedQuery:
    partner_id: str
    added_after: datetime | None = None
    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    after: tuple[datetime, int] | None = None
    limit: int = 1000


@dataclass(frozen=True, kw_only=True)
class FeedRow:
    seq: int
    object_id: str
    object_type: str
    version: str
    date_added: datetime
    body: str
    request_id: int | None


@dataclass(frozen=True, slots=True)
class FeedBodies:
    """One page as the objects endpoint serves it: the stored canonical JSON of each object
    version, in feed order, and only what the envelope, its headers and the next token need
    besides. No per-row object is built, and only the first and last ``date_added`` are parsed.
    """

    bodies: list[str]
    more: bool
    first_added: datetime | None = None
    last_added: datetime | None = None
    last_seq: int | None = None
    request_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class _Shape:
    """Which filters a query uses: one statement per shape, built once, values bound."""

    every_version: bool
    last: bool
    first: bool
    explicit: bool
    types: bool
    ids: bool
    added_after: bool
    after: bool

    @classmethod
    def of(cls, query: FeedQuery) -> _Shape:
        versions = set(query.versions)
        every = "all" in versions
        return cls(
            every_version=every,
            last=not every and "last" in versions,
            first=not every and "first" in versions,
            explicit=not every and bool(versions - {"last", "first"}),
            types=bool(query.types),
            ids=bool(query.ids),
            added_after=query.added_after is not None,
            after=query.after is not None,
        )


def _params(query: FeedQuery, shape: _Shape) -> dict[str, Any]:
    """The values a statement of ``shape`` binds for ``query``."""
    params: dict[str, Any] = {"partner": query.partner_id, "limit": query.limit + 1}
    if shape.explicit:
        params["explicit"] = sorted(set(query.versions) - {"last", "first"})
    if shape.types:
        params["types"] = list(query.types)
    if shape.ids:
        params["ids"] = list(query.ids)
    if query.added_after is not None:
        params["added_after"] = query.added_after
    if query.after is not None:
        params["after_added"], params["after_seq"] = query.after
    return params


_ROW_COLUMNS = ("seq", "object_id", "object_type", "version", "date_added", "body", "request_id")


@functools.cache
def _statement(shape: _Shape, bodies: bool) -> Any:
    """A page's SELECT for queries of ``shape``, ``limit + 1`` rows in date_added order: with
    ``bodies``, the columns ``FeedBodies`` needs and ``date_added`` as the driver returns it."""
    o = FeedObjectRow
    columns: list[Any]
    if bodies:
        columns = [o.body, o.request_id, o.seq, type_coerce(o.date_added, String)]
    else:
        columns = [getattr(o, name) for name in _ROW_COLUMNS]
    stmt: Any = select(*columns)
    stmt = stmt.where(o.partner_id == bindparam("partner"), o.visible.is_(True))
    if not shape.every_version:
        wanted: list[ColumnElement[bool]] = []
        if shape.last:
            wanted.append(o.is_latest.is_(True))
        if shape.first:
            earlier = aliased(FeedObjectRow)
            wanted.append(
                ~select(earlier.seq)
                .where(
                    earlier.partner_id == o.partner_id,
                    earlier.object_id == o.object_id,
                    earlier.version < o.version,
                )
                .exists()
            )
        if shape.explicit:
            wanted.append(o.version.in_(bindparam("explicit", expanding=True)))
        stmt = stmt.where(or_(*wanted))
    if shape.types:
        stmt = stmt.where(o.object_type.in_(bindparam("types", expanding=True)))
    if shape.ids:
        stmt = stmt.where(o.object_id.in_(bindparam("ids", expanding=True)))
    if shape.added_after:
        stmt = stmt.where(o.date_added > bindparam("added_after", type_=o.date_added.type))
    if shape.after:
        # A row value, not ``a > x OR (a = x AND b > y)``: both stores seek the page index to
        # it, where the OR form makes SQLite scan from the partner's first row (a page deep in
        # a collection of 10^6 objects cost 300 ms instead of a few).
        stmt = stmt.where(
            tuple_(o.date_added, o.seq)
            > tuple_(
                bindparam("after_added", type_=o.date_added.type),
                bindparam("after_seq", type_=o.seq.type),
            )
        )
    return stmt.order_by(o.date_added, o.seq).limit(bindparam("limit", type_=Integer))


def _execute(session: Session, query: FeedQuery, *, bodies: bool) -> Sequence[Any]:
    """The page's rows (one more than ``limit``, to know whether more follow), through Core:
    the statement is built once per shape and compiled once per store."""
    shape = _Shape.of(query)
    return session.connection().execute(_statement(shape, bodies), _params(query, shape)).all()


def page(session: Session, query: FeedQuery) -> tuple[list[FeedRow], bool]:
    """One page in date_added order, and whether more follow."""
    if query.spec_versions and "2.1" not in query.spec_versions:
        return [], False
    rows = _execute(session, query, bodies=False)
    out = [
        FeedRow(
            seq=seq,
            object_id=object_id,
            object_type=object_type,
            version=version,
            date_added=date_added,
            body=body,
            request_id=request_id,
        )
        for seq, object_id, object_type, version, date_added, body, request_id in rows
    ]
    return out[: query.limit], len(out) > query.limit


def page_bodies(session: Session, query: FeedQuery) -> FeedBodies:
    """One page as ``FeedBodies``: the same rows, in the same order, as ``page`` reads."""
    if query.spec_versions and "2.1" not in query.spec_versions:
        return FeedBodies(bodies=[], more=False)
    rows = _execute(session, query, bodies=True)
    more = len(rows) > query.limit
    if more:
        rows = rows[: query.limit]
    if not rows:
        return FeedBodies(bodies=[], more=False)
    instant = _added_processor(session)
    return FeedBodies(
        bodies=[row[0] for row in rows],
        more=more,
        first_added=instant(rows[0][3]),
        last_added=instant(rows[-1][3]),
        last_seq=rows[-1][2],
        request_ids=frozenset(row[1] for row in rows if row[1] is not None),
    )


def _added_processor(session: Session) -> Callable[[Any], datetime]:
    """How ``date_added`` as the driver returns it becomes an aware UTC instant, as the
    column's own type reads it."""
    dialect = session.get_bind().dialect
    column = FeedObjectRow.__table__.c.date_added
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)
    if process is None:  # pragma: no cover - UTCDateTime always processes
        raise TypeError("date_added has no result processor")
    return cast(Callable[[Any], datetime], process)


_UNDELIVERED = (
    select(FeedReleaseRow.request_id)
    .where(
        FeedReleaseRow.request_id.in_(bindparam("ids", expanding=True)),
        FeedReleaseRow.delivered_at.is_(None),
    )
    .limit(1)
)


def undelivered_requests(session: Session, request_ids: Collection[int]) -> bool:
    """Whether any of the releases of ``request_ids`` is not delivered yet (every page asks,
    so one prepared Core statement that stops at the first)."""
    if not request_ids:
        return False
    found = session.connection().execute(_UNDELIVERED, {"ids": sorted(set(request_ids))})
    return found.first() is not None


def _visible_to(partner_id: str) -> ColumnElement[bool]:
    """A partner's own release, standing released, that it may be delivered now or has been.

    A release an order now withholds, or one recalled before delivery, is not the partner's
    to know of: it never received it, and may never. (Joined with ``release_requests``, whose
    ``ix_release_requests_recipient`` finds the partner's: ``feed_releases.partner_id`` is not
    indexed, see revision 0027.)
    """
    return and_(
        RequestRow.recipient_id == partner_id,
        FeedReleaseRow.partner_id == partner_id,
        # ``reached``'s rule, in SQL:
        or_(FeedReleaseRow.status == AVAILABLE, FeedReleaseRow.delivered_at.is_not(None)),
        RequestRow.outcome == Outcome.RELEASED.value,
    )


def reached(release: FeedReleaseRow) -> bool:
    """Whether a release reached its partner: its feed offers it now, or delivered it once.
    ``_visible_to``'s rule, for a row already loaded."""
    return release.status == AVAILABLE or release.delivered_at is not None


def partner_requests(
    session: Session, partner_id: str, page: Keyset | None, *, item: str | None = None
) -> list[RequestRow]:
    """A partner's own releases as it may see them (of one item when given), by request id
    (keyset pages)."""
    query = (
        select(RequestRow)
        .join(FeedReleaseRow, FeedReleaseRow.request_id == RequestRow.id)
        .where(_visible_to(partner_id))
    )
    if item:
        query = query.where(RequestRow.item_id == item)
    return list(session.scalars(paged(query, RequestRow.id, page)))


def partner_sees(session: Session, partner_id: str, request_ids: Sequence[int]) -> set[int]:
    """Which of ``request_ids`` are the partner's own releases that it may see now."""
    if not request_ids:
        return set()
    return set(
        session.scalars(
            select(FeedReleaseRow.request_id)
            .join(RequestRow, RequestRow.id == FeedReleaseRow.request_id)
            .where(FeedReleaseRow.request_id.in_(set(request_ids)), _visible_to(partner_id))
        )
    )


# Writing a partner's feed: releases, the objects they put in it, and their state.


def release(session: Session, request_id: int) -> FeedReleaseRow | None:
    """The release of a request, found in the identity map when already loaded."""
    return session.get(FeedReleaseRow, request_id)


def standing_of_item(session: Session, item_id: str) -> list[FeedReleaseRow]:
    """The releases of an item that still stand (available or withheld), oldest first."""
    return list(
        session.scalars(
            select(FeedReleaseRow)
            .join(RequestRow, RequestRow.id == FeedReleaseRow.request_id)
            .where(RequestRow.item_id == item_id, FeedReleaseRow.status.in_((AVAILABLE, WITHHELD)))
            .order_by(FeedReleaseRow.request_id)
        )
    )


def release_by_token(session: Session, token: str) -> FeedReleaseRow | None:
    return session.scalars(
        select(FeedReleaseRow).where(FeedReleaseRow.trace_token == token)
    ).first()


def add_release(
    session: Session,
    *,
    request_id: int,
    partner_id: str,
    trace_token: str,
    undertaking_id: str | None,
    at: datetime,
) -> FeedReleaseRow:
    """A release available to its partner from ``at`` (written with the next flush)."""
    row = FeedReleaseRow(
        request_id=request_id,
        partner_id=partner_id,
        trace_token=trace_token,
        undertaking_id=undertaking_id,
        status=AVAILABLE,
        available_at=at,
        delivered_at=None,
        recalled_at=None,
    )
    session.add(row)
    return row


def add_object(
    session: Session,
    *,
    partner_id: str,
    request_id: int | None,
    object_id: str,
    object_type: str,
    version: str,
    date_added: datetime,
    body: str,
) -> FeedObjectRow:
    """One visible, latest object version in a partner's feed (written with the next flush)."""
    row = FeedObjectRow(
        partner_id=partner_id,
        request_id=request_id,
        object_id=object_id,
        object_type=object_type,
        version=version,
        date_added=date_added,
        body=body,
        visible=True,
        is_latest=True,
    )
    session.add(row)
    return row


def next_dates(session: Session, partner_id: str, count: int, now: datetime) -> list[datetime]:
    """Strictly increasing date_added per partner: resuming from one never skips another."""
    if count == 0:
        return []  # nothing to date: no need to read where the feed ends
    start = first_dates(session, [partner_id], now)[partner_id]
    return [start + TICK * i for i in range(count)]


def first_dates(session: Session, partner_ids: Iterable[str], now: datetime) -> dict[str, datetime]:
    """The date_added each partner's next object takes (``next_dates``' first), for many
    partners in one query per 500: what follows it in one feed adds a ``TICK`` each."""
    wanted = set(partner_ids)
    found = last_dates(session, wanted)
    return {
        partner: now if (last := found.get(partner)) is None or last < now else last + TICK
        for partner in wanted
    }


_RELEASES = FeedReleaseRow.metadata.tables[FeedReleaseRow.__tablename__]
_OBJECTS = FeedObjectRow.metadata.tables[FeedObjectRow.__tablename__]


def last_dates(session: Session, partner_ids: Iterable[str]) -> dict[str, datetime]:
    """The latest date_added in each partner's feed (partners with an empty feed are absent):
    where ``next_dates`` continues from, for many partners in one query per 500.

    Each partner's latest is the largest of four seeks, one per (visible, is_latest), at the
    end of that prefix of the page index (partner, visible, is_latest, date_added, seq): both
    stores answer a ``max`` there from the index's last entry. ``max(date_added) ... GROUP BY
    partner`` read every row of each partner's feed instead, so adding an item cost more the
    more its partners had been sent: a fan-out to 100 partners that had 2,000 objects each
    read 200,000 index entries to find 100 dates.

    Sent as the driver's SQL on its own cursor, in the session's transaction (as Core's
    execute ran it, without writing what the session holds first), and only each partner's
    largest value converted to an instant: SQLAlchemy building and compiling the four
    subqueries, and running the column type's processor on four values a partner (most of
    them NULL), cost more than the seeks (a fan-out runs this once per batch).
    """
    found: dict[str, datetime] = {}
    connection = session.connection()
    mark = parameter_mark(connection.dialect)
    instant = _added_processor(session)
    with driver_cursor(connection) as cursor:
        for chunk in _chunks(sorted(set(partner_ids))):
            cursor.execute(_last_dates_sql(len(chunk), mark), (*_LAST_DATES_FLAGS, *chunk))
            for partner, *latest in cursor.fetchall():
                dates = [instant(date) for date in latest if date is not None]
                if dates:
                    found[partner] = max(dates)
    return found


_LAST_DATES_FLAGS = (True, True, True, False, False, True, False, False)
"""(visible, is_latest) of each of ``_last_dates_sql``'s four seeks, in its order."""


@functools.lru_cache(maxsize=64)
def _last_dates_sql(count: int, mark: str) -> str:
    """``last_dates``' statement for ``count`` partners: per partner, four ``max`` seeks."""
    seek = (
        f"(SELECT max(o.date_added) FROM {_OBJECTS.name} o WHERE o.partner_id = a.id "
        f"AND o.visible = {mark} AND o.is_latest = {mark})"
    )
    return (
        f"SELECT a.id, {', '.join(seek for _ in range(4))} FROM {AgencyRow.__tablename__} a "
        f"WHERE a.id IN ({', '.join(mark for _ in range(count))})"
    )


@dataclass(frozen=True)
class Holdings:
    """What the feeds hold of some (partner, object) pairs, read in one statement per 250
    pairs (``holdings``): which pairs any feed row holds, served or not (``held``); which have
    a latest version the partner is not served, withdrawn before delivery or withheld
    (``hidden``, as ``hidden_latest`` says for one); and when the releases holding each were
    delivered (``covering``)."""

    held: frozenset[tuple[str, str]]
    hidden: frozenset[tuple[str, str]]
    deliveries: dict[tuple[str, str], list[Any]]
    """Each pair's releases' ``delivered_at`` as stored (None: not delivered)."""
    instant: Callable[[Any], Any]

    def covering(self, partner_id: str, object_ids: Collection[str]) -> datetime | None:
        """When the partner got ``object_ids``, all read here: the latest delivery if every
        release holding them was delivered, else None."""
        values = [v for o in object_ids for v in self.deliveries.get((partner_id, o), ())]
        if values and all(v is not None for v in values):
            return cast(datetime, max(self.instant(v) for v in values))
        return None


def holdings(session: Session, pairs: Iterable[tuple[str, str]]) -> Holdings:
    """``Holdings`` of the (partner, object) pairs, in one read: a release transaction reads
    them after it takes the sequencer, where each round trip holds back every other server's
    releases (held, hidden and delivered were three reads).

    ``(o.partner_id = ? AND o.object_id = ?) OR ...``, 250 pairs a statement, sent as the
    driver's SQL: both stores seek the (partner, object) index once per pair. A row-value
    ``IN (VALUES ...)`` made SQLite scan the whole index; ``partner IN (...) AND object IN
    (...)`` probes every combination (a fan-out to 10,000 partners, each with its own
    undertaking's statement, would probe 10^8); and SQLAlchemy compiling a 250-term
    expression cost more than running it. Read through the driver (``driver_rows``), after
    writing what the session holds.
    """
    wanted = sorted(set(pairs))
    held: set[tuple[str, str]] = set()
    hidden: set[tuple[str, str]] = set()
    deliveries: dict[tuple[str, str], list[Any]] = {}
    if wanted:
        mark = parameter_mark(session.connection().dialect)
        term = f"(o.partner_id = {mark} AND o.object_id = {mark})"
        for start in range(0, len(wanted), 250):
            chunk = wanted[start : start + 250]
            statement = (
                "SELECT o.partner_id, o.object_id, o.is_latest, o.visible, r.request_id, "
                f"r.delivered_at FROM {_OBJECTS.name} o LEFT JOIN {_RELEASES.name} r "
                "ON r.request_id = o.request_id WHERE " + " OR ".join(term for _ in chunk)
            )
            rows = driver_rows(session, statement, [value for pair in chunk for value in pair])
            for partner, object_id, latest, visible, release, delivered in rows:
                pair = (partner, object_id)
                held.add(pair)
                if latest and not visible:
                    hidden.add(pair)
                if release is not None:
                    deliveries.setdefault(pair, []).append(delivered)
    return Holdings(
        held=frozenset(held),
        hidden=frozenset(hidden),
        deliveries=deliveries,
        instant=loaded_values(session, _RELEASES, "delivered_at"),
    )


class NewObject(NamedTuple):
    """One object version to put in a partner's feed, visible and latest.

    A named tuple, not a frozen dataclass: a fan-out makes one for every object of every
    release (six a release to a partner new to the feed, 6,000 for 1,000 partners), and a
    frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, twice the
    cost of building the tuple. Immutable either way."""

    partner_id: str
    request_id: int | None
    object_id: str
    object_type: str
    version: str
    date_added: datetime
    body: str


def add_many(
    session: Session,
    releases: Sequence[tuple[int, str, str, str | None, datetime | None]],
    objects: Sequence[NewObject],
    *,
    at: datetime,
) -> None:
    """Releases, as (request id, partner, trace token, undertaking, delivered at), available
    from ``at``, and the objects they put in their partners' feeds: one insert per table. A
    release is delivered from the start when its partner already fetched every object it
    releases (``covering_delivery``)."""
    # The rows go to the driver as built here (``stored=True``): the one instant, the one
    # boolean and the column of dates converted once each, not every value of every column
    # turned into columns and back again by ``insert_many``.
    available = stored_value(session, _RELEASES, "available_at", at)
    delivered_at = stored_values(
        session, _RELEASES, "delivered_at", [delivered for *_, delivered in releases]
    )
    insert_many(
        session,
        _RELEASES,
        (
            "request_id",
            "partner_id",
            "trace_token",
            "undertaking_id",
            "status",
            "available_at",
            "delivered_at",
        ),
        [
            (request_id, partner_id, token, undertaking_id, AVAILABLE, available, delivered)
            for (request_id, partner_id, token, undertaking_id, _), delivered in zip(
                releases, delivered_at, strict=True
            )
        ],
        stored=True,
    )
    true = stored_value(session, _OBJECTS, "visible", True)
    dates = stored_values(session, _OBJECTS, "date_added", [o.date_added for o in objects])
    insert_many(
        session,
        _OBJECTS,
        (
            "partner_id",
            "request_id",
            "object_id",
            "object_type",
            "version",
            "date_added",
            "body",
            "visible",
            "is_latest",
        ),
        [
            (
                o.partner_id,
                o.request_id,
                o.object_id,
                o.object_type,
                o.version,
                date,
                o.body,
                true,
                true,
            )
            for o, date in zip(objects, dates, strict=True)
        ],
        stored=True,
    )


_V = TypeVar("_V")


def _chunks(values: list[_V], size: int = 500) -> Iterator[list[_V]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def present(session: Session, partner_id: str, object_ids: list[str]) -> set[str]:
    """Which of ``object_ids`` the partner's feed already holds: one query for them all."""
    if not object_ids:
        return set()
    return set(
        session.scalars(
            select(FeedObjectRow.object_id)
            .where(
                FeedObjectRow.partner_id == partner_id,
                FeedObjectRow.object_id.in_(set(object_ids)),
            )
            .distinct()
        )
    )


def covering_delivery(session: Session, partner_id: str, object_ids: list[str]) -> datetime | None:
    """When the partner got the objects an earlier release already put in its feed: the
    latest delivery if every release holding them was delivered, else None.

    The session is flushed first (``holdings`` reads through the driver): the caller's pending
    changes count (``feed.materialize`` has just moved hidden objects to the new release,
    which is not delivered)."""
    session.flush()
    found = holdings(session, ((partner_id, object_id) for object_id in object_ids))
    return found.covering(partner_id, object_ids)


def undelivered(session: Session) -> list[tuple[FeedReleaseRow, RequestRow]]:
    """Releases under enforcement, with their requests: those not yet delivered (available or
    withheld), and delivered ones whose item's new version is withheld (the partner keeps the
    version it fetched until what decides releases the new one)."""
    rows = session.execute(
        select(FeedReleaseRow, RequestRow)
        .join(RequestRow, RequestRow.id == FeedReleaseRow.request_id)
        .where(
            or_(
                FeedReleaseRow.status == WITHHELD,
                and_(FeedReleaseRow.status == AVAILABLE, FeedReleaseRow.delivered_at.is_(None)),
            )
        )
        .order_by(FeedReleaseRow.request_id)
    ).all()
    return [(feed, request) for feed, request in rows]


def undelivered_of(session: Session, request_ids: set[int]) -> Iterable[FeedReleaseRow]:
    """Which of the releases of ``request_ids`` are not delivered yet, by request id."""
    return session.scalars(
        select(FeedReleaseRow)
        .where(
            FeedReleaseRow.request_id.in_(request_ids),
            FeedReleaseRow.delivered_at.is_(None),
        )
        .order_by(FeedReleaseRow.request_id)
    )


def hide_objects_of(session: Session, request_ids: Sequence[int]) -> None:
    """Withhold the objects the releases put in their partners' feeds: one UPDATE per 500
    releases (an order withholding 10,000 undelivered releases sent 10,000).

    Objects of this session that an update matched learn of it from the ids it returns
    (``fetch``): the default (``evaluate``) tests every object the session holds, once per
    statement, so withholding thousands of releases one by one grew with their square.
    """
    for chunk in _chunks(sorted(set(request_ids))):
        session.execute(
            update(FeedObjectRow).where(FeedObjectRow.request_id.in_(chunk)).values(visible=False),
            execution_options={"synchronize_session": "fetch"},
        )


def objects_of_many(session: Session, request_ids: Sequence[int]) -> dict[int, list[FeedObjectRow]]:
    """Every object version each release put in its partner's feed, in feed order, by request
    id (releases with none absent): one query per 500 releases."""
    found: dict[int, list[FeedObjectRow]] = {}
    for chunk in _chunks(sorted(set(request_ids))):
        rows = session.scalars(
            select(FeedObjectRow)
            .where(FeedObjectRow.request_id.in_(chunk))
            .order_by(FeedObjectRow.seq)
        )
        for row in rows:
            assert row.request_id is not None  # selected by it
            found.setdefault(row.request_id, []).append(row)
    return found


def latest_objects_of(session: Session, request_id: int) -> Iterable[FeedObjectRow]:
    """The latest versions of the objects a release put in its partner's feed."""
    return session.scalars(
        select(FeedObjectRow).where(
            FeedObjectRow.request_id == request_id, FeedObjectRow.is_latest.is_(True)
        )
    )


def hidden_latest(session: Session, partner_id: str, object_ids: list[str]) -> list[FeedObjectRow]:
    """The partner's latest versions of the given objects that it is not served (withdrawn
    before delivery, or withheld), in feed order."""
    return _latest(session, partner_id, object_ids, visible=False)


def visible_latest(session: Session, partner_id: str, object_ids: list[str]) -> list[FeedObjectRow]:
    """The partner's visible latest versions of the given objects, in feed order."""
    return _latest(session, partner_id, object_ids, visible=True)


def _latest(
    session: Session, partner_id: str, object_ids: list[str], *, visible: bool | None
) -> list[FeedObjectRow]:
    query = select(FeedObjectRow).where(
        FeedObjectRow.partner_id == partner_id,
        FeedObjectRow.object_id.in_(object_ids),
        FeedObjectRow.is_latest.is_(True),
    )
    if visible is not None:
        query = query.where(FeedObjectRow.visible.is_(visible))
    return list(session.scalars(query.order_by(FeedObjectRow.seq)).all())


def latest(session: Session, partner_id: str, object_ids: list[str]) -> list[FeedObjectRow]:
    """The partner's latest versions of the given objects, served or not, in feed order."""
    return _latest(session, partner_id, object_ids, visible=None)


def delivery() -> ColumnElement[str]:
    """What ``deliveries`` says of a request, as a column of a query that outer-joins
    ``feed_releases`` to its requests (``store.requests.held_reasons``): null where the
    request never reached the feed."""
    return case(
        (
            and_(FeedReleaseRow.status == AVAILABLE, FeedReleaseRow.delivered_at.is_not(None)),
            DELIVERED,
        ),
        else_=FeedReleaseRow.status,
    )


def deliveries(session: Session, request_ids: Sequence[int]) -> dict[int, str]:
    """Where each released request stands in its partner's feed, for those that reached it.

    ``available`` (not yet fetched), ``withheld`` (an order now stops it), ``delivered``,
    ``recalled`` (after delivery: the feed carries revoked versions) or ``withdrawn`` (recalled
    before delivery). A request that never reached the feed has no entry. One query a page.
    """
    if not request_ids:
        return {}
    rows = session.execute(
        select(FeedReleaseRow.request_id, FeedReleaseRow.status, FeedReleaseRow.delivered_at).where(
            FeedReleaseRow.request_id.in_(set(request_ids))
        )
    )
    return {
        request_id: shown_delivery(status, delivered_at)
        for request_id, status, delivered_at in rows
    }


def shown_delivery(status: str, delivered_at: object) -> str:
    """What ``deliveries`` says of a release of ``status`` delivered at ``delivered_at``
    (stored, None if never fetched): ``DELIVERED`` for an available one fetched, else its
    status."""
    return DELIVERED if status == AVAILABLE and delivered_at is not None else status
