"""Reads the service needs: the policy snapshot, the vocabulary, the ledger's size."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from garante.domain.condition import Condition, ConditionRule, condition_active
from garante.domain.consent import ConsentKey, Onward
from garante.domain.snapshot import OrderIndex, PolicyState
from garante.domain.timeutil import parse_time
from garante.domain.vocabulary import Vocabulary
from garante.store import (
    conditions,
    convert,
    generation,
    items,
    parties,
    standing_conditions,
    standing_orders,
)
from garante.store.schema import (
    AgencyRow,
    EventRow,
    ItemRow,
    LedgerEntryRow,
    SettingRow,
    SourceIngestRow,
    UndertakingRow,
)
from garante.store.session import driver_rows

T = TypeVar("T")


def setting(session: Session, key: str) -> Any:
    """The value stored under ``key``, or None. A carried one (``CARRIED``) comes from the
    statement that reads the transaction's generation marks, not from a read of its own."""
    if key in CARRIED:
        return generation.carried(session, key)
    row = session.get(SettingRow, key)
    return None if row is None else row.value


def instant_setting(session: Session, key: str) -> datetime | None:
    """A setting that holds an instant (ISO 8601), such as how far a clock loop has applied."""
    stored = setting(session, key)
    return parse_time(str(stored)) if stored else None


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value))
    else:
        row.value = value
    generation.carried_changed(session, key, value)


VOCABULARY = "vocabulary"
LOG_VERIFIER_KEY = "log_verifier_key"
CARRIED = frozenset({VOCABULARY, LOG_VERIFIER_KEY})
"""Settings every release reads (the vocabulary it checks terms against, the log's key whose
name its marked releases cite), read with the generation marks in one statement."""
for _key in sorted(CARRIED):
    generation.carry(_key)

_parsed_vocabulary: tuple[Any, Vocabulary] = (None, Vocabulary())
"""The vocabulary last parsed, with the stored value it was parsed from: given again while the
store holds an equal value (a ``Vocabulary`` is immutable), not parsed once per release."""


def vocabulary(session: Session) -> Vocabulary:
    global _parsed_vocabulary
    stored = setting(session, VOCABULARY)
    kept, parsed = _parsed_vocabulary
    if type(stored) is type(kept) and stored == kept:
        return parsed
    parsed = Vocabulary.from_dict(stored) if stored else Vocabulary()
    _parsed_vocabulary = (copy.deepcopy(stored), parsed)
    return parsed


_LEDGER_SIZE = f"SELECT max(idx) FROM {LedgerEntryRow.__tablename__}"


def ledger_size(session: Session) -> int:
    """The number of audit entries: also the version of the state they describe.

    A statement of the driver's own (the same on every store): every write transaction that
    appends asks this first, and the ORM's select cost several times the lookup itself. What
    the session holds is written first, as the ORM's select would have (autoflush).
    """
    [(last,)] = driver_rows(session, _LEDGER_SIZE)
    return 0 if last is None else int(last) + 1


def counted_events(session: Session, rule: ConditionRule, at: datetime) -> list[EventRow]:
    """The events ``rule`` counts at ``at``, by id: those of its kind and region in its window."""
    return conditions.counted_events(session, rule, at - rule.window, until=at)


def condition_is_active(session: Session, condition: Condition, at: datetime) -> bool:
    """Evaluate a condition at ``at``, reading only the events its rule can count."""
    rule = condition.rule
    if rule is None:
        return condition.manual_active
    rows = counted_events(session, rule, at)
    return condition_active(condition, [convert.event(row) for row in rows], at)


def conditions_at(session: Session, at: datetime) -> dict[str, bool]:
    """Whether each condition holds at ``at``, by id: kept per process while the store's
    generation of conditions and events is the one this transaction reads
    (``standing_conditions``)."""
    return standing_conditions.states_at(session, at)


def _rows(session: Session, model: type[T], ids: Iterable[str] | None) -> list[T]:
    """All rows, or those with the given primary keys.

    One id is read with ``Session.get``, which the identity map answers without a query when
    the caller has just looked the row up (a release request checks its item and recipient
    exist before it loads the snapshot).
    """
    if ids is None:
        return list(session.scalars(select(model)))
    wanted = set(ids)
    if len(wanted) == 1:
        row = session.get(model, next(iter(wanted)))
        return [] if row is None else [row]
    key = inspect(model).primary_key[0]
    return list(session.scalars(select(model).where(key.in_(wanted))))


