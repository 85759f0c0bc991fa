"""Orders that begin or end by the clock move the held queue and the feeds when the time comes."""

from __future__ import annotations

import json
from datetime import timedelta

from garante import records
from garante.domain.order import Scope
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.feed import FeedQuery
from tests.service.orders import issue

HOUR = timedelta(hours=1)
DEA = Scope(agencies=frozenset({"dea"}))


def _reports(garante: Garante, partner: str) -> list[dict[str, object]]:
    rows, _ = garante.feed_page(FeedQuery(partner_id=partner))
    return [body for row in rows if (body := json.loads(row.body))["type"] == "report"]


def test_a_hold_signed_for_later_does_not_hold_before_its_start(
    world: Garante, clock: FixedClock
) -> None:
    issue(world, "hold", scope=DEA, valid_from=clock.now() + HOUR)
    assert world.request_release("lead", recipient="dea", purpose="seizure").outcome == ("released")


def test_once_a_hold_comes_into_force_undelivered_releases_are_withheld(
    world: Garante, clock: FixedClock
) -> None:
    issue(world, "hold", scope=DEA, valid_from=clock.now() + HOUR)
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    world.apply_order_periods()
    assert _reports(world, "dea") == []


def test_a_partner_pulling_before_any_tick_is_already_refused_what_a_started_hold_covers(
    world: Garante, clock: FixedClock
) -> None:
    """No server tick between the start and the pull: the delivering read applies it itself."""
    issue(world, "hold", scope=DEA, valid_from=clock.now() + HOUR)
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    assert _reports(world, "dea") == []


def test_when_a_holds_period_ends_what_it_held_is_released(
    world: Garante, clock: FixedClock
) -> None:
    order = issue(world, "hold", scope=DEA, valid_until=clock.now() + HOUR).value
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    change = world.apply_order_periods()
    assert change.value == (
        records.Boundary(order=order.id, at=str(order.valid_until), began=False),
    )
    assert [(m.request, m.outcome) for m in change.moved] == [(held.request, "released")]
    [_, released] = world.decisions(held.request)
    assert released.trigger == f"order {order.id} period ended"
    assert world.held_queue() == []


def test_applying_periods_again_stores_nothing(world: Garante, clock: FixedClock) -> None:
    issue(world, "hold", scope=DEA, valid_until=clock.now() + HOUR)
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    world.apply_order_periods()
    size = world.ledger_size()
    assert world.apply_order_periods().moved == []
    assert world.ledger_size() == size


def test_a_request_still_held_by_another_order_gets_no_new_decision(
    world: Garante, clock: FixedClock
) -> None:
    issue(world, "hold", scope=DEA, valid_until=clock.now() + HOUR)
    issue(world, "hold", scope=DEA)
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    assert world.apply_order_periods().moved == []
    assert len(world.decisions(held.request)) == 1


def test_an_order_lifted_before_its_end_is_not_ended_again(
    world: Garante, clock: FixedClock
) -> None:
    order = issue(world, "hold", scope=DEA, valid_until=clock.now() + 2 * HOUR).value
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    clock.set(clock.now() + 3 * HOUR)
    assert world.apply_order_periods().value == ()


def test_a_boundary_already_passed_when_the_order_was_signed_is_not_applied(
    world: Garante, clock: FixedClock
) -> None:
    """Signing re-decided what the order covers at that moment; its start is behind it."""
    issue(world, "hold", scope=DEA, valid_from=clock.now() - HOUR)
    clock.set(clock.now() + HOUR)
    assert world.apply_order_periods().value == ()


def test_partners_outside_the_orders_scope_are_not_touched(
    world: Garante, clock: FixedClock
) -> None:
    issue(world, "hold", scope=DEA, valid_from=clock.now() + HOUR)
    world.request_release("lead", recipient="fbi", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    world.apply_order_periods()
    assert len(_reports(world, "fbi")) == 1
