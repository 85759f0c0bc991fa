"""An item's window: its embargo ends and it expires by the clock, and releases move on time.

``policy.decide`` already holds a request made before an item's ``embargo_until`` and denies one
made from its ``expires_at`` on. What the rule alone cannot do is notice the moment: nobody asks
anything when an embargo ends or an item expires. ``apply_item_windows`` runs on the server's
clock loop (and before a feed page delivers anything), finds every embargo end and expiry the
clock has passed since it last ran, and:

- at an embargo's end, decides again every held request for the item: what only the embargo
  held is released now, and what something else still holds is stored as held with the rule
  that holds it now (so the queue never shows an embargo that has passed); and the item fans
  out again, so an agreement made or resumed during the embargo asks for it now (agreements
  that asked when it was added are not asked twice);
- at an expiry, withdraws every release of the item that still stands, as a recall does:
  delivered ones come back to their partners as revoked versions, undelivered ones are never
  delivered; the held requests for the item are decided again, and denied.

Each entry is logged like any other (``release.redecided``, ``release.recalled`` with the
expiry as its reason). The instant up to which windows were applied is kept in the store's
settings, so each tick reads only what is new and a repeated tick writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.timeutil import iso, utc
from garante.service import fanout, feed
from garante.service.releases import DecidedRequest, redecide_held
from garante.service.transaction import Transaction
from garante.store import feed as stored_feed
from garante.store import items, queries

APPLIED_UNTIL = "item_windows_applied_until"


@dataclass(frozen=True)
class Passed:
    """An item's embargo end (``expired`` False) or expiry that the clock passed, at ``at``."""

    item_id: str
    at: datetime
    expired: bool
    recalled: tuple[int, ...] = ()


@dataclass(frozen=True)
class Applied:
    """What a tick did: the windows it passed and the held requests it decided again."""

    passed: list[Passed]
    moved: list[DecidedRequest]
    started: list[DecidedRequest] = field(default_factory=list)


def due(session: Session, now: datetime) -> list[Passed]:
    """Embargo ends and expiries passed by ``now`` and not yet applied, oldest first."""
    since = queries.instant_setting(session, APPLIED_UNTIL)
    ended = [
        Passed(row.id, utc(row.embargo_until), expired=False)
        for row in items.embargoes_ending(session, since, now)
        if row.embargo_until is not None and utc(row.embargo_until) > utc(row.created_at)
    ]
    expired = [
        Passed(row.id, utc(row.expires_at), expired=True)
        for row in items.expiring(session, since, now)
        if row.expires_at is not None
    ]
    return sorted([*ended, *expired], key=lambda p: (p.at, p.item_id, p.expired))


def apply_item_windows(tx: Transaction) -> Applied:
    """Apply every embargo end and expiry passed since the last run."""
    passed = due(tx.session, tx.now)
    queries.put_setting(tx.session, APPLIED_UNTIL, tx.now.isoformat())
    if not passed:
        return Applied(passed=[], moved=[])
    done = [_expire(tx, p) if p.expired else p for p in passed]
    ids = {p.item_id for p in passed}
    moved = redecide_held(
        tx,
        trigger="; ".join(_describe(p) for p in passed),
        affects=lambda _agency, item: item.id in ids,
    )
    # Agreements made or resumed during the embargo ask now, as they would have at the add.
    started = [
        decided
        for p in passed
        if not p.expired and (row := items.get(tx.session, p.item_id)) is not None
        for decided in fanout.fan_out(tx, row)
    ]
    return Applied(passed=done, moved=moved, started=started)


def _expire(tx: Transaction, passed: Passed) -> Passed:
    """Withdraw every standing release of an expired item, as a recall would."""
    recalled = []
    for release in stored_feed.standing_of_item(tx.session, passed.item_id):
        feed.recall(tx, release.request_id, f"the item expired at {iso(passed.at)}")
        recalled.append(release.request_id)
    return Passed(passed.item_id, passed.at, expired=True, recalled=tuple(recalled))


def _describe(passed: Passed) -> str:
    what = "expired" if passed.expired else "embargo ended"
    return f"item {passed.item_id} {what} at {iso(passed.at)}"
