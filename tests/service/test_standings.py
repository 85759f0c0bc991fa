"""The service reads a partner's standing from the store, as the decision reads its snapshot."""

from __future__ import annotations

import pytest

from garante.domain.errors import AgencyNotFound
from garante.policy.standing import Level
from garante.service.app import Garante, Page
from tests.service.orders import issue


def test_an_order_issued_holds_the_partners_it_reaches(world: Garante) -> None:
    order = issue(world, "hold").value
    standing = world.standing("dea")
    assert standing.level == Level.HELD
    assert [r.order for r in standing.reasons] == [order.id]
    assert world.standing("nca").level == Level.OPEN


def test_a_lifted_order_no_longer_holds(world: Garante) -> None:
    order = issue(world, "hold").value
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    assert world.standing("dea").level == Level.OPEN


def test_an_order_while_an_inactive_derived_condition_holds_nothing(world: Garante) -> None:
    issue(world, "deny", while_condition="strikes")
    assert world.standing("dea").level == Level.OPEN


def test_the_standing_lists_the_active_undertakings(world: Garante) -> None:
    assert world.standing("nca").undertakings == tuple(u.id for u in world.undertakings("nca"))


def test_standings_cover_every_agency_by_id(world: Garante) -> None:
    assert [s.agency.id for s in world.standings()] == ["dea", "dipol", "fbi", "nca"]


def test_standings_page_by_agency_id(world: Garante) -> None:
    page = world.standings(Page(after="dipol", limit=1))
    assert [s.agency.id for s in page] == ["fbi"]


def test_an_unknown_agency_has_no_standing(world: Garante) -> None:
    with pytest.raises(AgencyNotFound) as refused:
        world.standing("dae")
    assert refused.value.field == "agency_id"
