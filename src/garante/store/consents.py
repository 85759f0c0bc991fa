"""Partners' signed consent requests for onward sharing, and the answers given to them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.consent import ConsentRequest
from garante.store import signed
from garante.store.schema import ConsentAskedRow, ConsentRequestRow
from garante.store.session import driver_rows, padded, parameter_mark


def get(session: Session, consent_id: str) -> ConsentRequestRow | None:
    return session.get(ConsentRequestRow, consent_id)


def add(
    session: Session,
    consent: ConsentRequest,
    *,
    statement: str,
    signature: str,
    at: datetime,
    index: int,
) -> ConsentRequestRow:
    """A consent request as received at ``at``, recorded by log entry ``index``, pending,
    flushed."""
    row = ConsentRequestRow(
        id=consent.id,
        agency_id=consent.agency_id,
        request_id=consent.release,
        recipient=consent.recipient,
        country=consent.country,
        purpose=consent.purpose,
        statement=statement,
        signature=signature,
        requested_at=consent.requested_at,
        received_at=at,
        received_index=index,
        status="pending",
    )
    return signed.added(session, row)


def listed(
    session: Session, *, agency_id: str | None, status: str | None
) -> list[ConsentRequestRow]:
    """Consent requests, of one agency and in one status if given, in the order received."""
    where = [] if status is None else [ConsentRequestRow.status == status]
    return signed.received(session, ConsentRequestRow, agency_id=agency_id, where=where)


# -- on a node: the consents it asked of its upstreams ---------------------------------------


def asked(session: Session, consent_id: str) -> ConsentAskedRow | None:
    return session.get(ConsentAskedRow, consent_id)


def add_asked(session: Session, row: ConsentAskedRow) -> ConsentAskedRow:
    return signed.added(session, row)


def asked_list(session: Session, *, status: str | None = None) -> list[ConsentAskedRow]:
    """The consents this node asked, in one status if given, oldest first."""
    query = select(ConsentAskedRow)
    if status is not None:
        query = query.where(ConsentAskedRow.status == status)
    return list(session.scalars(query.order_by(ConsentAskedRow.asked_at, ConsentAskedRow.id)))


_HELD = (
    "SELECT upstream_origin, upstream_request, recipient_id, purpose, status"
    f" FROM {ConsentAskedRow.__tablename__} WHERE status IN ('granted', 'refused')"
)


@lru_cache(maxsize=16)
def _held_of(count: int, mark: str) -> str:
    """``_HELD`` for ``count`` upstream requests, each named (``padded``: a few counts)."""
    return f"{_HELD} AND upstream_request IN ({', '.join([mark] * count)})"


_NAMED_AT_MOST = 500
"""More upstream requests than this (a snapshot of every item) are read as all the answers,
not named one by one in a statement."""


def held(
    session: Session, requests: Collection[int] | None = None
) -> dict[tuple[str | None, int, str, str], str]:
    """The answers this node took, as ``PolicyState.consents`` keys them: all of them, or
    those for the upstream release requests ``requests`` (none asked, no query).

    A release decides on the consents for the upstream releases of the items it releases,
    and most items came from no upstream: read whole, the answers of every onward release
    the node ever asked about were read by every release. A statement of the driver's own
    (plain text and integers, the same on every store), after writing what the session holds,
    as the ORM's select would.
    """
    wanted = sorted(set(requests)) if requests is not None else None
    if wanted is None or len(wanted) > _NAMED_AT_MOST:
        rows = driver_rows(session, _HELD)
    elif not wanted:
        return {}
    else:
        named = padded(wanted)
        mark = parameter_mark(session.connection().dialect)
        rows = driver_rows(session, _held_of(len(named), mark), tuple(named))
    return {(o, int(r), a, p): s for o, r, a, p, s in rows}
