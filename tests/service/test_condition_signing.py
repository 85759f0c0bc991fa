"""A hand-kept condition is set only on an authority's word, signed when it has a key."""

from __future__ import annotations

import pytest

from garante.domain.errors import NotEntitled, SignatureRequired
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import sign_statement
from tests.service.orders import issue

PRESIDENCY = Principal(token_id="t-pr", role=Role.AUTHORITY, authority_id="presidency")


@pytest.fixture
def kept(world: Garante) -> Garante:
    """A hand-kept condition, active, gating a hold on US agencies."""
    world.define_condition("talks", description="talks go on", active=True, evidence="opened")
    issue(world, "hold", while_condition="talks")
    return world


def _active(world: Garante) -> bool:
    [condition] = [c for c in world.conditions() if c.id == "talks"]
    active: bool = condition.active
    return active


def test_an_authority_with_a_key_must_sign_the_change(kept: Garante) -> None:
    before = kept.ledger_size()
    with pytest.raises(SignatureRequired):
        kept.set_condition("talks", active=False, evidence="ended", authority_id="mininterior")
    assert _active(kept) and kept.ledger_size() == before


def test_the_signed_change_is_logged_with_its_statement(kept: Garante) -> None:
    statement = kept.condition_statement(
        "talks", active=False, evidence="ended", authority_id="mininterior"
    )
    signature = sign_statement(demo_key("mininterior"), statement)
    before = kept.ledger_size()
    kept.set_condition(
        "talks", active=False, evidence="ended", authority_id="mininterior", signature=signature
    )
    assert not _active(kept)
    [entry] = [e for e in kept.entries(before, kept.ledger_size()) if e.kind == "condition.changed"]
    assert '"type":"garante.condition/v1"' in entry.entry
    assert '"authority":"mininterior"' in entry.entry


def test_an_authority_token_sets_conditions_in_its_own_name_only(kept: Garante) -> None:
    with pytest.raises(NotEntitled):
        kept.acting_as(PRESIDENCY).set_condition(
            "talks", active=False, evidence="ended", authority_id="mininterior"
        )
    assert _active(kept)


def test_a_derived_condition_change_carries_no_statement(world: Garante) -> None:
    before = world.ledger_size()
    world.record_event(
        kind="vessel-strike", region="caribbean", occurred_at=world.clock.now(), agency_id="dipol"
    )
    [entry] = [
        e for e in world.entries(before, world.ledger_size()) if e.kind == "condition.changed"
    ]
    assert '"statement":null' in entry.entry
