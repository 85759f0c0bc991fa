"""Reads the service needs: the policy snapshot, the vocabulary, the ledger's size."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.domain.condition import Condition, condition_active
from garante.domain.vocabulary import Vocabulary
from garante.policy.state import PolicyState
from garante.store import convert
from garante.store.schema import (
    AgencyRow,
    ConditionRow,
    EventRow,
    ItemRow,
    LedgerEntryRow,
    OrderRow,
    SettingRow,
    UndertakingRow,
)


def setting(session: Session, key: str) -> Any:
    row = session.get(SettingRow, key)
    return None if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value))
    else:
        row.value = value


def vocabulary(session: Session) -> Vocabulary:
    stored = setting(session, "vocabulary")
    return Vocabulary.from_dict(stored) if stored else Vocabulary()


def ledger_size(session: Session) -> int:
    """The number of audit entries: also the version of the state they describe."""
    last = session.scalar(select(func.max(LedgerEntryRow.idx)))
    return 0 if last is None else int(last) + 1


def condition_is_active(session: Session, condition: Condition, at: datetime) -> bool:
    """Evaluate a condition at ``at``, reading only the events its rule can count."""
    rule = condition.rule
    if rule is None:
        return condition.manual_active
    rows = session.scalars(
        select(EventRow).where(
            EventRow.kind == rule.kind,
            EventRow.region == rule.region,
            EventRow.occurred_at > at - rule.window,
            EventRow.occurred_at <= at,
        )
    ).all()
    return condition_active(condition, [convert.event(row) for row in rows], at)


def conditions_at(session: Session, at: datetime) -> dict[str, bool]:
    return {
        row.id: condition_is_active(session, convert.condition(row), at)
        for row in session.scalars(select(ConditionRow))
    }


def policy_state(
    session: Session,
    at: datetime,
    *,
    item_ids: Iterable[str] | None = None,
    agency_ids: Iterable[str] | None = None,
    version: int | None = None,
) -> PolicyState:
    """Load the snapshot ``decide`` reads; limited to some items and agencies when given.

    Orders are loaded whole (minus those lifted before ``at``): their index is what keeps the
    cost of each decision independent of how many cannot apply.
    """
    items = select(ItemRow)
    agencies = select(AgencyRow)
    undertakings = select(UndertakingRow)
    if item_ids is not None:
        items = items.where(ItemRow.id.in_(set(item_ids)))
    if agency_ids is not None:
        wanted = set(agency_ids)
        agencies = agencies.where(AgencyRow.id.in_(wanted))
        undertakings = undertakings.where(UndertakingRow.agency_id.in_(wanted))
    orders = select(OrderRow).where((OrderRow.lifted_at.is_(None)) | (OrderRow.lifted_at > at))
    return PolicyState.build(
        at=at,
        version=ledger_size(session) if version is None else version,
        vocabulary=vocabulary(session),
        agencies=[convert.agency(row) for row in session.scalars(agencies)],
        items=[convert.item(row) for row in session.scalars(items)],
        undertakings=[convert.undertaking(row) for row in session.scalars(undertakings)],
        orders=[convert.order(row) for row in session.scalars(orders)],
        conditions=conditions_at(session, at),
    )
