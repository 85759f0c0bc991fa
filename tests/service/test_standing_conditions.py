"""Conditions and the events they count are kept per process (``store.standing_conditions``)
while none changes: whatever another instance commits on the same store, or the clock moves,
holds at the next release here."""

from __future__ import annotations

from datetime import timedelta

from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store import queries
from tests.service.conditions import set_signed
from tests.service.orders import issue


def _release(garante: Garante) -> str:
    outcome: str = garante.request_release("lead", recipient="dea", purpose="seizure").outcome
    return outcome


def _strike(garante: Garante) -> None:
    garante.record_event(
        kind="vessel-strike",
        region="caribbean",
        occurred_at=garante.clock.now(),
        agency_id="dipol",
    )


def test_an_event_another_instance_records_holds_the_next_release_here(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    issue(world, "hold", while_condition="strikes")
    assert _release(world) == "released"  # no strike yet: conditions kept as of now
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        _strike(other)
    finally:
        other.close()
    assert _release(world) == "held"


def test_a_condition_another_instance_sets_holds_the_next_release_here(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    world.define_condition("talks", description="talks go on", active=False, evidence="none")
    issue(world, "hold", while_condition="talks")
    assert _release(world) == "released"  # talks not on: conditions kept as of now
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        set_signed(other, "talks", active=True, evidence="opened")
    finally:
        other.close()
    assert _release(world) == "held"


def test_an_event_leaving_the_window_stops_counting_though_nothing_changed(
    world: Garante, clock: FixedClock
) -> None:
    issue(world, "hold", while_condition="strikes")
    _strike(world)
    assert _release(world) == "held"  # the strike counted: conditions kept as of now
    clock.set(clock.now() + timedelta(days=31))
    assert _release(world) == "released"


def test_an_instant_before_the_kept_one_is_read_again(world: Garante, clock: FixedClock) -> None:
    """What is kept answers instants from the one it was read at on; an earlier one (a
    snapshot of the past) is read from the store."""
    start = clock.now()
    clock.set(start + timedelta(days=1))
    _strike(world)
    assert _release(world) == "released"  # no order: conditions kept as of the strike's day
    with world.sessions() as session, session.begin():
        assert queries.conditions_at(session, start) == {"strikes": False}
        assert queries.conditions_at(session, clock.now()) == {"strikes": True}
