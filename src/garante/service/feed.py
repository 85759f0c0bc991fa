"""Partner feeds: what each partner may be delivered now, as STIX, marked and traceable.

A release puts the item's objects in the recipient's feed, marked with TLP 2.0, the terms of the
undertaking it was made under, and a per-release trace token. Until a partner fetches them they
stay under continuous enforcement: any change that makes ``decide`` stop releasing the request
(an order, a condition, a revoked undertaking) withholds them in the same transaction, and a
later change that releases it again makes them available with a new ``date_added``, so a client
resuming from its last ``date_added`` still gets them. Once delivered, only a recall withdraws:
the feed then carries revoked versions.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from garante.domain.decision import Decision, Outcome
from garante.domain.errors import InvalidState, NotFound, ValidationError
from garante.domain.events import EventKind
from garante.domain.request import ReleaseRequest
from garante.domain.vocabulary import Tlp
from garante.policy.decide import decide
from garante.policy.state import PolicyState
from garante.service.transaction import Transaction
from garante.stix import markings
from garante.store import convert
from garante.store.schema import (
    FeedObjectRow,
    FeedReleaseRow,
    ItemRow,
    RequestRow,
    UndertakingRow,
)

AVAILABLE = "available"
WITHHELD = "withheld"
RECALLED = "recalled"
WITHDRAWN = "withdrawn"
OPERATOR = "Garante operator"
_TICK = timedelta(microseconds=1)


class ReleaseNotInFeed(NotFound):
    code = "release.not_in_feed"


def _next_dates(session: Session, partner_id: str, count: int, now: datetime) -> list[datetime]:
    """Strictly increasing date_added per partner: resuming from one never skips another."""
    last = session.scalar(
        select(func.max(FeedObjectRow.date_added)).where(FeedObjectRow.partner_id == partner_id)
    )
    start = now if last is None or last < now else last + _TICK
    return [start + _TICK * i for i in range(count)]


def _present(session: Session, partner_id: str, object_id: str) -> bool:
    return (
        session.scalar(
            select(FeedObjectRow.seq)
            .where(FeedObjectRow.partner_id == partner_id, FeedObjectRow.object_id == object_id)
            .limit(1)
        )
        is not None
    )


def materialize(tx: Transaction, request: RequestRow, decision: Decision) -> None:
    """Put a released request's objects in its recipient's feed (once per request)."""
    session = tx.session
    if session.get(FeedReleaseRow, request.id) is not None:
        return
    item = session.get(ItemRow, request.item_id)
    if item is None:  # the request was validated; a missing item means a damaged store
        raise InvalidState(f"item {request.item_id} of request {request.id} is missing")
    partner = request.recipient_id
    token = secrets.token_hex(16)
    identity = markings.operator_identity(OPERATOR)
    support: list[dict[str, Any]] = [
        identity,
        markings.trace_extension_definition(identity["id"]),
        markings.tlp_marking(Tlp(item.tlp)),
    ]
    marking_ids = [markings.TLP2_MARKING_IDS[Tlp(item.tlp)]]
    if decision.undertaking_id:
        row = session.get(UndertakingRow, decision.undertaking_id)
        if row is not None:
            statement = markings.statement_marking(convert.undertaking(row), identity["id"])
            support.append(statement)
            marking_ids.append(statement["id"])
    session.add(
        FeedReleaseRow(
            request_id=request.id,
            partner_id=partner,
            trace_token=token,
            undertaking_id=decision.undertaking_id,
            status=AVAILABLE,
            available_at=tx.now,
            delivered_at=None,
            recalled_at=None,
        )
    )
    bundle = json.loads(item.bundle)
    new: list[tuple[int | None, dict[str, Any]]] = [
        (None, obj) for obj in support if not _present(session, partner, obj["id"])
    ]
    new += [
        (request.id, markings.mark(obj, marking_ids, token))
        for obj in bundle["objects"]
        if not _present(session, partner, obj["id"])
    ]
    for (request_id, obj), added in zip(
        new, _next_dates(session, partner, len(new), tx.now), strict=True
    ):
        session.add(_row(partner, request_id, obj, added))
    session.flush()


def _row(
    partner: str, request_id: int | None, obj: dict[str, Any], added: datetime
) -> FeedObjectRow:
    return FeedObjectRow(
        partner_id=partner,
        request_id=request_id,
        object_id=obj["id"],
        object_type=obj["type"],
        version=markings.version_of(obj),
        date_added=added,
        body=json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        visible=True,
        is_latest=True,
    )


def undelivered(session: Session) -> list[tuple[FeedReleaseRow, RequestRow]]:
    rows = session.execute(
        select(FeedReleaseRow, RequestRow)
        .join(RequestRow, RequestRow.id == FeedReleaseRow.request_id)
        .where(
            FeedReleaseRow.status.in_((AVAILABLE, WITHHELD)),
            FeedReleaseRow.delivered_at.is_(None),
        )
        .order_by(FeedReleaseRow.request_id)
    ).all()
    return [(feed, request) for feed, request in rows]


def enforce(
    tx: Transaction,
    feed: FeedReleaseRow,
    request: ReleaseRequest,
    state: PolicyState,
    trigger: str,
) -> None:
    """Withhold or restore one undelivered release, as ``decide`` now says."""
    decision = decide(request, state)
    wanted = AVAILABLE if decision.outcome == Outcome.RELEASED else WITHHELD
    if wanted == feed.status:
        return
    session = tx.session
    feed.status = wanted
    objects = update(FeedObjectRow).where(FeedObjectRow.request_id == feed.request_id)
    if wanted == WITHHELD:
        session.execute(objects.values(visible=False))
    else:
        feed.available_at = tx.now
        rows = session.scalars(
            select(FeedObjectRow)
            .where(FeedObjectRow.request_id == feed.request_id)
            .order_by(FeedObjectRow.seq)
        ).all()
        for row, added in zip(
            rows, _next_dates(session, feed.partner_id, len(rows), tx.now), strict=True
        ):
            row.visible = True
            row.date_added = added
    tx.audit(
        EventKind.RELEASE_WITHHELD if wanted == WITHHELD else EventKind.RELEASE_AVAILABLE,
        {
            "request": feed.request_id,
            "partner": feed.partner_id,
            "trigger": trigger,
            "rules": [{"rule": h.rule, "cites": h.cites} for h in decision.rules],
        },
    )


def record_delivery(tx: Transaction, request_ids: set[int]) -> None:
    """The first time a partner fetches a release's objects, it is delivered: logged once."""
    session = tx.session
    for feed in session.scalars(
        select(FeedReleaseRow)
        .where(
            FeedReleaseRow.request_id.in_(request_ids),
            FeedReleaseRow.delivered_at.is_(None),
        )
        .order_by(FeedReleaseRow.request_id)
    ):
        feed.delivered_at = tx.now
        tx.audit(
            EventKind.RELEASE_DELIVERED,
            {"request": feed.request_id, "partner": feed.partner_id, "trace": feed.trace_token},
        )


