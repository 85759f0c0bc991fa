"""Keys change only with proof: the current key signs its successor, an authority a recovery."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.domain.errors import NotEntitled, SignatureError, SignatureRequired
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import encode_public_key, public_key_bytes, sign_statement

NEW = Ed25519PrivateKey.generate()
NEW_PUBLIC = public_key_bytes(NEW.public_key())


def _nca_key(world: Garante) -> str | None:
    key: str | None = world.agency("nca").public_key
    return key


def test_a_first_key_needs_no_proof(world: Garante) -> None:
    world.set_agency_key("fbi", NEW_PUBLIC)
    assert world.agency("fbi").public_key == encode_public_key(NEW_PUBLIC)


def test_a_registered_key_is_not_replaced_without_its_signature(world: Garante) -> None:
    before, size = _nca_key(world), world.ledger_size()
    with pytest.raises(SignatureRequired):
        world.set_agency_key("nca", NEW_PUBLIC)
    assert (_nca_key(world), world.ledger_size()) == (before, size)


def test_a_registered_key_is_not_replaced_on_the_new_keys_own_signature(world: Garante) -> None:
    statement = world.agency_key_statement("nca", NEW_PUBLIC)
    with pytest.raises(SignatureError):
        world.set_agency_key("nca", NEW_PUBLIC, signature=sign_statement(NEW, statement))
    assert _nca_key(world) != encode_public_key(NEW_PUBLIC)


def test_the_current_key_signs_its_successor_and_the_log_keeps_the_statement(
    world: Garante,
) -> None:
    statement = world.agency_key_statement("nca", NEW_PUBLIC)
    assert statement["previous_key"] == _nca_key(world)
    signature = sign_statement(demo_key("nca"), statement)
    before = world.ledger_size()
    world.set_agency_key("nca", NEW_PUBLIC, signature=signature)
    assert _nca_key(world) == encode_public_key(NEW_PUBLIC)
    [entry] = world.entries(before, world.ledger_size())
    assert entry.kind == "agency.key-set"
    assert '"type":"garante.key/v1"' in entry.entry
    assert '"recovered_by":null' in entry.entry


def test_a_lost_key_is_recovered_on_an_authoritys_signature_and_marked_so(
    world: Garante,
) -> None:
    statement = world.agency_key_statement("nca", NEW_PUBLIC, recovered_by="mininterior")
    assert (statement["type"], statement["authority"]) == ("garante.key-recovery/v1", "mininterior")
    signature = sign_statement(demo_key("mininterior"), statement)
    before = world.ledger_size()
    world.set_agency_key("nca", NEW_PUBLIC, signature=signature, recovered_by="mininterior")
    assert _nca_key(world) == encode_public_key(NEW_PUBLIC)
    [entry] = world.entries(before, world.ledger_size())
    assert '"recovered_by":"mininterior"' in entry.entry


def test_an_authority_without_a_key_cannot_vouch_for_a_recovery(world: Garante) -> None:
    statement = world.agency_key_statement("nca", NEW_PUBLIC, recovered_by="presidency")
    with pytest.raises(NotEntitled, match="has no key"):
        world.set_agency_key(
            "nca", NEW_PUBLIC, signature=sign_statement(NEW, statement), recovered_by="presidency"
        )
    assert _nca_key(world) != encode_public_key(NEW_PUBLIC)
