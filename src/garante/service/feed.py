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

from garante.canonical import canonical
from garante.domain.decision import Decision, Outcome
from garante.domain.errors import InvalidState, NotEntitled, NotFound, ValidationError
from garante.domain.events import (
    ReleaseAvailable,
    ReleaseDelivered,
    ReleaseRecalled,
    ReleaseWithheld,
    RuleCited,
)
from garante.domain.request import ReleaseRequest
from garante.domain.vocabulary import Tlp
from garante.policy.decide import decide
from garante.policy.state import PolicyState
from garante.service.transaction import Transaction
from garante.stix import markings
from garante.store import convert
from garante.store.feed import AVAILABLE, RECALLED, WITHDRAWN, WITHHELD
from garante.store.schema import (
    FeedObjectRow,
    FeedReleaseRow,
    ItemRow,
    RequestRow,
    UndertakingRow,
)

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


def _present(session: Session, partner_id: str, object_ids: list[str]) -> set[str]:
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


def _marked(
    session: Session, item: ItemRow, undertaking_id: str | None, token: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The support objects a release needs, and the item's objects marked for it."""
    identity = markings.operator_identity(OPERATOR)
    support: list[dict[str, Any]] = [
        identity,
        markings.trace_extension_definition(identity["id"]),
        markings.tlp_marking(Tlp(item.tlp)),
    ]
    marking_ids = [markings.TLP2_MARKING_IDS[Tlp(item.tlp)]]
    if undertaking_id:
        row = session.get(UndertakingRow, undertaking_id)
        if row is not None:
            statement = markings.statement_marking(convert.undertaking(row), identity["id"])
            support.append(statement)
            marking_ids.append(statement["id"])
    bundle = json.loads(item.bundle)
    return support, [markings.mark(obj, marking_ids, token) for obj in bundle["objects"]]


def _item(session: Session, request: RequestRow) -> ItemRow:
    item = session.get(ItemRow, request.item_id)
    if item is None:  # the request was validated; a missing item means a damaged store
        raise InvalidState(f"item {request.item_id} of request {request.id} is missing")
    return item


def materialize(
    tx: Transaction, request: RequestRow, decision: Decision, *, new_request: bool
) -> None:
    """Put a released request's objects in its recipient's feed (once per request).

    Objects the partner already holds (the same item released before, for another purpose)
    are not sent twice: the new release then shares their delivery state. A request made in
    this transaction (``new_request``) cannot be in the feed yet, so that is not looked up.
    """
    session = tx.session
    if not new_request and session.get(FeedReleaseRow, request.id) is not None:
        return
    partner = request.recipient_id
    token = secrets.token_hex(16)
    support, objects = _marked(session, _item(session, request), decision.undertaking_id, token)
    release = FeedReleaseRow(
        request_id=request.id,
        partner_id=partner,
        trace_token=token,
        undertaking_id=decision.undertaking_id,
        status=AVAILABLE,
        available_at=tx.now,
        delivered_at=None,
        recalled_at=None,
    )
    session.add(release)
    present = _present(session, partner, [obj["id"] for obj in (*support, *objects)])
    new: list[tuple[int | None, dict[str, Any]]] = [
        (None, obj) for obj in support if obj["id"] not in present
    ]
    fresh = [obj for obj in objects if obj["id"] not in present]
    if objects and not fresh:
        release.delivered_at = _covering_delivery(session, partner, objects)
    new += [(request.id, obj) for obj in fresh]
    for (request_id, obj), added in zip(
        new, _next_dates(session, partner, len(new), tx.now), strict=True
    ):
        session.add(_row(partner, request_id, obj, added))
    session.flush()


def _covering_delivery(
    session: Session, partner: str, objects: list[dict[str, Any]]
) -> datetime | None:
    """When the partner got the objects an earlier release already put in its feed."""
    covering = session.scalars(
        select(FeedReleaseRow.delivered_at)
        .join(FeedObjectRow, FeedObjectRow.request_id == FeedReleaseRow.request_id)
        .where(
            FeedObjectRow.partner_id == partner,
            FeedObjectRow.object_id.in_([obj["id"] for obj in objects]),
        )
    ).all()
    if covering and all(value is not None for value in covering):
        return max(value for value in covering if value is not None)
    return None


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
        body=canonical(obj).decode(),
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
        if decision.undertaking_id != feed.undertaking_id:
            _remark(tx, feed, request, decision.undertaking_id)
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
    enforced = ReleaseWithheld if wanted == WITHHELD else ReleaseAvailable
    tx.audit(
        enforced(
            request=feed.request_id,
            partner=feed.partner_id,
            trigger=trigger,
            rules=RuleCited.of(decision.rules),
        )
    )


def _remark(
    tx: Transaction, feed: FeedReleaseRow, request: ReleaseRequest, undertaking_id: str | None
) -> None:
    """Objects restored under another undertaking than they were first marked with carry the
    terms of the undertaking that releases them now."""
    session = tx.session
    row = session.get(RequestRow, request.id)
    if row is None:
        return
    support, objects = _marked(session, _item(session, row), undertaking_id, feed.trace_token)
    bodies = {obj["id"]: obj for obj in objects}
    for stored in session.scalars(
        select(FeedObjectRow).where(
            FeedObjectRow.request_id == feed.request_id, FeedObjectRow.is_latest.is_(True)
        )
    ):
        if stored.object_id in bodies:
            stored.body = canonical(bodies[stored.object_id]).decode()
    present = _present(session, feed.partner_id, [obj["id"] for obj in support])
    missing = [obj for obj in support if obj["id"] not in present]
    for obj, added in zip(
        missing, _next_dates(session, feed.partner_id, len(missing), tx.now), strict=True
    ):
        session.add(_row(feed.partner_id, None, obj, added))
    feed.undertaking_id = undertaking_id


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
            ReleaseDelivered(
                request=feed.request_id, partner=feed.partner_id, trace=feed.trace_token
            )
        )


