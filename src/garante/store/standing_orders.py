"""The orders a decision reads, kept per process while none has changed.

Every transaction that decides files the orders not lifted into an ``OrderIndex``: a fan-out
of many items, each its own transaction, read and converted every order row once per item,
and the more orders stand the more that cost (every one of them, whatever the item). Orders
change rarely, so a process keeps them (converted, immutable) as of one *generation*: a value
in the store's settings that every flush adding, changing or deleting an order replaces, in
the transaction that makes the change (a flush hook, so no use case can forget it).

A reader reads the generation in its own transaction and uses what is kept only when it is
the one the orders were read under; anything else is read again from the store. So "once an
order commits, nothing it covers is released" holds across processes and servers: a decision
reads the generation in its deciding transaction (on SQLite under the one writer, on
PostgreSQL under the policy lock, which every order change holds exclusively), so an order
committed anywhere before it changes the generation it reads, and one committed after it
cannot commit until it has. The pattern of ``store.parties`` for agencies and undertakings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.order import Order
from garante.domain.snapshot import OrderIndex
from garante.store import convert
from garante.store.generation import Generation
from garante.store.schema import OrderRow

GENERATION = Generation("orders_generation", watching=(OrderRow,))
"""Marked by every flush that adds, changes or deletes an order."""


@dataclass(frozen=True)
class _Kept:
    """The orders not lifted at ``read_at``, as of ``generation``; and the last index filed
    from them (``index``, at ``index_at``), which decisions at that same instant share."""

    generation: str
    read_at: datetime
    orders: tuple[Order, ...]
    index_at: datetime
    index: OrderIndex


_KEPT: dict[str, _Kept] = {}


def index_at(session: Session, at: datetime) -> OrderIndex:
    """The orders not lifted before ``at``, filed at ``at``, as the store holds them in
    ``session``'s transaction.

    Read from the store only when the generation this transaction reads is not the one kept,
    or ``at`` is before the instant they were read at (an order lifted between the two would
    be missing); otherwise those kept not lifted by ``at`` are filed, or the index last filed
    is given again where it was filed at ``at``.
    """
    key = str(session.connection().engine.url)
    current = GENERATION.current(session)
    kept = _KEPT.get(key)
    if kept is not None and kept.generation == current and kept.read_at <= at:
        if kept.index_at == at:
            return kept.index
        index = OrderIndex(
            [o for o in kept.orders if o.lifted_at is None or o.lifted_at > at], at=at
        )
        _KEPT[key] = _Kept(current, kept.read_at, kept.orders, at, index)
        return index
    rows = session.scalars(
        select(OrderRow).where((OrderRow.lifted_at.is_(None)) | (OrderRow.lifted_at > at))
    )
    orders = tuple(convert.order(row) for row in rows)
    index = OrderIndex(orders, at=at)
    if current:  # never marked (a store upgraded as it was): nothing names its content
        _KEPT[key] = _Kept(current, at, orders, at, index)
    return index
