"""An item's embargo and expiry: nothing leaves before the embargo ends, nothing more after it
expires, and the clock moves the held queue and the feeds when either comes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from garante import records
from garante.domain.errors import ValidationError
from garante.domain.order import Scope
from garante.domain.timeutil import iso
from garante.service import windows
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.feed import FeedQuery
from tests.service.orders import issue
from tests.support.scenario import scenario_bundle

HOUR = timedelta(hours=1)


def _add(
    world: Garante,
    item_id: str,
    *,
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
) -> records.Item:
    return world.add_item(
        item_id,
        title=f"Item {item_id}",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle("co-2025-0422"),
        embargo_until=embargo_until,
        expires_at=expires_at,
    ).value


def _objects(world: Garante, partner: str) -> list[dict[str, Any]]:
    rows, _ = world.feed_page(FeedQuery(partner_id=partner))
    return [json.loads(row.body) for row in rows]


def _reports(world: Garante, partner: str) -> list[dict[str, Any]]:
    return [o for o in _objects(world, partner) if o["type"] == "report"]


def test_an_item_keeps_its_embargo_and_expiry(world: Garante, clock: FixedClock) -> None:
    item = _add(world, "w", embargo_until=clock.now() + HOUR, expires_at=clock.now() + 9 * HOUR)
    assert (item.embargo_until, item.expires_at) == (
        iso(clock.now() + HOUR),
        iso(clock.now() + 9 * HOUR),
    )
    assert world.item("w") == item


def test_a_request_before_the_embargo_ends_is_held_with_that_reason(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR)
    decided = world.request_release("w", recipient="dea", purpose="seizure")
    assert decided.outcome == "held"
    assert [r.rule for r in decided.rules] == ["2.embargo"]
    assert _objects(world, "dea") == []


def test_when_the_embargo_ends_the_clock_releases_what_it_held(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR)
    held = world.request_release("w", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    change = world.apply_item_windows()
    assert change.value == (
        records.WindowPassed(item="w", at=iso(clock.now() - HOUR), expired=False),
    )
    assert [(m.request, m.outcome) for m in change.moved] == [(held.request, "released")]
    assert world.decisions(held.request)[-1].trigger.startswith("item w embargo ended at")
    assert world.held_queue() == []
    assert len(_reports(world, "dea")) == 1


def test_at_the_embargos_end_a_request_still_held_shows_what_holds_it_now(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR)
    issue(world, "hold", scope=Scope(agencies=frozenset({"dea"})))
    held = world.request_release("w", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    world.apply_item_windows()
    [queued] = world.held_queue()
    assert queued.id == held.request
    rules = [r.rule for r in world.decisions(held.request)[-1].rules]
    assert "2.embargo" not in rules and rules != []


def test_applying_windows_again_stores_nothing(world: Garante, clock: FixedClock) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR, expires_at=clock.now() + 3 * HOUR)
    world.request_release("w", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 5 * HOUR)
    world.apply_item_windows()
    size = world.ledger_size()
    assert world.apply_item_windows().value == ()
    assert world.ledger_size() == size


def test_a_request_after_expiry_is_denied(world: Garante, clock: FixedClock) -> None:
    _add(world, "w", expires_at=clock.now() + HOUR)
    clock.set(clock.now() + 2 * HOUR)
    decided = world.request_release("w", recipient="dea", purpose="seizure")
    assert (decided.outcome, [r.rule for r in decided.rules]) == ("denied", ["2.expired"])


def test_expiry_sends_revoked_versions_to_exactly_the_partners_that_received_it(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", expires_at=clock.now() + HOUR)
    world.request_release("w", recipient="dea", purpose="seizure")
    world.request_release("w", recipient="nca", purpose="seizure")
    [delivered] = _reports(world, "dea")  # the DEA fetched it; the NCA never did
    clock.set(clock.now() + 2 * HOUR)
    [passed] = world.apply_item_windows().value
    assert passed.expired and len(passed.recalled) == 2
    [revoked] = [r for r in _reports(world, "dea") if r["id"] == delivered["id"]]
    assert revoked["revoked"] is True
    assert _reports(world, "nca") == []
    assert _reports(world, "fbi") == []


def test_a_partner_pulling_after_expiry_before_any_tick_gets_nothing_new(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", expires_at=clock.now() + HOUR)
    world.request_release("w", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 2 * HOUR)
    assert _reports(world, "dea") == []


def test_expiry_denies_what_was_still_held(world: Garante, clock: FixedClock) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR, expires_at=clock.now() + 2 * HOUR)
    held = world.request_release("w", recipient="dea", purpose="seizure")
    clock.set(clock.now() + 3 * HOUR)
    world.apply_item_windows()
    assert world.decisions(held.request)[-1].outcome == "denied"
    assert world.held_queue() == []


def test_an_expiry_already_past_is_refused(world: Garante, clock: FixedClock) -> None:
    with pytest.raises(ValidationError, match="not in the future") as caught:
        _add(world, "w", expires_at=clock.now() - HOUR)
    assert caught.value.field == "expires_at"


def test_an_expiry_before_the_embargo_ends_is_refused(world: Garante, clock: FixedClock) -> None:
    with pytest.raises(ValidationError, match="not after embargo_until"):
        _add(world, "w", embargo_until=clock.now() + 2 * HOUR, expires_at=clock.now() + HOUR)


def _agreement(world: Garante, partner: str) -> None:
    world.make_agreement(world.draft_agreement(partner, purposes=["seizure"], tlp_ceiling="amber"))


def test_an_agreement_made_during_the_embargo_asks_when_it_ends(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", embargo_until=clock.now() + HOUR)
    _agreement(world, "dea")
    clock.set(clock.now() + 2 * HOUR)
    change = world.apply_item_windows()
    assert [(d.recipient, d.purpose, d.outcome) for d in change.started] == [
        ("dea", "seizure", "released")
    ]


def test_an_agreement_that_asked_at_the_add_is_released_at_the_end_not_asked_twice(
    world: Garante, clock: FixedClock
) -> None:
    _agreement(world, "dea")
    started = world.add_item(
        "w",
        title="Item w",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle("co-2025-0422"),
        embargo_until=clock.now() + HOUR,
    ).started
    assert [(d.recipient, d.outcome) for d in started] == [("dea", "held")]
    clock.set(clock.now() + 2 * HOUR)
    change = world.apply_item_windows()
    assert change.started == []
    assert [(m.request, m.outcome) for m in change.moved] == [(started[0].request, "released")]


def test_expiry_withdraws_two_releases_of_the_item_to_one_partner(
    world: Garante, clock: FixedClock
) -> None:
    _add(world, "w", expires_at=clock.now() + HOUR)
    world.request_release("w", recipient="dea", purpose="seizure")
    world.request_release("w", recipient="dea", purpose="arrest")
    [delivered] = _reports(world, "dea")
    clock.set(clock.now() + 2 * HOUR)
    [passed] = world.apply_item_windows().value
    assert len(passed.recalled) == 2
    versions = [r for r in _reports(world, "dea") if r["id"] == delivered["id"]]
    assert [r.get("revoked", False) for r in versions] == [True]


def test_a_delivering_page_with_no_window_due_seeks_the_items_by_index(
    world: Garante, clock: FixedClock, backend: str
) -> None:
    """Every page that delivers applies the windows the clock passed; with none due, that
    costs index probes that find nothing, never a read of every item."""
    if backend != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL plans a table this small by its size")
    for n in range(3):
        _add(
            world, f"later-{n}", embargo_until=clock.now() + HOUR, expires_at=clock.now() + 9 * HOUR
        )
    with world.context.writes("test") as tx:
        windows.apply_item_windows(tx)  # the first run: nothing applied before
    clock.set(clock.now() + timedelta(minutes=1))
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if "FROM items" in " ".join(statement.split()):
            seen.append((statement, parameters))

    event.listen(world.engine, "before_cursor_execute", record)
    try:
        with world.context.writes("test") as tx:
            applied = windows.apply_item_windows(tx)
    finally:
        event.remove(world.engine, "before_cursor_execute", record)
    assert applied.passed == [] and len(seen) == 2  # embargo ends, expiries
    with world.engine.connect() as connection:
        for statement, parameters in seen:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            steps = [str(step[-1]) for step in plan]
            assert any("USING INDEX" in step for step in steps), steps
            assert not any(step.startswith("SCAN items") for step in steps), steps