@dataclass(frozen=True)
class Standing:
    """The orders and conditions as they stand at ``at``: the part of a snapshot that is the
    same whatever is requested, so requests decided at one instant can share it."""

    at: datetime
    orders: OrderIndex
    conditions: dict[str, bool]


def standing(session: Session, at: datetime) -> Standing:
    """Orders not lifted before ``at``, filed at ``at``, and each condition's state then.

    The orders come from ``standing_orders``: kept per process while the store's generation of
    them is the one this transaction reads, so a fan-out of many items, each its own
    transaction, reads and files them once, not once per item.
    """
    return Standing(
        at=at, orders=standing_orders.index_at(session, at), conditions=conditions_at(session, at)
    )


def policy_state(
    session: Session,
    at: datetime,
    *,
    item_ids: Iterable[str] | None = None,
    agency_ids: Iterable[str] | None = None,
    version: int | None = None,
    known_vocabulary: Vocabulary | None = None,
    keep: list[object] | None = None,
    shared: Standing | None = None,
    kept_items: Mapping[str, items.Kept] | None = None,
) -> PolicyState:
    """Load the snapshot ``decide`` reads; limited to some items and agencies when given.

    Orders are loaded whole (minus those lifted before ``at``): their index is what keeps the
    cost of each decision independent of how many cannot apply; it is kept per process while
    no order changes (``standing_orders``). Agencies and undertakings,
    when ``agency_ids`` limits them, come from ``parties.read``: kept per process while the
    store's generation of them is the one this transaction reads. Item rows loaded
    are appended to ``keep`` when given: the session's identity map holds rows weakly, and a
    transaction that goes on to read them again then finds them there instead of querying
    again. ``shared``, the orders and conditions standing at ``at``
    as read earlier in the same transaction, is used instead of reading them again: only a
    transaction that has not changed them since may pass it. ``kept_items``, the items as
    ``items.kept`` gave them earlier in the same transaction, are the snapshot's items (and
    their upstream releases) instead of ``item_ids``' rows: a release reads them once.
    """
    if shared is not None and shared.at != at:
        raise ValueError(f"orders and conditions read at {shared.at} cannot describe {at}")
    if agency_ids is not None:
        # Kept per process while none changes (``parties``): a fan-out reads the same ones for
        # every item it adds.
        agencies, undertakings = parties.read(session, agency_ids)
    else:
        agencies = {row.id: convert.agency(row) for row in session.scalars(select(AgencyRow))}
        undertakings = [convert.undertaking(row) for row in session.scalars(select(UndertakingRow))]
    if kept_items is not None:
        snapshot_items = [kept.item for kept in kept_items.values()]
        upstream = {
            item_id: kept.onward for item_id, kept in kept_items.items() if kept.onward is not None
        }
    else:
        item_rows = _rows(session, ItemRow, item_ids)
        if keep is not None:
            keep.extend(item_rows)
        snapshot_items = [convert.item(row) for row in item_rows]
        upstream = released_under(
            session, None if item_ids is None else [row.id for row in item_rows]
        )
    now_standing = shared if shared is not None else standing(session, at)
    return PolicyState.build(
        at=at,
        version=ledger_size(session) if version is None else version,
        vocabulary=vocabulary(session) if known_vocabulary is None else known_vocabulary,
        agencies=agencies.values(),
        items=snapshot_items,
        undertakings=undertakings,
        orders=now_standing.orders,
        conditions=now_standing.conditions,
        released_under=upstream,
        # Only the answers about these items' upstream releases: decide asks no other.
        consents=consents_held(session, [onward.request for onward in upstream.values()]),
    )


def released_under(session: Session, item_ids: Iterable[str] | None) -> dict[str, Onward]:
    """The upstream release each of these items (all when None) taken from a Garante upstream
    came under."""
    query = select(SourceIngestRow.item_id, SourceIngestRow.terms).where(
        SourceIngestRow.status == "item"
    )
    if item_ids is not None:
        wanted = list(item_ids)
        if not wanted:
            return {}
        query = query.where(SourceIngestRow.item_id.in_(wanted))
    found: dict[str, Onward] = {}
    rows = session.execute(query)
    for item_id, terms in rows:
        onward = Onward.of_terms(terms)
        if onward is not None:
            found[item_id] = onward
    return found


def consents_held(
    session: Session, requests: Collection[int] | None = None
) -> dict[ConsentKey, str]:
    """The consents this node received from its upstreams, answered there: all, or those
    about the upstream release requests ``requests``."""
    from garante.store import consents  # it reads the schema this module's callers build

    return consents.held(session, requests)
