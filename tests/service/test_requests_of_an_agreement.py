"""The requests a standing agreement started, each with the decision that stands for it, for
the console's agreement page: its backfill's and its fan-out's, never a request made by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from garante.domain.errors import AgreementNotFound
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.tokens import Forbidden
from tests.support.scenario import scenario_bundle

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
LIAISON = Principal(token_id="t-li", role=Role.LIAISON, agency_id="dipol")


def _agreement(world: Garante, partner: str, *purposes: str, backfill: bool = True) -> str:
    liaison = world.acting_as(LIAISON)
    terms = liaison.draft_agreement(partner, purposes=list(purposes), tlp_ceiling="amber")
    since = world.clock.now() - timedelta(days=1) if backfill else None
    return liaison.make_agreement(terms, backfill_from=since).value.id


def _item(world: Garante, item_id: str) -> None:
    world.add_item(
        item_id,
        title="Container route",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    )


def test_an_agreements_requests_are_its_backfills_and_its_fan_outs(
    world: Garante, clock: FixedClock
) -> None:
    agreement = _agreement(world, "dea", "seizure")
    clock.set(clock.now() + timedelta(hours=1))
    _item(world, "route")
    shown = world.acting_as(LIAISON).agreement_requests(agreement)
    assert [(r.item, r.recipient, r.purpose) for r in shown] == [
        ("lead", "dea", "seizure"),
        ("route", "dea", "seizure"),
    ]


def test_an_agreements_requests_leave_out_requests_made_by_hand_and_other_agreements(
    world: Garante,
) -> None:
    world.request_release("lead", recipient="dea", purpose="arrest")
    dea = _agreement(world, "dea", "seizure")
    _agreement(world, "fbi", "seizure")
    assert [(r.recipient, r.purpose) for r in world.agreement_requests(dea)] == [("dea", "seizure")]


def test_an_agreements_requests_carry_the_decision_that_stands(world: Garante) -> None:
    agreement = _agreement(world, "dea", "seizure", "lethal-force")
    shown = {r.purpose: r for r in world.agreement_requests(agreement)}
    assert shown["seizure"].outcome == "released" and shown["seizure"].trigger == "request"
    assert shown["lethal-force"].outcome == "denied"
    assert "4.no-undertaking" in [hit.rule for hit in shown["lethal-force"].rules]


def test_an_agreement_that_started_nothing_has_no_requests(world: Garante) -> None:
    assert world.agreement_requests(_agreement(world, "dea", "seizure", backfill=False)) == []


def test_an_unknown_agreements_requests_are_not_found_with_a_hint(world: Garante) -> None:
    _agreement(world, "dea", "seizure")
    with pytest.raises(AgreementNotFound) as refused:
        world.agreement_requests("dea-ag-2")
    assert "dea-ag-1" in (refused.value.hint or "")


def test_a_partner_may_not_read_an_agreements_requests(world: Garante) -> None:
    agreement = _agreement(world, "dea", "seizure")
    with pytest.raises(Forbidden):
        world.acting_as(DEA).agreement_requests(agreement)
