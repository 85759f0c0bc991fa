"""Undertakings and orders are signed by the signer's registered key, or refused."""

from __future__ import annotations

import pytest

from garante.domain.errors import AlreadyExists, SignatureError, SignatureRequired
from garante.domain.order import Order, Scope
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import sign_statement


def test_agency_with_a_registered_key_must_sign(world: Garante) -> None:
    terms = world.draft_undertaking("nca", permits=["arrest"])
    with pytest.raises(SignatureRequired) as raised:
        world.record_undertaking(terms, signature=None)
    assert raised.value.field == "signature"


def test_signature_by_another_key_is_refused_and_nothing_is_stored(world: Garante) -> None:
    terms = world.draft_undertaking("nca", permits=["arrest"])
    before = world.ledger_size()
    with pytest.raises(SignatureError, match="does not verify"):
        world.record_undertaking(
            terms, signature=sign_statement(demo_key("someone-else"), terms.statement())
        )
    assert world.ledger_size() == before
    assert [u.id for u in world.undertakings("nca")] == ["nca-ut-1"]


def test_signature_over_other_terms_is_refused(world: Garante) -> None:
    terms = world.draft_undertaking("nca", permits=["arrest"])
    other = world.draft_undertaking("nca", permits=["arrest", "analysis"])
    with pytest.raises(SignatureError):
        world.record_undertaking(
            terms, signature=sign_statement(demo_key("nca"), other.statement())
        )


def test_valid_signature_is_accepted_and_recorded_as_signed(world: Garante) -> None:
    terms = world.draft_undertaking("nca", permits=["arrest"])
    change = world.record_undertaking(
        terms, signature=sign_statement(demo_key("nca"), terms.statement())
    )
    assert change.value.signed is True


def test_signature_from_an_agency_without_a_key_is_refused(world: Garante) -> None:
    terms = world.draft_undertaking("dea", permits=["arrest"])
    with pytest.raises(SignatureError, match="no registered public key"):
        world.record_undertaking(
            terms, signature=sign_statement(demo_key("dea"), terms.statement())
        )


def test_authority_with_a_key_must_sign_its_order(world: Garante) -> None:
    order = world.draft_order(
        authority_id="mininterior", effect="hold", scope=Scope(), everything=True, reason="hold all"
    ).order
    with pytest.raises(SignatureRequired):
        world.issue_order(order, signature=None)
    signed = world.issue_order(
        order, signature=sign_statement(demo_key("mininterior"), order.statement())
    )
    assert signed.value.effect == "hold"


def test_lifting_needs_the_lifting_authoritys_signature(world: Garante) -> None:
    order = world.draft_order(
        authority_id="mininterior", effect="hold", scope=Scope(), everything=True, reason="hold all"
    ).order
    world.issue_order(order, signature=sign_statement(demo_key("mininterior"), order.statement()))
    statement = world.lift_statement(order.id, authority_id="mininterior", reason="done")
    with pytest.raises(SignatureError):
        world.lift_order(
            order.id,
            authority_id="mininterior",
            reason="done",
            signature=sign_statement(demo_key("presidency"), statement),
        )
    lifted = world.lift_order(
        order.id,
        authority_id="mininterior",
        reason="done",
        signature=sign_statement(demo_key("mininterior"), statement),
    )
    assert lifted.value.lifted_at is not None


def _signed_hold(
    world: Garante, authority: str, order_id: str | None = None
) -> tuple[Order, bytes]:
    order = world.draft_order(
        authority_id=authority,
        order_id=order_id,
        effect="hold",
        scope=Scope(),
        everything=True,
        reason="hold all",
    ).order
    return order, sign_statement(demo_key(authority), order.statement())


def test_two_orders_drafted_at_once_are_numbered_in_the_order_they_are_issued(
    world: Garante,
) -> None:
    first, first_signature = _signed_hold(world, "mininterior", "interior-hold")
    second, second_signature = _signed_hold(world, "mininterior", "second-hold")
    assert first.sequence == second.sequence  # both drafted before either was issued
    world.issue_order(second, signature=second_signature)
    world.issue_order(first, signature=first_signature)
    sequences = {order.id: order.sequence for order in world.orders()}
    assert sequences["second-hold"] < sequences["interior-hold"]


def test_an_order_whose_drafted_id_was_taken_meanwhile_is_refused_as_a_conflict(
    world: Garante,
) -> None:
    first, first_signature = _signed_hold(world, "mininterior")
    second, second_signature = _signed_hold(world, "mininterior")
    assert first.id == second.id  # both named after the same next number
    world.issue_order(first, signature=first_signature)
    before = world.ledger_size()
    with pytest.raises(AlreadyExists, match="another order took its id"):
        world.issue_order(second, signature=second_signature)
    assert world.ledger_size() == before
