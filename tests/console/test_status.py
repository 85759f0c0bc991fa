"""The partner status summary: the worst order in force that reaches a partner decides it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from garante.console.status import Level, as_order, partner_status
from garante.domain.order import Order

NOW = datetime(2025, 11, 13, 23, tzinfo=UTC)
DEA = {"id": "dea", "country": "US", "domestic": False, "requires_undertaking": False}
DIPOL = {"id": "dipol", "country": "CO", "domestic": True, "requires_undertaking": False}


def _order(order_id: str = "o1", **terms: Any) -> Order:
    view: dict[str, Any] = {
        "id": order_id,
        "authority": "presidency",
        "effect": "hold",
        "scope": {"countries": ["US"]},
        "valid_from": "2025-11-11T21:00:00Z",
        "sequence": 1,
        **terms,
    }
    return as_order(view)


def _undertaking(uid: str = "u1", **terms: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "agency": "dea",
        "prohibits": [],
        "protections": [],
        "valid_from": "2025-01-01T00:00:00Z",
        "valid_until": None,
        "revoked_at": None,
        **terms,
    }


def _status(
    orders: list[Order],
    agency: dict[str, Any] = DEA,
    conditions: dict[str, bool] | None = None,
    undertakings: list[dict[str, Any]] | None = None,
) -> Any:
    return partner_status(
        agency,
        orders=orders,
        conditions=conditions or {},
        undertakings=undertakings or [],
        at=NOW,
    )


def test_no_order_is_open() -> None:
    assert _status([]).level == Level.OPEN


@pytest.mark.parametrize(
    ("effect", "level"),
    [("deny", Level.SUSPENDED), ("hold", Level.HELD), ("require", Level.CONDITIONAL)],
)
def test_effect_gives_level(effect: str, level: Level) -> None:
    requires = {"prohibits": ["lethal-force"]} if effect == "require" else {}
    assert _status([_order(effect=effect, requires=requires)]).level == level


def test_an_unknown_effect_holds() -> None:
    assert _status([_order(effect="pause")]).level == Level.HELD


def test_the_automatic_breach_hold_suspends() -> None:
    status = _status([_order(authority="garante-system", scope={"agencies": ["dea"]})])
    assert status.level == Level.SUSPENDED
    assert status.reasons[0].automatic


def test_the_worst_order_wins() -> None:
    orders = [_order("a", effect="require", requires={"prohibits": ["lethal-force"]})]
    orders.append(_order("b", effect="deny", sequence=2))
    assert _status(orders).level == Level.SUSPENDED
    assert [r.order for r in _status(orders).reasons] == ["a", "b"]


def test_an_order_for_another_country_does_not_reach() -> None:
    assert _status([_order()], agency=DIPOL).level == Level.OPEN


def test_an_order_for_other_agencies_does_not_reach() -> None:
    assert _status([_order(scope={"agencies": ["fbi"]})]).level == Level.OPEN


def test_an_order_scoped_to_categories_says_which() -> None:
    status = _status([_order(scope={"countries": ["US"], "categories": ["terrorism"]})])
    assert status.level == Level.HELD
    assert status.reasons[0].categories == ("terrorism",)


@pytest.mark.parametrize(
    ("terms", "in_force"),
    [
        ({"valid_from": (NOW + timedelta(hours=1)).isoformat()}, False),
        ({"valid_until": (NOW - timedelta(hours=1)).isoformat()}, False),
        ({"lifted_at": (NOW - timedelta(hours=1)).isoformat()}, False),
        ({"valid_until": (NOW + timedelta(hours=1)).isoformat()}, True),
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
    exemption = _order("x", effect="exempt", exempts=["o1"], scope={"agencies": ["dea"]})
    assert _status([_order(), exemption]).level == Level.OPEN


def test_a_partial_exemption_is_named_in_the_reason() -> None:
    exemption = _order(
        "x",
        effect="exempt",
        exempts=["o1"],
        scope={"agencies": ["dea"], "categories": ["joint-casework"]},
    )
    status = _status([_order(), exemption])
    assert status.level == Level.HELD
    assert status.reasons[0].exempted_by == (("x", ("joint-casework",), ()),)


def test_a_require_order_names_the_undertakings_that_meet_it() -> None:
    order = _order(
        effect="require",
        requires={"prohibits": ["lethal-force"], "protections": ["protection-of-life"]},
    )
    meets = _undertaking("u2", prohibits=["lethal-force"], protections=["protection-of-life"])
    lacks = _undertaking("u1", protections=["protection-of-life"])
    revoked = _undertaking("u3", **{**meets, "id": "u3", "revoked_at": "2025-11-01T00:00:00Z"})
    status = _status([order], undertakings=[lacks, meets, revoked])
    assert status.reasons[0].met_by == ("u2",)
    assert status.undertakings == ("u1", "u2")


def test_a_foreign_partner_without_undertakings_is_flagged() -> None:
    assert _status([]).needs_undertaking
    assert not _status([], agency=DIPOL).needs_undertaking
