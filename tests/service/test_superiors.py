"""An order answers to its issuer or to an authority the operator configured as its superior.

DESIGN.md, "Who may do what": the superior signs with its own key, the entry says it acted as
superior, and the relation is the operator's to set, logged so a replay knows it at any point.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from garante.domain.errors import NotEntitled, SignatureRequired, ValidationError
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.tokens import Forbidden
from garante.signatures import sign_statement
from tests.service.orders import issue

INTERIOR = demo_key("mininterior")


def _last(world: Garante) -> dict[str, Any]:
    [entry] = world.entries(world.ledger_size() - 1, world.ledger_size())
    data: dict[str, Any] = json.loads(entry.entry)
    return data


def _entry(world: Garante, kind: str) -> dict[str, Any]:
    size = world.ledger_size()
    found = [e for e in world.entries(0, size) if e.kind == kind]
    data: dict[str, Any] = json.loads(found[-1].entry)["data"]
    return data


def _lift_as_interior(world: Garante, order_id: str) -> None:
    statement = world.lift_statement(order_id, authority_id="mininterior", reason="reviewed")
    world.lift_order(
        order_id,
        authority_id="mininterior",
        reason="reviewed",
        signature=sign_statement(INTERIOR, statement),
    )


def _amend_as_interior(world: Garante, order_id: str) -> None:
    amended = world.draft_amendment(order_id, authority_id="mininterior", reason="narrowed").order
    statement = {**amended.statement(), "amended_by": "mininterior"}
    world.amend_order(
        amended, authority_id="mininterior", signature=sign_statement(INTERIOR, statement)
    )


def test_a_superior_lifts_an_order_of_the_authority_it_is_over(world: Garante) -> None:
    world.set_superior("mininterior", over=["presidency"])
    order = issue(world, "hold").value.id
    _lift_as_interior(world, order)
    assert world.order(order).lifted_at is not None
    lifted = _entry(world, "order.lifted")
    assert (lifted["acting_as"], lifted["statement"]["lifted_by"]) == ("superior", "mininterior")


def test_a_superior_amends_an_order_of_the_authority_it_is_over(world: Garante) -> None:
    world.set_superior("mininterior", over=["presidency"])
    order = issue(world, "hold").value.id
    _amend_as_interior(world, order)
    assert world.order(order).version == 2
    amended = _entry(world, "order.amended")
    assert (amended["acting_as"], amended["statement"]["amended_by"]) == (
        "superior",
        "mininterior",
    )


def test_the_issuer_acting_on_its_own_order_is_logged_as_issuer(world: Garante) -> None:
    order = issue(world, "hold").value.id
    world.lift_order(order, authority_id="presidency", reason="over", signature=None)
    assert _entry(world, "order.lifted")["acting_as"] == "issuer"


def test_a_superior_signs_with_its_own_key(world: Garante) -> None:
    world.set_superior("mininterior", over=["presidency"])
    order = issue(world, "hold").value.id
    with pytest.raises(SignatureRequired):
        world.lift_order(order, authority_id="mininterior", reason="reviewed", signature=None)
    assert world.order(order).lifted_at is None


def test_an_authority_not_superior_to_the_issuer_is_refused_and_nothing_changes(
    world: Garante,
) -> None:
    order = issue(world, "hold").value.id
    before, size = world.order(order), world.ledger_size()
    with pytest.raises(NotEntitled) as refused:
        _lift_as_interior(world, order)
    assert refused.value.code == "auth.not_entitled"
    assert refused.value.field == "authority"
    assert refused.value.hint is not None and "presidency may lift it" in refused.value.hint
    with pytest.raises(NotEntitled):
        _amend_as_interior(world, order)
    assert (world.order(order), world.ledger_size()) == (before, size)


def test_the_refusal_names_the_superiors_that_may(world: Garante) -> None:
    world.register_authority("court", name="Court")
    world.set_superior("court", over=["presidency"])
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled) as refused:
        _lift_as_interior(world, order)
    assert refused.value.hint is not None and "(court)" in refused.value.hint


def test_superiority_removed_the_former_superior_is_refused_again(world: Garante) -> None:
    world.set_superior("mininterior", over=["presidency"])
    world.set_superior("mininterior", over=[])
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled):
        _lift_as_interior(world, order)
    assert world.order(order).lifted_at is None


def test_superiority_is_not_transitive(world: Garante) -> None:
    world.register_authority("court", name="Court")
    world.set_superior("mininterior", over=["court"])
    world.set_superior("court", over=["presidency"])
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled):
        _lift_as_interior(world, order)


def test_the_superior_relation_is_logged_whole_each_time_it_changes(world: Garante) -> None:
    world.register_authority("court", name="Court")
    world.set_superior("mininterior", over=["presidency", "court", "presidency"])
    assert _last(world)["kind"] == "authority.superior-set"
    assert _last(world)["data"] == {"authority": "mininterior", "over": ["court", "presidency"]}
    world.set_superior("mininterior", over=[])
    assert _last(world)["data"] == {"authority": "mininterior", "over": []}
    assert world.superiors() == {}


def test_no_superior_amends_a_breach_hold(world: Garante) -> None:
    with pytest.raises(NotEntitled):
        world.set_superior("mininterior", over=[SYSTEM_AUTHORITY])


def test_an_authority_is_not_its_own_superior(world: Garante) -> None:
    size = world.ledger_size()
    with pytest.raises(ValidationError):
        world.set_superior("mininterior", over=["mininterior"])
    assert world.ledger_size() == size


def test_only_the_operator_configures_a_superior(world: Garante) -> None:
    for who in (
        Principal(token_id="t", role=Role.AUTHORITY, authority_id="mininterior"),
        Principal(token_id="t", role=Role.LIAISON, agency_id="dipol"),
    ):
        token = world.acting_as(who)
        with pytest.raises(Forbidden):
            token.set_superior("mininterior", over=["presidency"])
    assert world.superiors() == {}
