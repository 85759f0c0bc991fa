"""What an order would change, before it is issued: replay stored requests against a draft.

Both sides are decided at the same instant against the same snapshot, one with the draft order
added (or an order lifted, or an order replaced by its amended version: lifted and added), so
the report isolates the order's own effect. Only requests in the
scope of the order can differ, so only those are decided; and since ``decide`` is pure, each
distinct (item, recipient, purpose) is decided once per side, however many requests repeat it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from garante import records
from garante.domain.decision import Outcome
from garante.domain.order import Order
from garante.domain.request import ReleaseRequest
from garante.domain.timeutil import iso
from garante.policy.decide import decide
from garante.policy.state import OrderIndex, PolicyState
from garante.store import queries, requests


def simulate(
    session: Session,
    now: datetime,
    *,
    start: datetime,
    end: datetime,
    add: Order | None = None,
    lift: Order | None = None,
    examples: int = 20,
) -> records.Simulation:
    base = queries.policy_state(session, now)
    orders = [o for o in base.orders if lift is None or o.id != lift.id]
    if add is not None:
        orders.append(add)
    changed_state: PolicyState = replace(base, orders=OrderIndex(orders, at=now))
    touched = [o for o in (add, lift) if o is not None]
    total = requests.count_between(session, start, end)
    # decide reads an item only through these attributes, so items alike decide alike.
    likeness = {
        item.id: (
            item.category,
            item.region,
            item.tlp,
            item.releasable_to,
            item.originator if item.tlp == "red" else None,
        )
        for item in base.items.values()
    }
    memo: dict[tuple[object, str, str], tuple[Outcome, Outcome]] = {}
    by_partner: dict[str, Counter[str]] = defaultdict(Counter)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    before_totals: Counter[str] = Counter()
    after_totals: Counter[str] = Counter()
    samples: list[records.Sample] = []
    considered = 0
    in_scope = requests.in_scopes(session, start, end, [o.scope for o in touched])
    for request_id, item_id, recipient, purpose, category in in_scope:
        considered += 1
        key = (likeness.get(item_id, item_id), recipient, purpose)
        pair = memo.get(key)
        if pair is None:
            request = ReleaseRequest(
                id=request_id,
                item_id=item_id,
                recipient_id=recipient,
                purpose=purpose,
                requested_by="simulation",
                requested_at=now,
            )
            pair = (decide(request, base).outcome, decide(request, changed_state).outcome)
            memo[key] = pair
        before, after = pair
        before_totals[before.value] += 1
        after_totals[after.value] += 1
        if before != after:
            change = f"{before.value}->{after.value}"
            by_partner[recipient][change] += 1
            by_category[category][change] += 1
            if len(samples) < examples:
                samples.append(
                    records.Sample(
                        request=request_id,
                        item=item_id,
                        recipient=recipient,
                        purpose=purpose,
                        before=before,
                        after=after,
                    )
                )
    return records.Simulation(
        at=iso(now),
        period={"from": iso(start), "to": iso(end)},
        order=touched[0].id if touched else None,
        action=_action(add, lift),
        requests=total,
        in_scope=considered,
        distinct_decisions=len(memo),
        changed=sum(sum(c.values()) for c in by_partner.values()),
        before=dict(before_totals),
        after=dict(after_totals),
        by_partner={k: dict(v) for k, v in sorted(by_partner.items())},
        by_category={k: dict(v) for k, v in sorted(by_category.items())},
        examples=tuple(samples),
    )


def _action(add: Order | None, lift: Order | None) -> Literal["issue", "amend", "lift"]:
    if add is not None and lift is not None:
        return "amend"
    return "issue" if add is not None else "lift"
