"""Authority keys change only with proof, as agency keys do: the current key signs its
successor; a lost key is recovered only on another authority's signed statement, marked so."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.domain.errors import NotEntitled, SignatureError, SignatureRequired
from garante.domain.order import Scope
from garante.domain.parties import SYSTEM_AUTHORITY, key_statement
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import encode_public_key, public_key_bytes, sign_statement

NEW = Ed25519PrivateKey.generate()
NEW_PUBLIC = public_key_bytes(NEW.public_key())
COURT = Ed25519PrivateKey.generate()


def _key(world: Garante, authority_id: str) -> str | None:
    key: str | None = {a.id: a for a in world.authorities()}[authority_id].public_key
    return key


def _with_court(world: Garante) -> Garante:
    world.register_authority("court", name="Court", public_key=public_key_bytes(COURT.public_key()))
    return world


def test_an_authoritys_first_key_needs_no_proof(world: Garante) -> None:
    world.set_authority_key("presidency", NEW_PUBLIC)
    assert _key(world, "presidency") == encode_public_key(NEW_PUBLIC)


def test_a_registered_authority_key_is_not_replaced_without_its_signature(
    world: Garante,
) -> None:
    before, size = _key(world, "mininterior"), world.ledger_size()
    with pytest.raises(SignatureRequired):
        world.set_authority_key("mininterior", NEW_PUBLIC)
    assert (_key(world, "mininterior"), world.ledger_size()) == (before, size)


def test_a_registered_authority_key_is_not_replaced_on_the_new_keys_signature(
    world: Garante,
) -> None:
    statement = world.authority_key_statement("mininterior", NEW_PUBLIC)
    with pytest.raises(SignatureError):
        world.set_authority_key("mininterior", NEW_PUBLIC, signature=sign_statement(NEW, statement))
    assert _key(world, "mininterior") != encode_public_key(NEW_PUBLIC)


def test_the_current_authority_key_signs_its_successor_and_the_log_keeps_it(
    world: Garante,
) -> None:
    statement = world.authority_key_statement("mininterior", NEW_PUBLIC)
    assert statement["type"] == "garante.authority-key/v1"
    assert statement["previous_key"] == _key(world, "mininterior")
    size = world.ledger_size()
    world.set_authority_key(
        "mininterior", NEW_PUBLIC, signature=sign_statement(demo_key("mininterior"), statement)
    )
    assert _key(world, "mininterior") == encode_public_key(NEW_PUBLIC)
    [entry] = world.entries(size, world.ledger_size())
    assert entry.kind == "authority.key-set"
    data = json.loads(entry.entry)["data"]
    assert (data["statement"], data["recovered_by"]) == (statement, None)


def test_a_lost_authority_key_is_recovered_on_another_authoritys_signature_marked_so(
    world: Garante,
) -> None:
    _with_court(world)
    statement = world.authority_key_statement("mininterior", NEW_PUBLIC, recovered_by="court")
    assert (statement["type"], statement["recovered_by"]) == (
        "garante.authority-key-recovery/v1",
        "court",
    )
    size = world.ledger_size()
    world.set_authority_key(
        "mininterior", NEW_PUBLIC, signature=sign_statement(COURT, statement), recovered_by="court"
    )
    assert _key(world, "mininterior") == encode_public_key(NEW_PUBLIC)
    [entry] = world.entries(size, world.ledger_size())
    assert json.loads(entry.entry)["data"]["recovered_by"] == "court"


def test_an_authority_does_not_vouch_for_its_own_lost_key(world: Garante) -> None:
    statement = world.authority_key_statement("mininterior", NEW_PUBLIC, recovered_by="mininterior")
    with pytest.raises(NotEntitled, match="its own lost key"):
        world.set_authority_key(
            "mininterior",
            NEW_PUBLIC,
            signature=sign_statement(demo_key("mininterior"), statement),
            recovered_by="mininterior",
        )
    assert _key(world, "mininterior") != encode_public_key(NEW_PUBLIC)


def test_an_authority_without_a_key_cannot_vouch_for_an_authoritys_recovery(
    world: Garante,
) -> None:
    statement = world.authority_key_statement("mininterior", NEW_PUBLIC, recovered_by="presidency")
    with pytest.raises(NotEntitled, match="has no key"):
        world.set_authority_key(
            "mininterior",
            NEW_PUBLIC,
            signature=sign_statement(NEW, statement),
            recovered_by="presidency",
        )


def test_the_new_authority_key_signs_its_orders_from_then_on(world: Garante) -> None:
    _with_court(world)
    statement = world.authority_key_statement("court", NEW_PUBLIC)
    world.set_authority_key("court", NEW_PUBLIC, signature=sign_statement(COURT, statement))
    order = world.draft_order(
        authority_id="court", effect="hold", scope=Scope(countries=frozenset({"US"})), reason="r"
    ).order
    with pytest.raises(SignatureError):
        world.issue_order(order, signature=sign_statement(COURT, order.statement()))
    world.issue_order(order, signature=sign_statement(NEW, order.statement()))


def test_the_system_authority_has_no_key_to_set(world: Garante) -> None:
    with pytest.raises(NotEntitled):
        world.authority_key_statement(SYSTEM_AUTHORITY, NEW_PUBLIC)


def test_the_agency_key_statement_is_unchanged_so_old_signatures_verify() -> None:
    assert key_statement("nca", "NEW", "OLD", recovered_by="court") == {
        "type": "garante.key-recovery/v1",
        "agency": "nca",
        "public_key": "NEW",
        "previous_key": "OLD",
        "authority": "court",
    }
