"""Orders that begin or end by the clock: the held queue and pending releases move on time.

Issuing, amending and lifting an order re-decide what it covers in their own transaction. An
order signed at 20:00 to hold "from 21:00" or "until 06:00" changes what ``decide`` says at a
moment when nobody changes anything, so that moment has to be noticed: ``apply_order_periods``
finds every period boundary the clock has passed since it last ran, withholds the releases not
yet delivered that an order now in force covers, and decides again the held requests an order
that ended no longer holds.

A boundary counts once it is later than the order's last change (what was decided at the
change already saw the order's window) and earlier than any lift (the lift re-decided). Only
decisions that change are stored: a tick that finds a request still held writes nothing, so
running it twice, or on two servers at once, is harmless. The instant up to which boundaries
were applied is kept in the store's settings so each tick reads only the new ones; losing it
costs a re-check, never a wrong decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.order import Scope
from garante.domain.timeutil import utc
from garante.service.releases import DecidedRequest, in_scopes, redecide_held
from garante.service.transaction import Transaction
from garante.store import orders, queries

APPLIED_UNTIL = "order_periods_applied_until"


@dataclass(frozen=True)
class Boundary:
    """An order's period beginning (``began``) or ending at ``at``."""

    order_id: str
    scope: Scope
    at: datetime
    began: bool

    def describe(self) -> str:
        return f"order {self.order_id} {'came into force' if self.began else 'period ended'}"


def due(session: Session, now: datetime) -> list[Boundary]:
    """Boundaries passed by ``now`` and not yet applied, oldest first."""
    since = queries.instant_setting(session, APPLIED_UNTIL)
    rows = orders.crossing_periods(session, since, now)
    boundaries: list[Boundary] = []
    for row in rows:
        scope = Scope.from_dict(row.scope)
        changed = utc(row.amended_at or row.issued_at)
        lifted = utc(row.lifted_at) if row.lifted_at else None
        for at, began in ((row.valid_from, True), (row.valid_until, False)):
            if at is None:
                continue
            at = utc(at)
            unapplied = since is None or at > since
            if changed < at <= now and unapplied and (lifted is None or lifted > at):
                boundaries.append(Boundary(row.id, scope, at, began))
    return sorted(boundaries, key=lambda b: (b.at, b.order_id, b.began))


def apply_order_periods(tx: Transaction) -> tuple[list[Boundary], list[DecidedRequest]]:
    """Apply every boundary passed since the last run: those applied, and what they moved."""
    boundaries = due(tx.session, tx.now)
    queries.put_setting(tx.session, APPLIED_UNTIL, tx.now.isoformat())
    if not boundaries:
        return [], []
    moved = redecide_held(
        tx,
        trigger="; ".join(boundary.describe() for boundary in boundaries),
        affects=in_scopes([boundary.scope for boundary in boundaries]),
        changed_only=True,
    )
    return boundaries, moved
