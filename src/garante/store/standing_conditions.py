"""The conditions a decision reads, with the events each counts, kept per process while none
has changed.

Every release read every condition, and for each derived one the events its rule counts, then
converted them: two statements and their rows per release, for state that changes when an
authority sets a condition or an agency reports an event, which is rarely. A process keeps
them (converted, immutable) as of one *generation*, as ``store.standing_orders`` keeps the
orders: a value in the store's settings that every flush adding, changing or deleting a
condition or an event replaces, in the transaction that makes the change (a flush hook, so no
use case can forget it).

What is kept is read at one instant, ``read_at``: each condition, and for a derived one every
event of its kind and region that occurred after ``read_at`` less its window, later ones
included. Any instant from ``read_at`` on is answered from them by the domain's own rule
(``condition_active``, which counts only the events in the window before that instant); an
earlier one is read again. A reader reads the generation in its deciding transaction, so a
condition or an event committed by any process before it is read, and one committed after it
cannot commit until it has (on SQLite the one writer, on PostgreSQL the policy lock, which
every change to a condition or an event holds exclusively).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.condition import Condition, Event, condition_active
from garante.store import conditions, convert
from garante.store.generation import Generation
from garante.store.schema import ConditionRow, EventRow

GENERATION = Generation("conditions_generation", watching=(ConditionRow, EventRow))
"""Marked by every flush that adds, changes or deletes a condition or an event."""


@dataclass(frozen=True)
class _Kept:
    """The conditions and the events each may count from ``read_at`` on, as of
    ``generation``; and the states last worked out from them (``states``, at ``states_at``)."""

    generation: str
    read_at: datetime
    conditions: tuple[tuple[Condition, tuple[Event, ...]], ...]
    states_at: datetime
    states: dict[str, bool]


_KEPT: dict[str, _Kept] = {}


def states_at(session: Session, at: datetime) -> dict[str, bool]:
    """Whether each condition holds at ``at``, by id, as the store holds them in
    ``session``'s transaction.

    Read from the store only when the generation this transaction reads is not the one kept,
    or ``at`` is before the instant they were read at (an event counted then may have left
    the window of the earlier instant's reading); otherwise worked out from what is kept.
    """
    key = str(session.connection().engine.url)
    current = GENERATION.current(session)
    kept = _KEPT.get(key)
    if kept is not None and kept.generation == current and kept.read_at <= at:
        if kept.states_at != at:
            kept = _Kept(current, kept.read_at, kept.conditions, at, _states(kept.conditions, at))
            _KEPT[key] = kept
        return dict(kept.states)
    conditions = _read(session, at)
    states = _states(conditions, at)
    if current:  # never marked (a store upgraded as it was): nothing names its content
        _KEPT[key] = _Kept(current, at, conditions, at, states)
    return dict(states)


def _read(session: Session, at: datetime) -> tuple[tuple[Condition, tuple[Event, ...]], ...]:
    """Every condition, with the events its rule may count at ``at`` or later."""
    out = []
    for row in session.scalars(select(ConditionRow)):
        condition = convert.condition(row)
        rule = condition.rule
        events: tuple[Event, ...] = ()
        if rule is not None:
            counted = conditions.counted_events(session, rule, at - rule.window)
            events = tuple(convert.event(event) for event in counted)
        out.append((condition, events))
    return tuple(out)


def _states(
    conditions: tuple[tuple[Condition, tuple[Event, ...]], ...], at: datetime
) -> dict[str, bool]:
    return {
        condition.id: condition_active(condition, list(events), at)
        for condition, events in conditions
    }
