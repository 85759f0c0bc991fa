"""Conditions: named states that orders can be made to depend on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from garante.domain.timeutil import iso


@dataclass(frozen=True, kw_only=True)
class ConditionRule:
    """Active while at least ``min_events`` events of ``kind`` in ``region`` fall in the window.

    The window is the ``window_days`` before the moment asked about, so a condition lapses on its
    own ``window_days`` after the last event that kept it active.
    """

    kind: str
    region: str
    min_events: int = 1
    window_days: int = 30

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    def counts(self, event: Event, at: datetime) -> bool:
        """Whether the rule counts ``event`` at ``at``: its kind, its region, in the window."""
        return (
            event.kind == self.kind
            and event.region == self.region
            and at - self.window < event.occurred_at <= at
        )


@dataclass(frozen=True, kw_only=True)
class Event:
    """A reported event (a vessel strike) that derived conditions count."""

    kind: str
    region: str
    occurred_at: datetime
    source: str = ""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A named state; set by hand (``manual_active``) or derived from events (``rule``)."""

    id: str
    description: str = ""
    rule: ConditionRule | None = None
    manual_active: bool = False
    evidence: str = ""


def condition_active(condition: Condition, events: list[Event], at: datetime) -> bool:
    """Whether the condition holds at ``at``: pure, so the clock can be replayed."""
    if condition.rule is None:
        return condition.manual_active
    rule = condition.rule
    count = sum(1 for event in events if rule.counts(event, at))
    return count >= rule.min_events


def condition_statement(
    condition_id: str, *, active: bool, evidence: str, authority_id: str
) -> dict[str, str | bool]:
    """What an authority signs to set a hand-kept condition (``garante.condition/v1``).

    A condition can start or stop every order that is in force ``while`` it holds, so setting
    one is an act of an authority, signed with its key when it has one, as an order is.
    """
    return {
        "type": "garante.condition/v1",
        "condition": condition_id,
        "active": active,
        "evidence": evidence,
        "authority": authority_id,
    }


def event_statement(
    *, kind: str, region: str, occurred_at: datetime, source: str, note: str, agency_id: str
) -> dict[str, str]:
    """What the reporting agency signs for an event (``garante.event/v1``).

    An event a derived condition counts can start or stop every order in force ``while`` that
    condition holds, so it is the reporting agency's word, signed with its key when it has one.
    """
    return {
        "type": "garante.event/v1",
        "kind": kind,
        "region": region,
        "occurred_at": iso(occurred_at),
        "source": source,
        "note": note,
        "agency": agency_id,
    }