def recall(tx: Transaction, request_id: int, reason: str) -> FeedReleaseRow:
    """Withdraw a release: revoked versions if delivered, never delivered if not."""
    session = tx.session
    if not reason.strip():
        raise ValidationError("say why the release is recalled", field="reason")
    feed = session.get(FeedReleaseRow, request_id)
    if feed is None:
        raise ReleaseNotInFeed(
            f"request {request_id} was never released, so there is nothing to recall",
            field="request",
        )
    if feed.status in (RECALLED, WITHDRAWN):
        raise InvalidState(f"release {request_id} was already recalled", field="request")
    delivered = feed.delivered_at is not None
    feed.status = RECALLED if delivered else WITHDRAWN
    feed.recalled_at = tx.now
    latest = session.scalars(
        select(FeedObjectRow)
        .where(FeedObjectRow.request_id == request_id, FeedObjectRow.is_latest)
        .order_by(FeedObjectRow.seq)
    ).all()
    if delivered:
        dates = _next_dates(session, feed.partner_id, len(latest), tx.now)
        for row, added in zip(latest, dates, strict=True):
            row.is_latest = False
            revoked = markings.revoked_version(json.loads(row.body), tx.now)
            session.add(_row(feed.partner_id, request_id, revoked, added))
    else:
        for row in latest:
            row.visible = False
    tx.audit(
        EventKind.RELEASE_RECALLED,
        {
            "request": request_id,
            "partner": feed.partner_id,
            "delivered": delivered,
            "objects": [row.object_id for row in latest],
            "reason": reason.strip(),
        },
    )
    session.flush()
    return feed


def trace(session: Session, tokens: list[str]) -> list[dict[str, Any]]:
    """The releases the given trace tokens name."""
    out = []
    for token in tokens:
        feed = session.scalars(
            select(FeedReleaseRow).where(FeedReleaseRow.trace_token == token)
        ).first()
        if feed is None:
            continue
        request = session.get(RequestRow, feed.request_id)
        assert request is not None
        out.append(
            {
                "trace_token": token,
                "request": feed.request_id,
                "partner": feed.partner_id,
                "item": request.item_id,
                "purpose": request.purpose,
                "undertaking": feed.undertaking_id,
                "released_at": markings.taxii_time(request.decided_at),
                "delivered_at": markings.taxii_time(feed.delivered_at)
                if feed.delivered_at
                else None,
                "status": feed.status,
            }
        )
    return out
