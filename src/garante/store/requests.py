"""Release requests and the decisions stored for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from garante.domain.decision import Decision, Outcome
from garante.domain.order import Scope
from garante.domain.request import ReleaseRequest
from garante.store import feed
from garante.store.paging import Keyset, paged
from garante.store.schema import AgencyRow, DecisionRow, FeedReleaseRow, ItemRow, RequestRow
from garante.store.session import driver_rows, insert_many, loaded_values, parameter_mark


def get(session: Session, request_id: int) -> RequestRow | None:
    return session.get(RequestRow, request_id)


def add(
    session: Session,
    *,
    item_id: str,
    recipient_id: str,
    purpose: str,
    requested_by: str,
    at: datetime,
    agreement_id: str | None = None,
) -> RequestRow:
    """A new request, held until decided, flushed so that it has its id; ``agreement_id``
    names the standing agreement that started it, if one did."""
    row = RequestRow(
        agreement_id=agreement_id,
        item_id=item_id,
        recipient_id=recipient_id,
        purpose=purpose,
        requested_by=requested_by,
        requested_at=at,
        outcome=Outcome.HELD.value,
        decided_at=at,
    )
    session.add(row)
    session.flush()
    return row


_REQUESTS = RequestRow.metadata.tables[RequestRow.__tablename__]
_DECISIONS = DecisionRow.metadata.tables[DecisionRow.__tablename__]


def next_ids(session: Session, count: int) -> list[int]:
    """Ids for ``count`` new requests, taken at once, so that a batch is decided (and logged
    with its ids) before any of its rows is written.

    PostgreSQL draws them from the column's sequence; SQLite, whose single writer the caller
    holds, continues after the largest id stored.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        drawn = driver_rows(session, _NEXT_IDS, [count])  # the driver's cursor, as below
        return sorted(int(value) for (value,) in drawn)
    # On the driver's cursor, as the log's size is read: once per write transaction.
    [(last,)] = driver_rows(session, _LAST_ID)
    last = 0 if last is None else int(last)
    return list(range(last + 1, last + 1 + count))


_LAST_ID = f"SELECT max(id) FROM {RequestRow.__tablename__}"
_NEXT_IDS = (
    f"SELECT nextval(pg_get_serial_sequence('{RequestRow.__tablename__}', 'id')) "
    "FROM generate_series(1, %s)"
)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A new request decided before it is stored, with its first decision."""

    request: ReleaseRequest
    decision: Decision
    agreement_id: str | None = None


def add_requests(session: Session, decided: Sequence[NewRequest]) -> None:
    """Store the rows of requests decided at once (``next_ids`` gave their ids), without their
    decisions (``add_decisions``): one insert. A request's row names no log entry, so a
    release writes it before it takes the sequencer (``Transaction.sequence``)."""
    if not decided:
        return
    insert_many(
        session,
        _REQUESTS,
        (
            "id",
            "item_id",
            "recipient_id",
            "purpose",
            "requested_by",
            "requested_at",
            "outcome",
            "undertaking_id",
            "decided_at",
            "agreement_id",
        ),
        [
            (
                d.request.id,
                d.request.item_id,
                d.request.recipient_id,
                d.request.purpose,
                d.request.requested_by,
                d.request.requested_at,
                d.decision.outcome.value,
                d.decision.undertaking_id,
                d.request.requested_at,
                d.agreement_id,
            )
            for d in decided
        ],
    )


def add_decisions(session: Session, decided: Sequence[NewRequest], *, trigger: str) -> None:
    """Store the decisions of requests ``add_requests`` stored: one insert. Each cites the
    state version its request's log entry gives it."""
    if not decided:
        return
    insert_many(
        session,
        _DECISIONS,
        (
            "request_id",
            "outcome",
            "explanation",
            "rules",
            "undertaking_id",
            "state_version",
            "trigger",
            "decided_at",
        ),
        [
            (
                d.request.id,
                d.decision.outcome.value,
                d.decision.explanation,
                [hit.to_dict() for hit in d.decision.rules],
                d.decision.undertaking_id,
                d.decision.state_version,
                trigger,
                d.request.requested_at,
            )
            for d in decided
        ],
    )


def held(session: Session) -> list[RequestRow]:
    """The held queue, oldest first."""
    return list(
        session.scalars(
            select(RequestRow)
            .where(RequestRow.outcome == Outcome.HELD.value)
            .order_by(RequestRow.id)
        ).all()
    )


def add_decision(
    session: Session, request_id: int, decision: Decision, *, trigger: str, at: datetime
) -> None:
    """Store a decision beside the request it decides (written with the next flush)."""
    session.add(
        DecisionRow(
            request_id=request_id,
            outcome=decision.outcome.value,
            explanation=decision.explanation,
            rules=[hit.to_dict() for hit in decision.rules],
            undertaking_id=decision.undertaking_id,
            state_version=decision.state_version,
            trigger=trigger,
            decided_at=at,
        )
    )


def _between(start: datetime, end: datetime) -> Any:
    return and_(RequestRow.requested_at >= start, RequestRow.requested_at < end)