def recall(
    tx: Transaction, request_id: int, reason: str, *, by_agency: str | None = None
) -> FeedReleaseRow:
    """Withdraw a release: revoked versions if delivered, never delivered if not.

    ``by_agency``: the agency recalling it, which must be the item's originator (the operator
    recalls any release, and passes None).
    """
    session = tx.session
    if not reason.strip():
        raise ValidationError("say why the release is recalled", field="reason")
    feed = session.get(FeedReleaseRow, request_id)
    if feed is None:
        raise ReleaseNotInFeed(
            f"request {request_id} was never released, so there is nothing to recall",
            field="request",
        )
    if by_agency is not None:
        request = session.get(RequestRow, request_id)
        originator = _item(session, request).originator if request is not None else None
        if originator != by_agency:
            raise NotEntitled(
                f"release {request_id} is of an item {originator} originated; "
                f"{by_agency} may not recall it",
                field="request",
                hint="the originating agency recalls its own releases",
            )
    if feed.status in (RECALLED, WITHDRAWN):
        raise InvalidState(f"release {request_id} was already recalled", field="request")
    delivered = feed.delivered_at is not None
    feed.status = RECALLED if delivered else WITHDRAWN
    feed.recalled_at = tx.now
    request = session.get(RequestRow, request_id)
    if request is None:
        raise ReleaseNotInFeed(f"no release request {request_id}", field="request")
    # By object, not by the release that first sent it: a later release of the same item
    # shares its objects, and recalling either withdraws them.
    object_ids = [obj["id"] for obj in json.loads(_item(session, request).bundle)["objects"]]
    latest = session.scalars(
        select(FeedObjectRow)
        .where(
            FeedObjectRow.partner_id == feed.partner_id,
            FeedObjectRow.object_id.in_(object_ids),
            FeedObjectRow.is_latest.is_(True),
            FeedObjectRow.visible.is_(True),
        )
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
        ReleaseRecalled(
            request=request_id,
            partner=feed.partner_id,
            delivered=delivered,
            objects=tuple(row.object_id for row in latest),
            reason=reason.strip(),
        )
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
