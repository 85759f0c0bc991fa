"""Orders: what an authority requires of releases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from garante.domain.order import Order
from garante.store.paging import Keyset, paged
from garante.store.schema import OrderRow, OrderVersionRow


def get(session: Session, order_id: str) -> OrderRow | None:
    return session.get(OrderRow, order_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(OrderRow.id)).all())


def next_sequence(session: Session) -> int:
    """The sequence number the next order gets: one more than the highest so far."""
    return int(session.scalar(select(func.coalesce(func.max(OrderRow.sequence), 0))) or 0) + 1


def add(session: Session, order: Order, *, at: datetime) -> OrderRow:
    """An order as issued, at version 1 (written with the next flush)."""
    row = OrderRow(
        id=order.id,
        sequence=order.sequence,
        authority_id=order.authority_id,
        effect=order.effect,
        scope=order.scope.to_dict(),
        requires=order.requires.to_dict(),
        exempts=sorted(order.exempts),
        valid_from=order.valid_from,
        valid_until=order.valid_until,
        while_condition=order.while_condition,
        reason=order.reason,
        version=1,
        issued_at=at,
        amended_at=None,
        lifted_at=None,
        lift_reason=None,
    )
    session.add(row)
    return row


def add_version(
    session: Session,
    *,
    order_id: str,
    version: int,
    action: str,
    signed_by: str,
    statement: str,
    signature: bytes | None,
    at: datetime,
    assertion: str | None = None,
) -> None:
    """One signed version of an order: issued, amended or lifted."""
    session.add(
        OrderVersionRow(
            order_id=order_id,
            version=version,
            action=action,
            signed_by=signed_by,
            statement=statement,
            signature=signature,
            recorded_at=at,
            assertion=assertion,
        )
    )


def while_condition(session: Session, condition_id: str) -> Iterable[OrderRow]:
    """The orders in force only while a condition is active."""
    return session.scalars(select(OrderRow).where(OrderRow.while_condition == condition_id))


def _crossed(
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    since: datetime | None,
    now: datetime,
) -> ColumnElement[bool]:
    changed = func.coalesce(OrderRow.amended_at, OrderRow.issued_at)
    conditions = [
        column.is_not(None),
        column <= now,
        column > changed,
        or_(OrderRow.lifted_at.is_(None), OrderRow.lifted_at > column),
    ]
    if since is not None:
        conditions.append(column > since)
    return and_(*conditions)


def crossing_periods(session: Session, since: datetime | None, now: datetime) -> list[OrderRow]:
    """Orders whose period began or ended after ``since`` (when given) and by ``now``, after
    they were last issued or amended and before they were lifted."""
    return list(
        session.scalars(
            select(OrderRow).where(
                or_(
                    _crossed(OrderRow.valid_from, since, now),
                    _crossed(OrderRow.valid_until, since, now),
                )
            )
        ).all()
    )


def page(session: Session, page: Keyset | None, *, include_lifted: bool = True) -> list[OrderRow]:
    """Orders by sequence; without those lifted unless ``include_lifted``."""
    query = select(OrderRow)
    if not include_lifted:
        query = query.where(OrderRow.lifted_at.is_(None))
    return list(session.scalars(paged(query, OrderRow.sequence, page)))
