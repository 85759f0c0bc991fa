"""Recalls acknowledged by a deadline, or the partner is held (issue 21): the deadline comes
from the recall act or from the agreement that started the release; past it unacknowledged,
the system holds the partner once per recall, an authority lifts it, and replay checks it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from garante.domain.acknowledgement import Acknowledgement
from garante.domain.errors import ValidationError
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.roles import Principal, Role
from garante.domain.timeutil import iso, parse_time
from garante.replay.entries import LoggedEntry
from garante.replay.replayer import Replayer
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.signatures import sign_statement
from garante.store.feed import FeedQuery
from tests.support.agreements import make_agreement


def _partner(world: Garante, agency: str = "nca") -> Garante:
    return world.acting_as(Principal(token_id=f"t-{agency}", role=Role.PARTNER, agency_id=agency))


def _delivered(world: Garante, to: str = "nca") -> int:
    decided = world.request_release("lead", recipient=to, purpose="seizure")
    _partner(world, to).feed_page(FeedQuery(partner_id=to))
    return decided.request


def _acknowledge(world: Garante, release: int) -> None:
    ack = Acknowledgement(
        id=f"ack-recall-{release}",
        kind="recall",
        request_id=release,
        agency_id="nca",
        acknowledged_at=world.clock.now().replace(microsecond=0),
    )
    signature = sign_statement(demo_key("nca"), ack.statement())
    _partner(world).acknowledge(ack, signature=signature)


def test_a_recall_act_sets_the_deadline_it_gives(world: Garante) -> None:
    release = _delivered(world)
    recalled = world.recall(release, reason="source compromised", ack_within="48h")
    due = world.clock.now().replace(microsecond=0) + timedelta(hours=48)
    assert recalled.ack_by == iso(due)
    [waiting] = world.unacknowledged_recalls()
    assert (waiting.ack_by, waiting.overdue, waiting.item) == (iso(due), False, "lead")


def test_a_recall_without_a_deadline_has_none(world: Garante) -> None:
    release = _delivered(world)
    recalled = world.recall(release, reason="source compromised")
    assert recalled.ack_by is None
    assert world.enforce_recall_deadlines().value == ()


def test_a_recall_of_a_release_an_agreement_started_takes_the_agreements_deadline(
    world: Garante,
) -> None:
    made = make_agreement(
        world,
        "nca",
        purposes=["seizure"],
        recall_ack_within="2d",
        backfill_from=world.clock.now() - timedelta(days=1),
    )
    assert made.value.recall_ack_within == "2d"
    [started] = made.started
    _partner(world).feed_page(FeedQuery(partner_id="nca"))
    recalled = world.recall(started.request, reason="source compromised")
    assert recalled.ack_by == iso(world.clock.now().replace(microsecond=0) + timedelta(days=2))


def test_a_deadline_given_with_the_recall_overrides_the_agreements(world: Garante) -> None:
    made = make_agreement(
        world,
        "nca",
        purposes=["seizure"],
        recall_ack_within="2d",
        backfill_from=world.clock.now() - timedelta(days=1),
    )
    [started] = made.started
    _partner(world).feed_page(FeedQuery(partner_id="nca"))
    recalled = world.recall(started.request, reason="source compromised", ack_within="30m")
    assert recalled.ack_by == iso(world.clock.now().replace(microsecond=0) + timedelta(minutes=30))


def test_an_agreements_deadline_is_part_of_its_signed_terms(world: Garante) -> None:
    made = make_agreement(world, "nca", purposes=["seizure"], recall_ack_within="36h")
    row = world.agreement(made.value.id)
    assert row.recall_ack_within == "36h"
    [entry] = [e for e in world.entries(0, world.ledger_size()) if e.kind == "agreement.made"]
    assert json.loads(entry.entry)["data"]["statement"]["recall_ack_within"] == 36 * 3600


@pytest.mark.parametrize("bad", ["soon", "0m", "400d", "-5h"])
def test_a_deadline_that_is_not_a_duration_in_range_is_refused(world: Garante, bad: str) -> None:
    release = _delivered(world)
    with pytest.raises(ValidationError) as raised:
        world.recall(release, reason="source compromised", ack_within=bad)
    assert raised.value.field == "ack_within"
    assert world.unacknowledged_recalls() == []  # nothing recalled


def test_a_recall_acknowledged_in_time_brings_no_hold(world: Garante, clock: FixedClock) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(minutes=30))
    _acknowledge(world, release)
    clock.set(clock.now() + timedelta(hours=2))
    assert world.enforce_recall_deadlines().value == ()
    assert world.orders() == []


def test_an_overdue_recall_holds_its_partner_by_a_system_order(
    world: Garante, clock: FixedClock
) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=1, seconds=1))
    before = world.ledger_size()
    [hold] = world.enforce_recall_deadlines().value
    assert (hold.agency, hold.release) == ("nca", release)
    [order] = world.orders()
    assert (order.id, order.authority) == (hold.order, SYSTEM_AUTHORITY)
    assert order.scope["agencies"] == ["nca"]
    assert f"recall of release {release}" in order.reason and hold.ack_by in order.reason
    kinds = [e.kind for e in world.entries(before, world.ledger_size())]
    assert kinds == ["authority.registered", "order.issued"]
    [waiting] = world.unacknowledged_recalls()
    assert waiting.overdue


def test_a_partner_held_for_an_overdue_recall_is_refused_further_releases(
    world: Garante, clock: FixedClock
) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=2))
    world.enforce_recall_deadlines()
    assert world.request_release("lead", recipient="nca", purpose="seizure").outcome == "held"
    assert world.request_release("lead", recipient="dea", purpose="seizure").outcome == "released"


def test_enforcing_twice_issues_one_order(world: Garante, clock: FixedClock) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=2))
    world.enforce_recall_deadlines()
    before = world.ledger_size()
    assert world.enforce_recall_deadlines().value == ()
    assert world.ledger_size() == before
    assert len(world.orders()) == 1


def test_an_authority_lifts_the_hold_and_it_is_not_issued_again(
    world: Garante, clock: FixedClock
) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=2))
    [hold] = world.enforce_recall_deadlines().value
    held = world.request_release("lead", recipient="nca", purpose="seizure")
    lifted = world.lift_order(
        hold.order, authority_id="presidency", reason="recall confirmed by phone", signature=None
    )
    assert [(m.request, m.outcome) for m in lifted.moved] == [(held.request, "released")]
    assert world.enforce_recall_deadlines().value == ()  # still unacknowledged, held once only


def test_an_acknowledgement_after_the_hold_does_not_lift_it(
    world: Garante, clock: FixedClock
) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=2))
    world.enforce_recall_deadlines()
    _acknowledge(world, release)
    assert world.unacknowledged_recalls() == []
    [order] = world.orders()
    assert order.lifted_at is None


def test_replay_flags_a_system_hold_for_a_recall_not_yet_overdue(
    world: Garante, clock: FixedClock
) -> None:
    release = _delivered(world)
    recalled_at = world.clock.now()
    world.recall(release, reason="source compromised", ack_within="1h")
    clock.set(clock.now() + timedelta(hours=2))
    world.enforce_recall_deadlines()
    entries = [json.loads(r.entry) for r in world.entries(0, world.ledger_size())]
    assert (
        Replayer().replay(LoggedEntry.of(i, e) for i, e in enumerate(entries)).disagreements == []
    )
    # The same hold, dated when the recall was made: its deadline had not passed then.
    forged = []
    for entry in entries:
        if entry["kind"] in ("authority.registered", "order.issued"):
            entry = {**entry, "at": iso(recalled_at + timedelta(minutes=1))}
        forged.append(entry)
    report = Replayer().replay(LoggedEntry.of(i, e) for i, e in enumerate(forged))
    messages = [d.message for d in report.disagreements]
    assert any("not past its acknowledgement deadline" in m for m in messages), messages
    assert any("outside a breach or an overdue recall" in m for m in messages), messages
    assert parse_time(entries[-1]["at"]) > recalled_at
