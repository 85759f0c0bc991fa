"""What a partner's principal sees through the service: only its own, and only while deliverable.

The rule is the service's (``service.visibility``), so these tests call the service as the
partner, with no interface in between: every interface inherits what holds here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from garante.domain.decision import Decision, Outcome, RuleHit
from garante.domain.errors import AgencyNotFound, RequestNotFound
from garante.domain.request import ReleaseRequest
from garante.domain.roles import Principal, Role
from garante.service import visibility
from garante.service.app import Garante
from garante.service.feed import Enforcement
from garante.service.tokens import Forbidden
from garante.store.feed import FeedQuery
from tests.service.orders import issue

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
FBI = Principal(token_id="t-fbi", role=Role.PARTNER, agency_id="fbi")


def _released(world: Garante, recipient: str = "dea") -> int:
    decided = world.request_release("lead", recipient=recipient, purpose="seizure")
    assert decided.outcome == "released"
    request_id: int = decided.request
    return request_id


def test_a_partner_lists_its_own_deliverable_release(world: Garante) -> None:
    request_id = _released(world)
    assert [r.id for r in world.acting_as(DEA).requests()] == [request_id]


def test_a_partner_does_not_list_another_partners_release(world: Garante) -> None:
    _released(world, "fbi")
    assert world.acting_as(DEA).requests() == []


def test_a_partner_does_not_list_a_release_an_order_now_withholds(world: Garante) -> None:
    request_id = _released(world)
    issue(world, "hold")  # US-scoped: the DEA's undelivered release is withheld from its feed
    assert world.request(request_id).outcome == "released"
    assert world.acting_as(DEA).requests() == []
    with pytest.raises(RequestNotFound):
        world.acting_as(DEA).request(request_id)


def test_a_partner_does_not_list_a_release_recalled_before_delivery(world: Garante) -> None:
    request_id = _released(world)
    world.recall(request_id, reason="sent to the wrong desk")
    assert world.acting_as(DEA).requests() == []
    with pytest.raises(RequestNotFound):
        world.acting_as(DEA).request(request_id)


def test_a_partner_does_not_list_its_held_request_whatever_it_filters(world: Garante) -> None:
    issue(world, "hold")
    assert world.request_release("lead", recipient="dea", purpose="seizure").outcome == "held"
    assert world.acting_as(DEA).requests(outcome="held", recipient="dea") == []


def test_recording_its_undertaking_tells_a_partner_nothing_of_requests_still_held(
    world: Garante,
) -> None:
    issue(world, "require", requires={"prohibits": ["lethal-force"]})
    held = world.request_release("lead", recipient="dea", purpose="arrest")
    assert held.outcome == "held"
    dea = world.acting_as(DEA)
    terms = dea.draft_undertaking("dea", permits=["seizure"], prohibits=["lethal-force"])
    change = dea.record_undertaking(terms, signature=None)
    assert change.moved == []  # the arrest request stays held: not the partner's to know


def test_a_release_a_partners_undertaking_causes_names_no_order_and_no_rule(
    world: Garante,
) -> None:
    order = issue(world, "require", requires={"prohibits": ["lethal-force"]}).value.id
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    dea = world.acting_as(DEA)
    terms = dea.draft_undertaking("dea", permits=["seizure"], prohibits=["lethal-force"])
    [moved] = dea.record_undertaking(terms, signature=None).moved
    assert (moved.request, moved.outcome) == (held.request, "released")
    assert (moved.rules, moved.previous, moved.trigger) == ((), None, "")
    assert order not in str(moved)


def test_an_internal_principal_hears_every_request_a_change_moved(world: Garante) -> None:
    issue(world, "require", requires={"prohibits": ["lethal-force"]})
    world.request_release("lead", recipient="dea", purpose="seizure")
    terms = world.draft_undertaking("dea", permits=["seizure"], prohibits=["lethal-force"])
    [moved] = world.record_undertaking(terms, signature=None).moved
    assert (moved.previous, moved.outcome) == ("held", "released")
    assert moved.rules


def test_a_partner_sees_only_its_own_agency(world: Garante) -> None:
    assert [a.id for a in world.acting_as(DEA).agencies()] == ["dea"]
    with pytest.raises(AgencyNotFound):
        world.acting_as(DEA).agency("fbi")


def test_a_partner_sees_only_its_own_undertakings_whatever_it_asks(world: Garante) -> None:
    listed = world.acting_as(DEA).undertakings("fbi")
    assert listed and {u.agency for u in listed} == {"dea"}


def test_a_partner_gives_undertakings_for_its_own_agency_only(world: Garante) -> None:
    with pytest.raises(Forbidden):
        world.acting_as(FBI).draft_undertaking("dea", permits=["seizure"])


def test_a_partner_reads_its_own_feed_only(world: Garante) -> None:
    _released(world, "fbi")
    with pytest.raises(Forbidden):
        world.acting_as(DEA).feed_page(FeedQuery(partner_id="fbi"))
    assert world.acting_as(DEA).feed_page(FeedQuery(partner_id="dea")) == ([], False)


def _enforced(request_id: int, recipient: str, *, withheld: bool) -> Enforcement:
    at = datetime(2025, 11, 12, tzinfo=UTC)
    hit = RuleHit(rule="4.deny", verdict="deny", cites="order:o1", message="order o1")
    return Enforcement(
        request=ReleaseRequest(
            id=request_id,
            item_id="lead",
            recipient_id=recipient,
            purpose="seizure",
            requested_by="analyst",
            requested_at=at,
        ),
        decision=Decision(
            outcome=Outcome.DENIED if withheld else Outcome.RELEASED,
            rules=(hit,),
            explanation="Denied: order o1." if withheld else "Released: order o1 lifted.",
        ),
        withheld=withheld,
        trigger="order o1 issued",
        at=at,
    )


def test_a_partner_never_hears_that_a_release_was_withheld_from_it() -> None:
    results = [_enforced(1, "dea", withheld=True), _enforced(2, "fbi", withheld=True)]
    assert visibility.enforced(DEA, results, withheld=True) == ()
    operator = Principal.operator("test")
    assert [r.request for r in visibility.enforced(operator, results, withheld=True)] == [1, 2]


def test_a_partner_hears_of_its_own_releases_made_available_naming_no_rule() -> None:
    results = [_enforced(1, "dea", withheld=False), _enforced(2, "fbi", withheld=False)]
    [seen] = visibility.enforced(DEA, results, withheld=False)
    assert (seen.request, seen.rules, seen.trigger) == (1, (), "")
    assert "o1" not in seen.explanation
