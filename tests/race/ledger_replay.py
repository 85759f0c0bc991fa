"""An independent check of a store from its audit log alone.

The log is the record an inspector trusts; the tables are the operator's. This module reads
only the ledger entries, folds them into the state they describe, and asks, for every entry
that decided a release or delivered one: was it right, on the state the log says existed then?

- every ``release.decided`` / ``release.redecided`` entry must equal ``decide`` replayed on the
  state folded from the entries before the version it cites, at the instant it was made;
- every ``release.delivered`` entry must be a delivery that ``decide``, on the state folded from
  every entry before it, at its instant, would release: nothing reaches a partner while an
  order in force holds or denies it;
- indexes are 0..n-1, with one entry per index.

Nothing here reads the store's tables or calls the service: a bug that wrote the same wrong
thing to both would still be found, because the decision is recomputed from the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from garante.domain.condition import Condition, ConditionRule, Event, condition_active
from garante.domain.item import Item
from garante.domain.order import Order, Requirement, Scope
from garante.domain.parties import Agency
from garante.domain.request import ReleaseRequest
from garante.domain.timeutil import parse_time
from garante.domain.undertaking import Undertaking
from garante.policy.decide import decide
from garante.policy.state import PolicyState


@dataclass
class World:
    """What the log has said so far about everything ``decide`` reads."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    undertakings: dict[str, Undertaking] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    requests: dict[int, ReleaseRequest] = field(default_factory=dict)
    issued: int = 0

    def copy(self) -> World:
        """A snapshot: every value is frozen, so copying the maps is enough."""
        return World(
            agencies=dict(self.agencies),
            items=dict(self.items),
            undertakings=dict(self.undertakings),
            orders=dict(self.orders),
            conditions=dict(self.conditions),
            events=list(self.events),
            requests=dict(self.requests),
            issued=self.issued,
        )

    def state(self, at: datetime, version: int) -> PolicyState:
        return PolicyState.build(
            at=at,
            version=version,
            agencies=self.agencies.values(),
            items=self.items.values(),
            undertakings=self.undertakings.values(),
            orders=self.orders.values(),
            conditions={
                c.id: condition_active(c, self.events, at) for c in self.conditions.values()
            },
        )

    def apply(self, kind: str, at: datetime, data: dict[str, Any]) -> None:
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, at, data)


