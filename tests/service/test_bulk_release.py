"""Many releases in one call: each decided on its own, all stored together or none."""

from __future__ import annotations

import pytest

from garante.domain.errors import AgencyNotFound, ItemNotFound, UnknownValue, ValidationError
from garante.domain.request import ReleaseTriple
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.tokens import Forbidden
from tests.service.orders import issue

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")


def triple(recipient: str, purpose: str = "seizure", item: str = "lead") -> ReleaseTriple:
    return ReleaseTriple(item_id=item, recipient_id=recipient, purpose=purpose)


def test_each_release_of_a_batch_gets_its_own_decision_in_order(world: Garante) -> None:
    decisions = world.request_releases([triple("dea"), triple("nca", "arrest"), triple("fbi")])
    assert [(d.recipient, d.purpose, d.outcome) for d in decisions] == [
        ("dea", "seizure", "released"),
        ("nca", "arrest", "denied"),  # its undertaking permits seizure only
        ("fbi", "seizure", "released"),
    ]
    assert len({d.request for d in decisions}) == 3


def test_a_batch_decides_as_the_same_requests_made_one_by_one(world: Garante) -> None:
    issue(world, "hold")  # holds the US partners
    batch = world.request_releases([triple("dea"), triple("nca"), triple("fbi", "arrest")])
    single = [
        world.request_release("lead", recipient=r, purpose=p)
        for r, p in (("dea", "seizure"), ("nca", "seizure"), ("fbi", "arrest"))
    ]
    assert [(d.outcome, d.explanation, d.rules) for d in batch] == [
        (d.outcome, d.explanation, d.rules) for d in single
    ]


@pytest.mark.parametrize(
    ("bad", "error", "field"),
    [
        (triple("DEA"), AgencyNotFound, "releases[1].recipient"),
        (triple("dea", item="nope"), ItemNotFound, "releases[1].item"),
        (triple("dea", purpose="lethal-force-ish"), UnknownValue, "releases[1].purpose"),
    ],
    ids=["agency", "item", "purpose"],
)
def test_one_bad_triple_refuses_the_whole_batch_naming_it_and_stores_nothing(
    world: Garante, bad: ReleaseTriple, error: type[Exception], field: str
) -> None:
    size, requests = world.ledger_size(), world.requests()
    with pytest.raises(error) as refused:
        world.request_releases([triple("nca"), bad, triple("fbi")])
    assert getattr(refused.value, "field", None) == field
    assert "releases[1]" in str(refused.value) and "nothing of the batch was stored" in str(
        refused.value
    )
    assert (world.ledger_size(), world.requests()) == (size, requests)


def test_an_empty_batch_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError, match="names no release"):
        world.request_releases([])


def test_a_batch_over_ten_thousand_is_refused_before_anything_is_read(world: Garante) -> None:
    size = world.ledger_size()
    with pytest.raises(ValidationError, match="at most 10000"):
        world.request_releases([triple("dea")] * 10_001)
    assert world.ledger_size() == size


def test_a_partner_may_not_request_a_batch(world: Garante) -> None:
    with pytest.raises(Forbidden):
        world.acting_as(DEA).request_releases([triple("dea")])
