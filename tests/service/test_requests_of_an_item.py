"""An item's requests: the listing narrowed to one item, and each request with the decision
that stands for it, for the console's item page."""

from __future__ import annotations

import pytest

from garante.domain.errors import ItemNotFound
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.tokens import Forbidden
from tests.service.orders import issue
from tests.support.scenario import scenario_bundle

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
LIAISON = Principal(token_id="t-li", role=Role.LIAISON, agency_id="dipol")


def _second_item(world: Garante) -> None:
    world.add_item(
        "route",
        title="Container route",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    )


def test_requests_of_one_item_leave_out_the_other_items(world: Garante) -> None:
    _second_item(world)
    lead = world.request_release("lead", recipient="dea", purpose="seizure").request
    world.request_release("route", recipient="dea", purpose="seizure")
    assert [r.id for r in world.requests(item="lead")] == [lead]


def test_a_partner_asking_for_an_items_requests_gets_only_its_own_releases(
    world: Garante,
) -> None:
    _second_item(world)
    own = world.request_release("lead", recipient="dea", purpose="seizure").request
    world.request_release("lead", recipient="fbi", purpose="seizure")
    world.request_release("route", recipient="dea", purpose="seizure")
    world.request_release("lead", recipient="dea", purpose="lethal-force")  # denied
    assert [r.id for r in world.acting_as(DEA).requests(item="lead")] == [own]


def test_an_items_requests_carry_the_decision_that_stands(world: Garante) -> None:
    request_id = world.request_release("lead", recipient="dea", purpose="seizure").request
    issue(world, "hold")
    [shown] = world.item_requests("lead")
    newest = world.decisions(request_id)[-1]
    assert (shown.id, shown.outcome, shown.delivery) == (request_id, "released", "withheld")
    assert (shown.explanation, shown.rules, shown.trigger) == (
        newest.explanation,
        newest.rules,
        newest.trigger,
    )


def test_a_held_request_of_an_item_says_which_order_holds_it(world: Garante) -> None:
    issue(world, "hold", order_id="us-hold")
    world.request_release("lead", recipient="dea", purpose="seizure")
    [shown] = world.item_requests("lead")
    assert shown.outcome == "held"
    assert "order:us-hold" in {hit.cites for hit in shown.rules}
    assert shown.trigger == "request"


def test_the_requests_of_an_unknown_item_are_item_not_found(world: Garante) -> None:
    with pytest.raises(ItemNotFound):
        world.item_requests("nope")


def test_a_liaison_officer_may_not_read_an_items_requests(world: Garante) -> None:
    with pytest.raises(Forbidden):
        world.acting_as(LIAISON).item_requests("lead")