def _time(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def _agency(world: World, _at: datetime, data: dict[str, Any]) -> None:
    world.agencies[data["agency"]] = Agency(
        id=data["agency"],
        name=data["name"],
        country=data["country"],
        domestic=data["domestic"],
        requires_undertaking=data["requires_undertaking"],
    )


def _item(world: World, _at: datetime, data: dict[str, Any]) -> None:
    world.items[data["item"]] = Item(
        id=data["item"],
        title="",
        category=data["category"],
        region=data["region"],
        tlp=data["tlp"],
        originator=data["originator"],
        releasable_to=frozenset(data["releasable_to"]),
    )


def _undertaking(world: World, _at: datetime, data: dict[str, Any]) -> None:
    terms = data["statement"]
    world.undertakings[terms["id"]] = Undertaking(
        id=terms["id"],
        agency_id=terms["agency"],
        permits=frozenset(terms["permits"]),
        prohibits=frozenset(terms["prohibits"]),
        protections=frozenset(terms["protections"]),
        categories=frozenset(terms["categories"]),
        valid_from=parse_time(terms["valid_from"]),
        valid_until=_time(terms["valid_until"]),
        signed=data.get("signature") is not None,
    )


def _revoked(world: World, at: datetime, data: dict[str, Any]) -> None:
    undertaking = world.undertakings[data["undertaking"]]
    world.undertakings[undertaking.id] = replace(undertaking, revoked_at=at)


def _order(world: World, _at: datetime, data: dict[str, Any]) -> None:
    terms = data["statement"]
    previous = world.orders.get(terms["id"])
    if previous is None:
        world.issued += 1
    world.orders[terms["id"]] = Order(
        id=terms["id"],
        authority_id=terms["authority"],
        effect=terms["effect"],
        scope=Scope.from_dict(terms["scope"]),
        requires=Requirement.from_dict(terms["requires"]),
        exempts=frozenset(terms["exempts"]),
        valid_from=parse_time(terms["valid_from"]),
        valid_until=_time(terms["valid_until"]),
        while_condition=terms["while_condition"],
        reason=terms["reason"],
        version=terms["version"],
        sequence=previous.sequence if previous else world.issued,
    )


def _lifted(world: World, at: datetime, data: dict[str, Any]) -> None:
    order = world.orders[data["statement"]["id"]]
    world.orders[order.id] = replace(order, lifted_at=at, version=data["statement"]["version"])


def _condition(world: World, _at: datetime, data: dict[str, Any]) -> None:
    rule = data["rule"]
    world.conditions[data["condition"]] = Condition(
        id=data["condition"],
        rule=ConditionRule(**rule) if rule else None,
        manual_active=bool(data["active"]) if not rule else False,
    )


def _condition_changed(world: World, _at: datetime, data: dict[str, Any]) -> None:
    condition = world.conditions[data["condition"]]
    if condition.rule is None:  # a derived condition's changes are read from its events
        world.conditions[condition.id] = replace(condition, manual_active=bool(data["active"]))


def _event(world: World, _at: datetime, data: dict[str, Any]) -> None:
    world.events.append(
        Event(kind=data["kind"], region=data["region"], occurred_at=parse_time(data["occurred_at"]))
    )


def _requested(world: World, at: datetime, data: dict[str, Any]) -> None:
    world.requests[data["request"]] = ReleaseRequest(
        id=data["request"],
        item_id=data["item"],
        recipient_id=data["recipient"],
        purpose=data["purpose"],
        requested_by="",
        requested_at=at,
    )


_HANDLERS = {
    "agency.registered": _agency,
    "item.added": _item,
    "undertaking.signed": _undertaking,
    "undertaking.revoked": _revoked,
    "order.issued": _order,
    "order.amended": _order,
    "order.lifted": _lifted,
    "condition.defined": _condition,
    "condition.changed": _condition_changed,
    "event.recorded": _event,
    "release.requested": _requested,
}


@dataclass
class Finding:
    index: int
    kind: str
    problem: str


@dataclass
class Replay:
    """What the replay checked and what it found wrong."""

    entries: int = 0
    decisions: int = 0
    deliveries: int = 0
    findings: list[Finding] = field(default_factory=list)


def _summary(decision_outcome: str, rules: Iterable[dict[str, str]], undertaking: Any) -> Any:
    return (decision_outcome, [(r["rule"], r["cites"]) for r in rules], undertaking)


def replay(rows: Iterable[tuple[int, bytes | str]]) -> Replay:
    """Check every decision and delivery in ``rows`` (index, canonical entry), in index order."""
    entries = [(idx, json.loads(entry)) for idx, entry in rows]
    report = Replay(entries=len(entries))
    for expected, (idx, _entry) in enumerate(entries):
        if idx != expected:
            report.findings.append(Finding(idx, "", f"index {idx} where {expected} was due"))
            return report
    cited = {
        e["data"]["state_version"]
        for _, e in entries
        if e["kind"] in ("release.decided", "release.redecided")
    }
    world = World()
    snapshots: dict[int, World] = {}
    for idx, entry in entries:
        if idx in cited:
            snapshots[idx] = world.copy()
        kind, data, at = entry["kind"], entry["data"], parse_time(entry["at"])
        if kind in ("release.decided", "release.redecided"):
            report.decisions += 1
            version = data["state_version"]
            if version > idx:
                report.findings.append(Finding(idx, kind, f"cites version {version} > its index"))
                continue
            before = snapshots.get(version, world if version == idx else None)
            assert before is not None
            request = world.requests.get(data["request"])
            if request is None:
                report.findings.append(Finding(idx, kind, "decides a request never made"))
                continue
            decision = decide(request, before.state(at, version))
            replayed = _summary(
                decision.outcome.value,
                [h.to_dict() for h in decision.rules],
                decision.undertaking_id,
            )
            stored = _summary(data["outcome"], data["rules"], data["undertaking"])
            if replayed != stored:
                report.findings.append(
                    Finding(
                        idx, kind, f"stored {stored}, replayed on version {version}: {replayed}"
                    )
                )
        elif kind == "release.delivered":
            report.deliveries += 1
            request = world.requests.get(int(data["request"]))
            if request is None:
                report.findings.append(Finding(idx, kind, "delivers a request never made"))
            else:
                decision = decide(request, world.state(at, idx))
                if decision.outcome.value != "released":
                    report.findings.append(
                        Finding(
                            idx,
                            kind,
                            f"request {request.id} delivered to {request.recipient_id} while "
                            f"decide says {decision.outcome.value}: {decision.explanation}",
                        )
                    )
        world.apply(kind, at, data)
    return report
