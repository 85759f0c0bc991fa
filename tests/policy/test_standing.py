"""Partner standing: the worst order in force that reaches a partner decides it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest

from garante.domain import Agency, Order, Undertaking
from garante.domain.errors import AgencyNotFound
from garante.policy.standing import Level, PartnerStanding, standing, standings
from tests.policy.policy_builders import (
    AT,
    days,
    domestic,
    foreign,
    order,
    requirement,
    scope,
    state,
    undertaking,
)

NOW = AT
DEA = foreign("dea", country="US")
DIPOL = domestic("dipol")


def _order(order_id: str = "o1", **terms: Any) -> Order:
    """A hold on the US by the presidency, issued first, unless ``terms`` say otherwise."""
    defaults: dict[str, Any] = {
        "effect": "hold",
        "scope": scope(countries=["US"]),
        "valid_from": days(-2),
        "sequence": 1,
    }
    return order(order_id, **{**defaults, **terms})


def _undertaking(
    uid: str = "u1",
    *,
    prohibits: Iterable[str] = (),
    protections: Iterable[str] = (),
    **terms: Any,
) -> Undertaking:
    return undertaking(uid, agency_id="dea", prohibits=prohibits, protections=protections, **terms)


def _status(
    orders: list[Order],
    agency: Agency = DEA,
    conditions: dict[str, bool] | None = None,
    undertakings: list[Undertaking] | None = None,
) -> PartnerStanding:
    snapshot = state(
        agencies=[agency],
        orders=orders,
        conditions=conditions or {},
        undertakings=undertakings or [],
        at=NOW,
    )
    return standing(snapshot, agency.id)


def test_no_order_is_open() -> None:
    assert _status([]).level == Level.OPEN


@pytest.mark.parametrize(
    ("effect", "level"),
    [("deny", Level.SUSPENDED), ("hold", Level.HELD), ("require", Level.CONDITIONAL)],
)
def test_effect_gives_level(effect: str, level: Level) -> None:
    requires = requirement(prohibits=["lethal-force"]) if effect == "require" else None
    assert _status([_order(effect=effect, requires=requires)]).level == level


def test_an_unknown_effect_holds() -> None:
    assert _status([_order(effect="pause")]).level == Level.HELD


def test_the_automatic_breach_hold_suspends() -> None:
    status = _status([_order(authority_id="garante-system", scope=scope(agencies=["dea"]))])
    assert status.level == Level.SUSPENDED
    assert status.reasons[0].automatic


def test_the_worst_order_wins() -> None:
    orders = [_order("a", effect="require", requires=requirement(prohibits=["lethal-force"]))]
    orders.append(_order("b", effect="deny", sequence=2))
    assert _status(orders).level == Level.SUSPENDED
    assert [r.order for r in _status(orders).reasons] == ["a", "b"]


def test_an_order_for_another_country_does_not_reach() -> None:
    assert _status([_order()], agency=DIPOL).level == Level.OPEN


def test_an_order_for_other_agencies_does_not_reach() -> None:
    assert _status([_order(scope=scope(agencies=["fbi"]))]).level == Level.OPEN


def test_an_order_scoped_to_categories_says_which() -> None:
    status = _status([_order(scope=scope(countries=["US"], categories=["terrorism"]))])
    assert status.level == Level.HELD
    assert status.reasons[0].categories == ("terrorism",)


@pytest.mark.parametrize(
    ("terms", "in_force"),
    [
        ({"valid_from": NOW + timedelta(hours=1)}, False),
        ({"valid_until": NOW - timedelta(hours=1)}, False),
        ({"lifted_at": NOW - timedelta(hours=1)}, False),
        ({"valid_until": NOW + timedelta(hours=1)}, True),
    ],
)
def test_only_orders_in_their_window_count(terms: dict[str, Any], in_force: bool) -> None:
    assert (_status([_order(**terms)]).level == Level.HELD) is in_force


@pytest.mark.parametrize(
    ("conditions", "level"), [({"c": True}, Level.HELD), ({"c": False}, Level.OPEN)]
)
def test_an_order_while_a_condition_needs_it_active(
    conditions: dict[str, bool], level: Level
) -> None:
    assert _status([_order(while_condition="c")], conditions=conditions).level == level


def test_an_unknown_condition_counts_as_active() -> None:
    """Fail closed, as the decision does."""
    assert _status([_order(while_condition="unknown")]).level == Level.HELD


def test_an_exemption_for_everything_carves_the_order_out() -> None:
    exemption = _order("x", effect="exempt", exempts=["o1"], scope=scope(agencies=["dea"]))
    assert _status([_order(), exemption]).level == Level.OPEN


def test_a_partial_exemption_is_named_in_the_reason() -> None:
    exemption = _order(
        "x",
        effect="exempt",
        exempts=["o1"],
        scope=scope(agencies=["dea"], categories=["joint-casework"]),
    )
    status = _status([_order(), exemption])
    assert status.level == Level.HELD
    assert status.reasons[0].exempted_by == (("x", ("joint-casework",), ()),)


def test_a_require_order_names_the_undertakings_that_meet_it() -> None:
    order = _order(
        effect="require",
        requires=requirement(prohibits=["lethal-force"], protections=["protection-of-life"]),
    )
    meets = _undertaking("u2", prohibits=["lethal-force"], protections=["protection-of-life"])
    lacks = _undertaking("u1", protections=["protection-of-life"])
    revoked = _undertaking(
        "u3",
        prohibits=["lethal-force"],
        protections=["protection-of-life"],
        revoked_at=days(-12),
    )
    status = _status([order], undertakings=[lacks, meets, revoked])
    assert status.reasons[0].met_by == ("u2",)
    assert status.undertakings == ("u1", "u2")


def test_a_foreign_partner_without_undertakings_is_flagged() -> None:
    assert _status([]).needs_undertaking
    assert not _status([], agency=DIPOL).needs_undertaking


# -- beyond the console's summary: what the API serves too --------------------------------


def test_an_exemption_whose_condition_is_unknown_carves_nothing() -> None:
    """Fail closed: an exemption the state cannot judge stops nothing it would let through."""
    exemption = _order(
        "x", effect="exempt", exempts=["o1"], scope=scope(agencies=["dea"]), while_condition="?"
    )
    assert _status([_order(), exemption]).level == Level.HELD


def test_a_require_order_says_whether_it_is_met() -> None:
    require = _order(effect="require", requires=requirement(prohibits=["lethal-force"]))
    met = _status([require], undertakings=[_undertaking(prohibits=["lethal-force"])])
    unmet = _status([require], undertakings=[_undertaking()])
    assert (met.reasons[0].met, unmet.reasons[0].met) == (True, False)
    assert met.reasons[0].requires is not None
    assert met.reasons[0].requires.prohibits == ("lethal-force",)


def test_an_order_other_than_require_has_no_clauses() -> None:
    reason = _status([_order()]).reasons[0]
    assert (reason.requires, reason.met) == (None, None)


def test_every_agency_has_a_standing_in_id_order() -> None:
    snapshot = state(agencies=[foreign("fbi"), DIPOL, DEA], orders=[_order()])
    assert [(s.agency.id, s.level) for s in standings(snapshot)] == [
        ("dea", Level.HELD),
        ("dipol", Level.OPEN),
        ("fbi", Level.HELD),
    ]


def test_an_unknown_agency_has_no_standing() -> None:
    with pytest.raises(AgencyNotFound):
        standing(state(agencies=[DEA]), "dae")