def count_between(session: Session, start: datetime, end: datetime) -> int:
    """How many requests were made in [start, end)."""
    found = session.scalar(select(func.count()).select_from(RequestRow).where(_between(start, end)))
    return int(found or 0)


def counts_by_recipient(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str, str, int]]:
    """How many requests made in [start, end) each recipient has with each outcome."""
    rows = session.execute(
        select(RequestRow.recipient_id, RequestRow.outcome, func.count())
        .where(_between(start, end))
        .group_by(RequestRow.recipient_id, RequestRow.outcome)
    )
    return [(recipient, outcome, int(count)) for recipient, outcome, count in rows]


def released_after_hold(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """Requests made in [start, end) that a re-decision released: recipient, when requested,
    and when first released."""
    rows = session.execute(
        select(RequestRow.recipient_id, RequestRow.requested_at, func.min(DecisionRow.decided_at))
        .join(DecisionRow, DecisionRow.request_id == RequestRow.id)
        .where(
            _between(start, end),
            DecisionRow.outcome == "released",
            DecisionRow.trigger != "request",
        )
        .group_by(RequestRow.id, RequestRow.recipient_id, RequestRow.requested_at)
    )
    return [(recipient, requested_at, released_at) for recipient, requested_at, released_at in rows]


def _in_scope(scopes: list[Scope]) -> Any:
    clauses = []
    for scope in scopes:
        parts = []
        if scope.agencies:
            parts.append(RequestRow.recipient_id.in_(scope.agencies))
        if scope.countries:
            parts.append(AgencyRow.country.in_(scope.countries))
        if scope.categories:
            parts.append(ItemRow.category.in_(scope.categories))
        if scope.regions:
            parts.append(ItemRow.region.in_(scope.regions))
        if not parts:
            return None  # an unscoped order can touch every request
        clauses.append(and_(*parts))
    return or_(*clauses)


def in_scopes(
    session: Session, start: datetime, end: datetime, scopes: list[Scope]
) -> Iterator[tuple[int, str, str, str, str]]:
    """Requests made in [start, end) inside any of ``scopes`` (all of them for none), as
    (id, item, recipient, purpose, item category), streamed in id order."""
    query = (
        select(
            RequestRow.id,
            RequestRow.item_id,
            RequestRow.recipient_id,
            RequestRow.purpose,
            ItemRow.category,
        )
        .join(ItemRow, ItemRow.id == RequestRow.item_id)
        .join(AgencyRow, AgencyRow.id == RequestRow.recipient_id)
        .where(_between(start, end))
        .order_by(RequestRow.id)
        .execution_options(yield_per=10_000)
    )
    condition = _in_scope(scopes)
    if condition is not None:
        query = query.where(condition)
    yield from session.execute(query)


def page(
    session: Session,
    page: Keyset | None,
    *,
    outcome: str | None = None,
    recipient: str | None = None,
    item: str | None = None,
    agreement: str | None = None,
) -> list[RequestRow]:
    """Requests by id, with one outcome, to one recipient, of one item or started by one
    standing agreement when given."""
    query = select(RequestRow)
    if outcome:
        query = query.where(RequestRow.outcome == outcome)
    if recipient:
        query = query.where(RequestRow.recipient_id == recipient)
    if item:
        query = query.where(RequestRow.item_id == item)
    if agreement:
        query = query.where(RequestRow.agreement_id == agreement)
    return list(session.scalars(paged(query, RequestRow.id, page)))


def held_page(session: Session, page: Keyset | None) -> list[RequestRow]:
    """A page of the held queue, oldest first."""
    query = select(RequestRow).where(RequestRow.outcome == Outcome.HELD.value)
    return list(session.scalars(paged(query, RequestRow.id, page)).all())


Shown = tuple[int, str, str, str, str, datetime, str, str | None, datetime, str | None]
"""A request as a list shows it: id, item, recipient, purpose, requested by, requested at,
outcome, undertaking, decided at, and where its release stands in the feed (``feed.deliveries``'
word, None if it never got there)."""

HeldShown = tuple[int, str, str, str, str, datetime, str, str | None, datetime, str | None, str]
"""A held request as the held queue shows it: ``Shown``, then why it is held (its newest
decision's explanation)."""

_SHOWN = (
    "SELECT r.id, r.item_id, r.recipient_id, r.purpose, r.requested_by, r.requested_at,"
    " r.outcome, r.undertaking_id, r.decided_at, f.status, f.delivered_at{extra}"
    f" FROM {RequestRow.__tablename__} AS r"
    f" LEFT OUTER JOIN {FeedReleaseRow.__tablename__} AS f ON f.request_id = r.id{{join}}"
    " WHERE {where} ORDER BY r.id{limit}"
)
_HELD_JOIN = (
    f" LEFT OUTER JOIN {DecisionRow.__tablename__} AS d ON d.id ="
    f" (SELECT max(n.id) FROM {DecisionRow.__tablename__} AS n WHERE n.request_id = r.id)"
)


def shown_page(
    session: Session,
    page: Keyset | None,
    *,
    outcome: str | None = None,
    recipient: str | None = None,
    item: str | None = None,
) -> list[Shown] | None:
    """``page`` as the ``outcome``, ``recipient`` and ``item`` filters of ``page`` narrow it,
    each request with where its release stands in the feed: the rows a list of requests shows,
    in one statement on the driver's cursor, or None for a page after a text cursor (``page``
    answers that one as it always did).

    The same requests in the same order as ``page`` with ``feed.deliveries``, read without
    making an ORM object of each row nor running SQLAlchemy's execution and result machinery:
    those cost several times the seek (by the primary key, or ``outcome``'s index and the id
    after it), for a page clients keep polling.
    """
    if page is not None and isinstance(page.after, str):
        return None
    conditions: list[tuple[str, object]] = []
    if outcome:
        conditions.append(("r.outcome", outcome))
    if recipient:
        conditions.append(("r.recipient_id", recipient))
    if item:
        conditions.append(("r.item_id", item))
    rows = _shown_rows(session, page, conditions, extra="", join="")
    return [_shown(row, load) for load in [_instants(session)] for row in rows]


def held_shown_page(session: Session, page: Keyset | None) -> list[HeldShown] | None:
    """A page of the held queue, oldest first, as ``shown_page`` reads it, each with why it is
    held (its newest decision's explanation, as ``held_reasons`` gives it), in one statement:
    or None for a page after a text cursor (``held_page`` answers that one)."""
    if page is not None and isinstance(page.after, str):
        return None
    conditions: list[tuple[str, object]] = [("r.outcome", Outcome.HELD.value)]
    rows = _shown_rows(session, page, conditions, extra=", d.explanation", join=_HELD_JOIN)
    load = _instants(session)
    shown: list[HeldShown] = []
    for row in rows:
        reason = row[11]
        if reason is None:  # every request is stored with its decision
            raise LookupError(f"release request {row[0]} has no decision stored")
        shown.append((*_shown(row, load), reason))
    return shown


def _shown_rows(
    session: Session,
    page: Keyset | None,
    conditions: list[tuple[str, object]],
    *,
    extra: str,
    join: str,
) -> list[Any]:
    mark = parameter_mark(session.connection().dialect)
    if page is not None and page.after is not None:
        conditions = [*conditions, ("r.id >", page.after)]
    where = " AND ".join(
        f"{column} {mark}" if column.endswith(">") else f"{column} = {mark}"
        for column, _ in conditions
    )
    values = [value for _, value in conditions]
    limit = ""
    if page is not None:
        limit = f" LIMIT {mark}"
        values.append(page.limit)
    statement = _SHOWN.format(extra=extra, join=join, where=where or "1 = 1", limit=limit)
    return driver_rows(session, statement, values)


def _instants(session: Session) -> Callable[[Any], datetime]:
    """Stored instants of ``release_requests`` as the ORM loads them, each stored value
    loaded once a page: a request's two instants are often one (decided as requested)."""
    process = loaded_values(session, _REQUESTS, "requested_at")
    loaded: dict[Any, datetime] = {}

    def load(value: Any) -> datetime:
        at = loaded.get(value)
        if at is None:
            at = loaded[value] = process(value)
        return at

    return load


def _shown(row: Any, load: Callable[[Any], datetime]) -> Shown:
    status, delivered_at = row[9], row[10]
    return (
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        load(row[5]),
        row[6],
        row[7],
        load(row[8]),
        None if status is None else feed.shown_delivery(status, delivered_at),
    )


def held_reasons(session: Session, request_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Why each request is held (its newest decision's explanation) and where its release
    stands in the feed (``feed.delivery``, null if it never got there), in one query for them
    all: the held queue's page reads these two in one trip rather than two."""
    if not request_ids:
        return {}
    newest = (
        select(func.max(DecisionRow.id))
        .where(DecisionRow.request_id.in_(request_ids))
        .group_by(DecisionRow.request_id)
    )
    query = (
        select(DecisionRow.request_id, DecisionRow.explanation, feed.delivery())
        .outerjoin(FeedReleaseRow, FeedReleaseRow.request_id == DecisionRow.request_id)
        .where(DecisionRow.id.in_(newest))
    )
    return {
        request_id: (reason, delivery) for request_id, reason, delivery in session.execute(query)
    }


def newest_decisions(session: Session, request_ids: list[int]) -> dict[int, DecisionRow]:
    """Each request's newest decision (the one that stands), in one query for them all."""
    if not request_ids:
        return {}
    newest = (
        select(func.max(DecisionRow.id))
        .where(DecisionRow.request_id.in_(request_ids))
        .group_by(DecisionRow.request_id)
    )
    return {
        row.request_id: row
        for row in session.scalars(select(DecisionRow).where(DecisionRow.id.in_(newest)))
    }


def decisions(session: Session, request_id: int) -> list[DecisionRow]:
    """Every decision stored for a request, oldest first."""
    return list(
        session.scalars(
            select(DecisionRow).where(DecisionRow.request_id == request_id).order_by(DecisionRow.id)
        )
    )
