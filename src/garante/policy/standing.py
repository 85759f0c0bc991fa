"""Whether sharing with a partner is open, conditional, held or suspended now, and why.

A summary for people, from the same ``PolicyState`` snapshot ``decide`` reads. It reads orders
at the agency level: an order is in force in its window while its condition is active, it
reaches the agency when its scope's agencies and countries match (``Scope.reaches``), and an
exemption in force that reaches the agency carves it out. Orders scoped to some categories or
regions reach only part of the sharing; the reason says which part. The decision itself stays
per request, in ``decide``.

It fails closed, as ``decide`` does: an order whose condition the state does not know counts as
in force, an exemption whose condition it does not know carves nothing out, and an effect it
does not know holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import NamedTuple

from garante.domain.errors import AgencyNotFound
from garante.domain.order import Effect, Order
from garante.domain.parties import SYSTEM_AUTHORITY, Agency
from garante.domain.vocabulary import suggest
from garante.policy.orders import in_force, meets
from garante.policy.state import PolicyState


class Level(IntEnum):
    """Sharing levels, ordered by how much they stop: the worst that applies wins."""

    OPEN = 0
    CONDITIONAL = 1
    HELD = 2
    SUSPENDED = 3

    @property
    def key(self) -> str:
        return self.name.lower()


class Exemption(NamedTuple):
    """An exemption in force that carves part of an order out for the agency: where."""

    order: str
    categories: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Clauses:
    """The clauses a require order asks of the agency's undertaking, sorted."""

    prohibits: tuple[str, ...] = ()
    protections: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Reason:
    """One order that reaches the partner, and what it does there."""

    order: str
    effect: str
    level: Level
    authority: str
    categories: tuple[str, ...] = ()  # the order reaches only these categories (empty: all)
    regions: tuple[str, ...] = ()  # and only these regions (empty: all)
    condition: str | None = None
    automatic: bool = False  # the hold a breach brings, issued by the system authority
    exempted_by: tuple[Exemption, ...] = ()  # exemptions that carve out part of it
    requires: Clauses | None = None  # a require order's clauses
    met_by: tuple[str, ...] = ()  # the agency's active undertakings that have them

    @property
    def met(self) -> bool | None:
        """Whether an undertaking meets a require order; ``None`` for other effects."""
        return bool(self.met_by) if self.requires is not None else None


@dataclass(frozen=True, kw_only=True)
class PartnerStanding:
    """An agency's sharing level at the snapshot's time, and the orders that decide it."""

    agency: Agency
    at: datetime
    level: Level
    reasons: tuple[Reason, ...] = ()
    undertakings: tuple[str, ...] = ()  # its active undertakings
    needs_undertaking: bool = False


def standing(state: PolicyState, agency_id: str) -> PartnerStanding:
    """The standing of one agency of the snapshot; ``AgencyNotFound`` if it has none such."""
    agency = state.agencies.get(agency_id)
    if agency is None:
        raise AgencyNotFound(
            f"no agency '{agency_id}'", field="agency_id", hint=suggest(agency_id, state.agencies)
        )
    return _standing(state, agency, _in_force(state))


def standings(state: PolicyState) -> tuple[PartnerStanding, ...]:
    """The standing of every agency of the snapshot, by agency id."""
    live = _in_force(state)
    return tuple(_standing(state, state.agencies[a], live) for a in sorted(state.agencies))


def _in_force(state: PolicyState) -> list[Order]:
    """Orders in force at the snapshot's time, in issue order.

    An unknown condition keeps an order in force but lets no exemption carve: either way
    more is stopped, never less.
    """
    live = [
        order
        for order in state.orders
        if in_force(order, state.conditions, state.at, if_unknown=order.effect != Effect.EXEMPT)
    ]
    return sorted(live, key=lambda o: (o.sequence, o.id))


def _standing(state: PolicyState, agency: Agency, live: Iterable[Order]) -> PartnerStanding:
    reaching = [o for o in live if o.scope.reaches(agency=agency.id, country=agency.country)]
    exemptions = [o for o in reaching if o.effect == Effect.EXEMPT]
    active = [u for u in state.undertakings.get(agency.id, ()) if u.is_active(state.at)]
    reasons = []
    for order in reaching:
        if order.effect == Effect.EXEMPT:
            continue
        carving = [e for e in exemptions if order.id in e.exempts]
        if any(not e.scope.categories and not e.scope.regions for e in carving):
            continue  # exempted for everything this agency receives
        requires: Clauses | None = None
        met_by: tuple[str, ...] = ()
        if order.effect == Effect.REQUIRE:
            requires = Clauses(
                prohibits=tuple(sorted(order.requires.prohibits)),
                protections=tuple(sorted(order.requires.protections)),
            )
            met_by = tuple(u.id for u in active if meets(u, order.requires))
        reasons.append(
            Reason(
                order=order.id,
                effect=str(order.effect),
                level=_level(order),
                authority=order.authority_id,
                categories=tuple(sorted(order.scope.categories)),
                regions=tuple(sorted(order.scope.regions)),
                condition=order.while_condition,
                automatic=order.authority_id == SYSTEM_AUTHORITY,
                exempted_by=tuple(
                    Exemption(
                        e.id, tuple(sorted(e.scope.categories)), tuple(sorted(e.scope.regions))
                    )
                    for e in carving
                ),
                requires=requires,
                met_by=met_by,
            )
        )
    return PartnerStanding(
        agency=agency,
        at=state.at,
        level=max((r.level for r in reasons), default=Level.OPEN),
        reasons=tuple(reasons),
        undertakings=tuple(u.id for u in active),
        needs_undertaking=agency.needs_undertaking,
    )


def _level(order: Order) -> Level:
    if order.effect == Effect.DENY:
        return Level.SUSPENDED
    if order.effect == Effect.HOLD:
        return Level.SUSPENDED if order.authority_id == SYSTEM_AUTHORITY else Level.HELD
    if order.effect == Effect.REQUIRE:
        return Level.CONDITIONAL
    return Level.HELD  # an effect the engine does not know holds (fail closed)
