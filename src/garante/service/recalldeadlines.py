"""Recalls acknowledged by a deadline, or the partner is held (issue 21).

A recall of a delivered release may carry an acknowledgement deadline (``feed.recall``). Once
it has passed and no signed acknowledgement of the recall has come, the partner is held as a
breach holds it: an order of the reserved system authority ``garante-system``, one per overdue
recall (``recall-<partner>-<release>``), issued by ``garante serve``'s periodic loop or by
``enforce_recall_deadlines``. Only an authority lifts it; an acknowledgement that comes after
the hold does not lift it by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from garante.domain.order import Effect, Scope
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.recalldeadline import HOLD_PREFIX
from garante.domain.timeutil import iso
from garante.service import orders, registry
from garante.service.releases import DecidedRequest
from garante.service.transaction import Transaction
from garante.store import acknowledgements, authorities
from garante.store import orders as store_orders
from garante.store.schema import FeedReleaseRow
from garante.store.session import flush


def order_id(partner: str, request_id: int) -> str:
    """The id of the hold an overdue recall brings: one per recall, so enforcing twice is once."""
    return f"{HOLD_PREFIX}{partner}-{request_id}"


def reason(request_id: int, item: str, ack_by: str) -> str:
    return (
        f"Automatic hold: the recall of release {request_id} (item {item}) was not acknowledged "
        f"by its deadline {ack_by}. Stays until an authority lifts it."
    )


@dataclass(frozen=True, kw_only=True)
class Held:
    """One hold issued: the order, the recall that brought it, and what it moved."""

    order_id: str
    partner: str
    release: int
    ack_by: str
    moved: list[DecidedRequest]


def enforce(tx: Transaction) -> list[Held]:
    """Hold every partner with a recall past its deadline and unacknowledged, once per recall."""
    session = tx.session
    held: list[Held] = []
    for feed in acknowledgements.overdue_recalls(session, tx.now):
        oid = order_id(feed.partner_id, feed.request_id)
        if store_orders.get(session, oid) is not None:
            continue  # held for this recall already (and perhaps lifted since: never again)
        held.append(_hold(tx, feed, oid))
    return held


def _hold(tx: Transaction, feed: FeedReleaseRow, oid: str) -> Held:
    session = tx.session
    assert feed.recall_ack_by is not None  # only recalls with a deadline are overdue
    if authorities.get(session, SYSTEM_AUTHORITY) is None:
        registry.register_authority(
            tx, authority_id=SYSTEM_AUTHORITY, name="Garante (automatic suspensions)", system=True
        )
        flush(session)
    ack_by = iso(feed.recall_ack_by)
    draft = orders.draft_order(
        tx,
        authority_id=SYSTEM_AUTHORITY,
        effect=Effect.HOLD.value,
        scope=Scope(agencies=frozenset({feed.partner_id})),
        order_id=oid,
        reason=reason(feed.request_id, acknowledgements.item_of(session, feed.request_id), ack_by),
    )
    _, redecided = orders.issue_order(tx, order=draft, signature=None)
    return Held(
        order_id=oid,
        partner=feed.partner_id,
        release=feed.request_id,
        ack_by=ack_by,
        moved=redecided.moved,
    )
