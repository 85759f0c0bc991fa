"""OrderIndex: each order is filed under one dimension of its scope and found through it.

The index must neither miss an order whose scope matches nor hand one over twice; decisions
made through it must equal those made by looking at every order.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.domain import Order, Outcome
from garante.policy import OrderIndex, decide
from tests.policy.policy_builders import AT, cited, days, decide_for, order, scope, undertaking
from tests.policy.policy_strategies import (
    AGENCY_IDS,
    CATEGORIES,
    COUNTRIES,
    REGIONS,
    World,
    order_strategy,
    worlds,
)

DEA = {"agency": "dea", "country": "US", "category": "drug-trafficking", "region": "caribbean"}
FBI_PACIFIC = {"agency": "fbi", "country": "GB", "category": "terrorism", "region": "pacific"}


class BruteForceOrders(OrderIndex):
    """The reference: every non-exemption order is a candidate; exemptions found by scanning."""

    def __init__(self, orders: list[Order]) -> None:
        super().__init__(orders)
        self._orders = sorted(orders, key=lambda o: (o.sequence, o.id))

    def candidates(self, **_request: str) -> list[Order]:
        return [o for o in self._orders if o.effect != "exempt"]

    def exemptions_for(self, order_id: str) -> list[Order]:
        return [o for o in self._orders if o.effect == "exempt" and order_id in o.exempts]


def ids(orders: list[Order]) -> list[str]:
    return [o.id for o in orders]


FILED_UNDER = {
    "agencies": scope(agencies=["dea"]),
    "countries": scope(countries=["US"]),
    "categories": scope(categories=["drug-trafficking"]),
    "regions": scope(regions=["caribbean"]),
    "any": scope(),
}


@pytest.mark.parametrize("dimension", FILED_UNDER)
def test_order_is_found_through_the_dimension_it_is_filed_under(dimension: str) -> None:
    index = OrderIndex([order("o-1", scope=FILED_UNDER[dimension])])
    assert ids(index.candidates(**DEA)) == ["o-1"]


@pytest.mark.parametrize("dimension", [d for d in FILED_UNDER if d != "any"])
def test_order_is_not_a_candidate_for_a_request_outside_its_filed_dimension(
    dimension: str,
) -> None:
    index = OrderIndex([order("o-1", scope=FILED_UNDER[dimension])])
    assert index.candidates(**FBI_PACIFIC) == []


@pytest.mark.parametrize("dimension", FILED_UNDER)
def test_order_filed_under_any_dimension_holds_the_request(dimension: str) -> None:
    decision = decide_for("dea", orders=[order("o-1", effect="hold", scope=FILED_UNDER[dimension])])
    assert decision.outcome == Outcome.HELD
    assert cited(decision) == ["order:o-1"]


def test_order_filed_under_its_first_dimension_is_still_checked_on_the_others() -> None:
    agency_but_not_region = scope(agencies=["dea"], regions=["pacific"])
    index = OrderIndex([order("o-1", effect="hold", scope=agency_but_not_region)])
    assert ids(index.candidates(**DEA)) == ["o-1"]
    decision = decide_for("dea", orders=list(index), undertakings=[undertaking()])
    assert decision.outcome == Outcome.RELEASED


def test_order_matching_in_every_dimension_is_a_candidate_once() -> None:
    everywhere = scope(
        agencies=["dea", "fbi"],
        countries=["US", "GB"],
        categories=["drug-trafficking", "terrorism"],
        regions=["caribbean", "pacific"],
    )
    index = OrderIndex([order("o-1", scope=everywhere)])
    assert ids(index.candidates(**DEA)) == ["o-1"]


def test_request_never_gets_an_order_cited_twice() -> None:
    everywhere = scope(agencies=["dea"], countries=["US"], regions=["caribbean", "pacific"])
    decision = decide_for("dea", orders=[order("o-1", effect="hold", scope=everywhere)])
    assert cited(decision) == ["order:o-1"]


def test_candidates_come_in_issue_order_whatever_the_input_order() -> None:
    filed = [
        order("late", scope=scope(regions=["caribbean"]), sequence=3),
        order("early", scope=scope(agencies=["dea"]), sequence=1),
        order("middle-b", scope=scope(), sequence=2),
        order("middle-a", scope=scope(countries=["US"]), sequence=2),
    ]
    assert ids(OrderIndex(filed).candidates(**DEA)) == ["early", "middle-a", "middle-b", "late"]


def test_exemptions_are_not_candidates_but_are_found_by_the_order_they_exempt() -> None:
    exemption = order("o-x", effect="exempt", exempts=["o-1", "o-2"])
    index = OrderIndex([order("o-1"), exemption])
    assert ids(index.candidates(**DEA)) == ["o-1"]
    assert index.exemptions_for("o-1") == [exemption]
    assert index.exemptions_for("o-2") == [exemption]
    assert index.exemptions_for("o-3") == []


def test_index_holds_every_order_by_id() -> None:
    filed = [order("o-1"), order("o-x", effect="exempt", exempts=["o-1"])]
    index = OrderIndex(filed)
    assert len(index) == 2
    assert index.get("o-x") == filed[1]
    assert index.get("nope") is None
    assert sorted(ids(list(index))) == ["o-1", "o-x"]


def test_index_at_an_instant_files_only_orders_in_force_then() -> None:
    filed = [
        order("current", valid_from=days(-1)),
        order("future", valid_from=days(1)),
        order("expired", valid_until=days(-0.5)),
        order("lifted", lifted_at=AT),
        order("x-future", effect="exempt", exempts=["current"], valid_from=days(1)),
    ]
    index = OrderIndex(filed, at=AT)
    assert ids(index.candidates(**DEA)) == ["current"]
    assert index.exemptions_for("current") == []


def test_index_at_an_instant_still_knows_every_order_by_id() -> None:
    filed = [order("current"), order("future", valid_from=days(1))]
    index = OrderIndex(filed, at=AT)
    assert len(index) == 2
    assert index.get("future") == filed[1]


# --- against brute force --------------------------------------------------------------------

requests_dims = st.fixed_dictionaries(
    {
        "agency": st.sampled_from((*AGENCY_IDS, "stranger")),
        "country": st.sampled_from(COUNTRIES),
        "category": st.sampled_from(CATEGORIES),
        "region": st.sampled_from(REGIONS),
    }
)
random_orders = st.lists(
    order_strategy(st.sampled_from([f"o{n}" for n in range(10)])),
    max_size=8,
    unique_by=lambda o: o.id,
)


@settings(max_examples=200, deadline=None)
@given(some_orders=random_orders, request=requests_dims)
def test_index_finds_exactly_the_orders_whose_scope_matches(
    some_orders: list[Order], request: dict[str, str]
) -> None:
    found = OrderIndex(some_orders).candidates(**request)
    brute = [
        o
        for o in sorted(some_orders, key=lambda o: (o.sequence, o.id))
        if o.effect != "exempt" and o.scope.matches(**request)
    ]
    assert len(ids(found)) == len(set(ids(found))), "an order was handed over twice"
    assert [o for o in found if o.scope.matches(**request)] == brute
    assert found == sorted(found, key=lambda o: (o.sequence, o.id))


@settings(max_examples=200, deadline=None)
@given(world=worlds())
def test_decisions_through_the_index_equal_decisions_over_all_orders(world: World) -> None:
    indexed = world.state()
    brute = replace(indexed, orders=BruteForceOrders(list(world.orders)))
    assert decide(world.request, indexed) == decide(world.request, brute)
