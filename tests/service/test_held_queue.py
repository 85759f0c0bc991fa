"""The held queue is decided again, in the same transaction, whenever something relevant changes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from garante.domain.errors import InvalidState, ValidationError
from garante.domain.order import Requirement, Scope
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.schema import OrderVersionRow
from tests.service.orders import issue
from tests.support.scenario import scenario_bundle


def test_hold_order_holds_new_requests_in_scope(world: Garante) -> None:
    issue(world, "hold")
    assert world.request_release("lead", recipient="dea", purpose="seizure").outcome == "held"


def test_hold_order_does_not_touch_partners_outside_its_scope(world: Garante) -> None:
    issue(world, "hold")
    assert world.request_release("lead", recipient="nca", purpose="seizure").outcome == "released"


def test_lifting_an_order_releases_what_it_held(world: Garante) -> None:
    order = issue(world, "hold").value
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    change = world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    assert [(m.request, m.previous, m.outcome) for m in change.moved] == [
        (held.request, "held", "released")
    ]
    assert world.held_queue() == []


def test_every_redecision_is_stored_with_its_trigger(world: Garante) -> None:
    order = issue(world, "hold").value
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    history = world.decisions(held.request)
    assert [(d.outcome, d.trigger) for d in history] == [
        ("held", "request"),
        ("released", f"order {order.id} lifted"),
    ]
    assert history[1].state_version > history[0].state_version


def test_amending_to_require_releases_once_the_undertaking_is_signed(world: Garante) -> None:
    order = issue(world, "hold").value
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    amended = world.draft_amendment(
        order.id,
        authority_id="presidency",
        effect="require",
        requires=_clauses(),
    ).order
    change = world.amend_order(amended, authority_id="presidency", signature=None)
    assert change.value.version == 2
    assert [m.outcome for m in change.moved] == ["held"]
    terms = world.draft_undertaking(
        "dea", permits=["seizure"], prohibits=["lethal-force"], protections=["protection-of-life"]
    )
    signed = world.record_undertaking(terms, signature=None)
    assert [(m.request, m.outcome, m.undertaking) for m in signed.moved] == [
        (held.request, "released", terms.id)
    ]


def test_an_undertaking_moves_only_its_own_agencys_requests(world: Garante) -> None:
    issue(world, "require", requires={"prohibits": ["lethal-force"]})
    world.request_release("lead", recipient="dea", purpose="seizure")
    fbi = world.request_release("lead", recipient="fbi", purpose="seizure")
    terms = world.draft_undertaking("dea", permits=["seizure"], prohibits=["lethal-force"])
    moved = world.record_undertaking(terms, signature=None).moved
    assert fbi.request not in [m.request for m in moved]


def test_exemption_releases_held_requests_inside_its_scope_only(world: Garante) -> None:
    world.add_item(
        "joint",
        title="Joint casework",
        category="joint-casework",
        region="domestic",
        tlp="amber",
        originator="dipol",
        bundle=_bundle(),
    )
    order = issue(world, "hold").value
    joint = world.request_release("joint", recipient="fbi", purpose="arrest")
    other = world.request_release("lead", recipient="fbi", purpose="arrest")
    exemption = issue(
        world,
        "exempt",
        exempts=[order.id],
        scope=Scope(agencies=frozenset({"fbi"}), categories=frozenset({"joint-casework"})),
    )
    assert [(m.request, m.outcome) for m in exemption.moved] == [(joint.request, "released")]
    assert [r.id for r in world.held_queue()] == [other.request]


def test_amendment_keeps_every_signed_version(world: Garante) -> None:
    order = issue(world, "hold").value
    amended = world.draft_amendment(
        order.id,
        authority_id="presidency",
        reason="narrowed",
        scope=Scope(agencies=frozenset({"fbi"})),
    ).order
    world.amend_order(amended, authority_id="presidency", signature=None)
    with world.sessions() as session:
        versions = session.scalars(
            select(OrderVersionRow.version).where(OrderVersionRow.order_id == order.id)
        ).all()
    assert sorted(versions) == [1, 2]


def test_lifting_a_lifted_order_is_refused(world: Garante) -> None:
    order = issue(world, "hold").value
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    with pytest.raises(InvalidState):
        world.lift_order(order.id, authority_id="presidency", reason="again", signature=None)


def test_order_on_a_derived_condition_holds_while_events_persist(
    world: Garante, clock: FixedClock
) -> None:
    world.record_event(
        kind="vessel-strike", region="caribbean", occurred_at=clock.now(), agency_id="dipol"
    )
    issue(world, "hold", while_condition="strikes")
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    assert held.outcome == "held"
    clock.set(clock.now() + timedelta(days=31))
    change = world.refresh_conditions()
    assert [c.active for c in change.value] == [False]
    assert [(m.request, m.outcome) for m in change.moved] == [(held.request, "released")]


def test_condition_refresh_without_change_moves_nothing(world: Garante, clock: FixedClock) -> None:
    world.record_event(
        kind="vessel-strike", region="caribbean", occurred_at=clock.now(), agency_id="dipol"
    )
    issue(world, "hold", while_condition="strikes")
    world.request_release("lead", recipient="dea", purpose="seizure")
    before = world.ledger_size()
    clock.set(clock.now() + timedelta(days=29))
    assert world.refresh_conditions().moved == []
    assert world.ledger_size() == before


def test_a_refresh_that_changes_nothing_does_not_wait_for_the_writer_lock(
    world: Garante,
) -> None:
    """Servers refresh every second; one that finds nothing changed must not queue writers."""
    with ThreadPoolExecutor(1) as pool, world.sessions() as session, session.begin():
        session.connection()  # another writer holds the lock until this block ends
        change = pool.submit(world.refresh_conditions).result(timeout=10)
    assert change.moved == []


def test_event_in_the_future_is_refused(world: Garante, clock: FixedClock) -> None:
    with pytest.raises(ValidationError) as raised:
        world.record_event(
            kind="vessel-strike",
            region="caribbean",
            occurred_at=clock.now() + timedelta(hours=1),
            agency_id="dipol",
        )
    assert raised.value.field == "occurred_at"


def test_held_queue_says_why_and_since_when(world: Garante, clock: FixedClock) -> None:
    issue(world, "hold")
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + timedelta(hours=5))
    [entry] = world.held_queue()
    assert entry.held_for_seconds == 5 * 3600
    assert entry.reason.startswith("Held: order order-1 (hold, issued by presidency)")


def test_held_queue_gives_each_request_the_reason_of_its_newest_decision(world: Garante) -> None:
    order = issue(world, "hold").value
    first = world.request_release("lead", recipient="dea", purpose="seizure")
    amended = world.draft_amendment(
        order.id, authority_id="presidency", effect="require", requires=_clauses()
    ).order
    world.amend_order(amended, authority_id="presidency", signature=None)
    second = world.request_release("lead", recipient="fbi", purpose="seizure")
    queue = world.held_queue()
    assert [entry.id for entry in queue] == [first.request, second.request]
    for entry in queue:
        newest = world.decisions(entry.id)[-1]
        assert entry.reason == newest.explanation
        assert "requires an undertaking" in entry.reason


def test_held_queue_shows_each_request_as_the_request_itself_is_shown(world: Garante) -> None:
    issue(world, "hold")
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    [entry] = world.held_queue()
    shown = world.request(held.request)
    assert {
        f.name: getattr(entry, f.name) for f in dataclasses.fields(shown)
    } == dataclasses.asdict(shown)


def _clauses() -> Requirement:
    return Requirement(
        prohibits=frozenset({"lethal-force"}), protections=frozenset({"protection-of-life"})
    )


def _bundle() -> dict[str, object]:
    return scenario_bundle("co-2025-0440")
