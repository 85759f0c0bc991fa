"""Whether sharing with a partner is open, conditional, held or suspended now, and why.

A summary for people, computed from what the service returns (orders, conditions,
undertakings), never from raw storage. It reads orders the way the decision does, at the
agency level: an order is in force in its window while its condition is active (an unknown
condition counts as active: fail closed, as ``policy.decide`` does), it reaches the agency when
its scope's agencies and countries match, and an exemption in force that reaches the agency
carves it out. Orders scoped to some categories or regions reach only part of the sharing;
the reason says which part. The decision itself stays per request, in ``policy.decide``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from garante.domain.order import Effect, Order, Requirement, Scope
from garante.domain.timeutil import parse_time
from garante.service.outcomes import SYSTEM_AUTHORITY  # who issues a breach's automatic hold


class Level(IntEnum):
    """Sharing levels, ordered by how much they stop: the worst that applies wins."""

    OPEN = 0
    CONDITIONAL = 1
    HELD = 2
    SUSPENDED = 3

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, kw_only=True)
class Reason:
    """One order that reaches the partner, and what it does there."""

    order: str
    effect: str
    level: Level
    authority: str
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    condition: str | None = None
    automatic: bool = False
    exempted_by: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    requires: dict[str, list[str]] | None = None  # a require order's clauses
    met_by: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PartnerStatus:
    agency: dict[str, Any]
    level: Level
    reasons: tuple[Reason, ...] = ()
    undertakings: tuple[str, ...] = ()
    needs_undertaking: bool = False


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None


def as_order(view: dict[str, Any]) -> Order:
    """The domain order behind a service view of one."""
    start = _time(view["valid_from"])
    if start is None:  # pragma: no cover - every stored order has a start
        raise ValueError(f"order {view['id']} has no valid_from")
    return Order(
        id=view["id"],
        authority_id=view["authority"],
        effect=view["effect"],
        scope=Scope.from_dict(view.get("scope") or {}),
        valid_from=start,
        valid_until=_time(view.get("valid_until")),
        while_condition=view.get("while_condition"),
        exempts=frozenset(view.get("exempts") or ()),
        requires=Requirement.from_dict(view.get("requires") or {}),
        reason=view.get("reason") or "",
        version=int(view.get("version") or 1),
        lifted_at=_time(view.get("lifted_at")),
        sequence=int(view.get("sequence") or 0),
    )


def in_force(order: Order, conditions: dict[str, bool], at: datetime) -> bool:
    if not order.in_window(at):
        return False
    if order.while_condition is None:
        return True
    # An unknown condition holds, as in the decision: fail closed.
    return conditions.get(order.while_condition, True)


def _reaches(order: Order, agency: dict[str, Any]) -> bool:
    scope = order.scope
    return (not scope.agencies or agency["id"] in scope.agencies) and (
        not scope.countries or agency["country"] in scope.countries
    )


def _active_undertakings(undertakings: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    out = []
    for u in undertakings:
        start, until, revoked = (
            _time(u.get("valid_from")),
            _time(u.get("valid_until")),
            _time(u.get("revoked_at")),
        )
        if start is not None and at < start:
            continue
        if until is not None and at >= until:
            continue
        if revoked is not None and at >= revoked:
            continue
        out.append(u)
    return out


def _meets(undertaking: dict[str, Any], requirement: Requirement) -> bool:
    return requirement.prohibits <= set(undertaking.get("prohibits") or ()) and (
        requirement.protections <= set(undertaking.get("protections") or ())
    )


def _level(order: Order) -> Level:
    if order.effect == Effect.DENY:
        return Level.SUSPENDED
    if order.effect == Effect.HOLD:
        return Level.SUSPENDED if order.authority_id == SYSTEM_AUTHORITY else Level.HELD
    if order.effect == Effect.REQUIRE:
        return Level.CONDITIONAL
    return Level.HELD  # an effect the engine does not know holds (fail closed)


def partner_status(
    agency: dict[str, Any],
    *,
    orders: list[Order],
    conditions: dict[str, bool],
    undertakings: list[dict[str, Any]],
    at: datetime,
) -> PartnerStatus:
    """The sharing level of one agency at ``at`` and the orders that decide it."""
    live = [o for o in orders if in_force(o, conditions, at) and _reaches(o, agency)]
    exemptions = [o for o in live if o.effect == Effect.EXEMPT]
    active = _active_undertakings(undertakings, at)
    reasons = []
    for order in sorted(live, key=lambda o: (o.sequence, o.id)):
        if order.effect == Effect.EXEMPT:
            continue
        carving = [e for e in exemptions if order.id in e.exempts]
        if any(not e.scope.categories and not e.scope.regions for e in carving):
            continue  # exempted for everything this agency receives
        met_by: tuple[str, ...] = ()
        if order.effect == Effect.REQUIRE:
            met_by = tuple(u["id"] for u in active if _meets(u, order.requires))
        reasons.append(
            Reason(
                order=order.id,
                effect=order.effect,
                level=_level(order),
                authority=order.authority_id,
                categories=tuple(sorted(order.scope.categories)),
                regions=tuple(sorted(order.scope.regions)),
                condition=order.while_condition,
                automatic=order.authority_id == SYSTEM_AUTHORITY,
                exempted_by=tuple(
                    (e.id, tuple(sorted(e.scope.categories)), tuple(sorted(e.scope.regions)))
                    for e in carving
                ),
                requires=order.requires.to_dict() if order.effect == Effect.REQUIRE else None,
                met_by=met_by,
            )
        )
    level = max((r.level for r in reasons), default=Level.OPEN)
    needs = bool(not agency.get("domestic") or agency.get("requires_undertaking"))
    return PartnerStatus(
        agency=agency,
        level=level,
        reasons=tuple(reasons),
        undertakings=tuple(u["id"] for u in active),
        needs_undertaking=needs,
    )
