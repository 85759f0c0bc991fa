"""Outcome reports, breach suspension, simulation and reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from garante.domain.errors import InvalidState, SignatureRequired, ValidationError
from garante.domain.order import Scope
from garante.domain.outcome import OutcomeReport
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.outcomes import ReleaseNotFound
from garante.signatures import sign_statement
from tests.service.orders import issue


def _report(
    garante: Garante, request: int, agency: str, kind: str, **details: Any
) -> OutcomeReport:
    return OutcomeReport(
        request_id=request, agency_id=agency, kind=kind, occurred_at=garante.clock.now(), **details
    )


def test_a_compliant_outcome_changes_nothing_else(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    change = world.report_outcome(_report(world, release.request, "dea", "seizure"), signed=False)
    assert change.value.breach is False
    assert change.moved == []
    assert world.orders() == []


def test_a_breach_issues_an_automatic_hold_on_the_partner_in_the_same_transaction(
    world: Garante,
) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    before = world.ledger_size()
    change = world.report_outcome(
        _report(world, release.request, "dea", "lethal-force"), signed=False
    )
    assert change.value.breach is True
    [order] = world.orders()
    assert order.id == change.value.order
    assert order.scope["agencies"] == ["dea"]
    kinds = [e.kind for e in world.entries(before, world.ledger_size())]
    # The first breach registers the system authority that issues the order, logged as any
    # authority is; the release was never fetched, so the suspension also withholds it.
    assert kinds == [
        "outcome.reported",
        "authority.registered",
        "order.issued",
        "release.withheld",
    ]


def test_after_a_breach_new_requests_of_that_partner_are_held(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    world.report_outcome(_report(world, release.request, "dea", "lethal-force"), signed=False)
    assert world.request_release("lead", recipient="dea", purpose="arrest").outcome == "held"
    assert world.request_release("lead", recipient="fbi", purpose="arrest").outcome == "released"


def test_lifting_the_automatic_order_decides_its_held_requests_again(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    order_id = world.report_outcome(
        _report(world, release.request, "dea", "lethal-force"), signed=False
    ).value.order
    assert order_id is not None
    held = world.request_release("lead", recipient="dea", purpose="arrest")
    lifted = world.lift_order(
        order_id, authority_id="presidency", reason="DEA explained and retrained", signature=None
    )
    assert [(m.request, m.outcome) for m in lifted.moved] == [(held.request, "released")]


def test_a_partner_with_a_key_must_sign_its_own_report(world: Garante) -> None:
    release = world.request_release("lead", recipient="nca", purpose="seizure")
    report = _report(world, release.request, "nca", "seizure")
    with pytest.raises(SignatureRequired):
        world.report_outcome(report, signed=True)
    signed = world.report_outcome(
        report, signed=True, signature=sign_statement(demo_key("nca"), report.statement())
    )
    assert signed.value.signed is True


def test_an_outcome_of_a_request_that_was_not_released_is_refused(world: Garante) -> None:
    denied = world.request_release("lead", recipient="dea", purpose="lethal-force")
    with pytest.raises(ReleaseNotFound):
        world.report_outcome(_report(world, denied.request, "dea", "seizure"), signed=False)


def test_an_outcome_reported_for_another_agency_is_refused_as_for_no_release(
    world: Garante,
) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    with pytest.raises(ReleaseNotFound) as raised:
        world.report_outcome(_report(world, release.request, "fbi", "seizure"), signed=False)
    with pytest.raises(ReleaseNotFound) as absent:
        world.report_outcome(_report(world, 10**6, "fbi", "seizure"), signed=False)
    # Who received it is not told: the answer is the one for a request that does not exist.
    assert raised.value.field == absent.value.field == "release"
    assert "dea" not in raised.value.message
    assert raised.value.message.replace(str(release.request), "N") == absent.value.message.replace(
        str(10**6), "N"
    )


def test_a_partner_cannot_report_on_a_release_an_order_withholds_from_it(
    world: Garante,
) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    issue(world)  # holds the US agencies: the release, never fetched, is withheld
    with pytest.raises(ReleaseNotFound) as withheld:
        world.report_outcome(_report(world, release.request, "dea", "seizure"), signed=True)
    with pytest.raises(ReleaseNotFound) as absent:
        world.report_outcome(_report(world, 10**6, "dea", "seizure"), signed=True)
    # That a release of its own is withheld is not the partner's to know: no release at all.
    assert withheld.value.message.replace(
        str(release.request), "N"
    ) == absent.value.message.replace(str(10**6), "N")


def test_the_originator_reports_on_a_withheld_release_it_knows_was_acted_on(
    world: Garante,
) -> None:
    # As the demo's DIPOL links HSI's lead to a strike from press reports: the feed recorded
    # no delivery, but the partner had the lead.
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    issue(world)
    change = world.report_outcome(_report(world, release.request, "dea", "seizure"), signed=False)
    assert change.value.release == release.request


def test_an_outcome_of_a_release_recalled_before_delivery_is_refused(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    world.recall(release.request, reason="sent in error")
    before = world.ledger_size()
    with pytest.raises(InvalidState, match="recalled before delivery"):
        world.report_outcome(_report(world, release.request, "dea", "lethal-force"), signed=False)
    with pytest.raises(ReleaseNotFound):
        world.report_outcome(_report(world, release.request, "dea", "lethal-force"), signed=True)
    assert world.ledger_size() == before
    assert world.orders() == []


def test_an_outcome_dated_before_its_release_was_decided_is_refused(
    world: Garante, clock: FixedClock
) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    report = OutcomeReport(
        request_id=release.request,
        agency_id="dea",
        kind="lethal-force",
        occurred_at=clock.now() - timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="before release") as raised:
        world.report_outcome(report, signed=False)
    assert raised.value.field == "occurred_at"
    assert world.orders() == []


def test_the_same_report_twice_is_recorded_once_and_suspends_once(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    report = _report(world, release.request, "dea", "lethal-force", casualties=1)
    first = world.report_outcome(report, signed=False)
    size = world.ledger_size()
    again = world.report_outcome(report, signed=False)
    assert (first.new, again.new) == (True, False)
    assert again.value.id == first.value.id and again.value.order == first.value.order
    assert world.ledger_size() == size
    assert [order.id for order in world.orders()] == [first.value.order]
    assert [outcome.id for outcome in world.outcomes()] == [first.value.id]


def test_a_report_sent_again_after_its_release_was_recalled_is_still_the_one_recorded(
    world: Garante,
) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    report = _report(world, release.request, "dea", "seizure")
    first = world.report_outcome(report, signed=False)
    world.recall(release.request, reason="sent in error")  # a new report would be refused
    again = world.report_outcome(report, signed=False)
    assert (again.new, again.value.id) == (False, first.value.id)


def test_a_report_that_differs_is_another_outcome(world: Garante) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    first = world.report_outcome(_report(world, release.request, "dea", "seizure"), signed=False)
    second = world.report_outcome(
        _report(world, release.request, "dea", "seizure", persons=2), signed=False
    )
    assert second.new is True and second.value.id != first.value.id


@pytest.mark.parametrize("amount", [-5.0, float("inf"), float("nan")])
def test_a_quantity_below_zero_or_not_finite_is_refused(world: Garante, amount: float) -> None:
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    report = _report(world, release.request, "dea", "seizure", quantities={"cocaine_kg": amount})
    with pytest.raises(ValidationError, match="cocaine_kg") as raised:
        world.report_outcome(report, signed=False)
    assert raised.value.field == "quantities"


def test_simulating_a_draft_order_predicts_what_issuing_it_produces(
    world: Garante, clock: FixedClock
) -> None:
    start = clock.now()
    requests = [
        world.request_release("lead", recipient=agency, purpose=purpose).request
        for agency in ("dea", "fbi", "nca")
        for purpose in ("seizure", "arrest")
    ]
    clock.set(clock.now() + timedelta(minutes=1))
    draft = world.draft_order(
        authority_id="presidency",
        effect="hold",
        scope=Scope(countries=frozenset({"US"})),
        reason="simulate me",
    ).order
    report = world.simulate_order(draft, start=start, end=clock.now())
    assert report.requests == len(requests)
    assert report.by_partner == {"dea": {"released->held": 2}, "fbi": {"released->held": 2}}
    world.issue_order(draft, signature=None)
    predicted = {e.request: e.after for e in report.examples}
    for request_id, outcome in predicted.items():
        assert world.decide_now(request_id).outcome == outcome


def test_simulating_a_lift_shows_what_the_order_holds(world: Garante, clock: FixedClock) -> None:
    start = clock.now()
    order = issue(world, "hold").value
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + timedelta(minutes=1))
    report = world.simulate_lift(order.id, start=start, end=clock.now())
    assert report.by_partner == {"dea": {"held->released": 1}}
    assert world.orders()[0].lifted_at is None  # nothing changed


def test_simulating_an_amendment_decides_with_the_amended_version_and_stores_nothing(
    world: Garante, clock: FixedClock
) -> None:
    start = clock.now()
    order = issue(world, "hold").value
    world.request_release("lead", recipient="dea", purpose="seizure")
    world.request_release("lead", recipient="fbi", purpose="seizure")
    clock.set(clock.now() + timedelta(minutes=1))
    amended = world.draft_amendment(
        order.id, authority_id="presidency", scope=Scope(agencies=frozenset({"fbi"}))
    ).order
    before = world.ledger_size()
    report = world.simulate_amendment(order.id, amended, start=start, end=clock.now())
    assert report.action == "amend" and report.order == order.id
    assert report.by_partner == {"dea": {"held->released": 1}}  # fbi stays held
    assert world.ledger_size() == before
    assert world.order(order.id).version == 1


def test_the_partner_report_counts_decisions_waits_outcomes_and_breaches(
    world: Garante, clock: FixedClock
) -> None:
    start = clock.now()
    order = issue(world, "hold").value
    world.request_release("lead", recipient="dea", purpose="seizure")
    clock.set(clock.now() + timedelta(hours=6))
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    released = world.request_release("lead", recipient="fbi", purpose="arrest")
    world.report_outcome(_report(world, released.request, "fbi", "lethal-force"), signed=False)
    report = world.partner_report(start=start, end=clock.now() + timedelta(seconds=1))
    rows = {row.partner: row for row in report.partners}
    assert rows["dea"].released == 1
    assert rows["dea"].held_then_released == 1
    assert rows["dea"].mean_hours_held == 6.0
    assert rows["fbi"].outcomes == {"lethal-force": 1}
    assert rows["fbi"].breaches == 1
