"""A condition change that starts or stops orders is logged with its proof: the events its rule
counts, and the orders in force while it holds."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from garante.service.app import Garante
from garante.service.clock import FixedClock
from tests.service.conditions import set_signed
from tests.service.orders import issue


def _changes(world: Garante, start: int) -> list[dict[str, Any]]:
    entries = world.entries(start, world.ledger_size())
    return [json.loads(e.entry)["data"] for e in entries if e.kind == "condition.changed"]


def _strike(world: Garante, days_ago: int = 0) -> int:
    at = world.clock.now() - timedelta(days=days_ago)
    change = world.record_event(
        kind="vessel-strike", region="caribbean", occurred_at=at, agency_id="dipol"
    )
    event: int = change.value.id
    return event


def test_a_derived_flip_names_the_events_counted_and_the_orders_it_starts(
    world: Garante,
) -> None:
    hold = issue(world, "hold", while_condition="strikes").value.id
    lifted = issue(world, "hold", while_condition="strikes").value.id  # not in force: unnamed
    world.lift_order(lifted, authority_id="presidency", reason="over", signature=None)
    old = _strike(world, days_ago=40)  # outside the 30-day window: not counted
    before = world.ledger_size()
    new = _strike(world)
    [change] = _changes(world, before)
    assert old != new
    assert (change["active"], change["events"], change["orders"]) == (True, [new], [hold])
    assert change["evidence"] == "re-evaluated from events"


def test_a_derived_lapse_names_the_orders_it_stops_and_counts_no_events(
    world: Garante, clock: FixedClock
) -> None:
    hold = issue(world, "hold", while_condition="strikes").value.id
    _strike(world)
    clock.set(clock.now() + timedelta(days=31))
    before = world.ledger_size()
    world.refresh_conditions()
    [change] = _changes(world, before)
    assert (change["active"], change["events"], change["orders"]) == (False, [], [hold])


def test_a_hand_set_change_names_the_orders_it_stops(world: Garante) -> None:
    world.define_condition("talks", description="talks go on", active=True, evidence="opened")
    hold = issue(world, "hold", while_condition="talks").value.id
    before = world.ledger_size()
    statement = set_signed(world, "talks", active=False, evidence="ended")
    [change] = _changes(world, before)
    assert (change["active"], change["events"], change["orders"]) == (False, [], [hold])
    assert change["statement"] == statement


def test_a_hand_set_that_changes_nothing_starts_or_stops_no_order(world: Garante) -> None:
    world.define_condition("talks", description="talks go on", active=True, evidence="opened")
    issue(world, "hold", while_condition="talks")
    before = world.ledger_size()
    set_signed(world, "talks", active=True, evidence="still on")
    [change] = _changes(world, before)
    assert (change["events"], change["orders"]) == ([], [])
