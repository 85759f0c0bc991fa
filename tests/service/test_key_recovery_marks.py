"""An undertaking signed with a key a recovery installed is marked so, from the moment it is
recorded: the agency's own key chain did not vouch for that key, an authority did."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante import records
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import public_key_bytes, sign_statement

RECOVERED = Ed25519PrivateKey.generate()
ROTATED = Ed25519PrivateKey.generate()


def _recover_nca(world: Garante) -> None:
    new = public_key_bytes(RECOVERED.public_key())
    statement = world.agency_key_statement("nca", new, recovered_by="mininterior")
    world.set_agency_key(
        "nca",
        new,
        signature=sign_statement(demo_key("mininterior"), statement),
        recovered_by="mininterior",
    )


def _sign_undertaking(world: Garante, key: Ed25519PrivateKey) -> records.Undertaking:
    terms = world.draft_undertaking("nca", permits=["analysis"])
    return world.record_undertaking(terms, signature=sign_statement(key, terms.statement())).value


def _marks(world: Garante) -> dict[str, bool]:
    return {u.id: u.key_recovered for u in world.undertakings("nca")}


def test_an_undertaking_signed_with_the_agencys_own_key_is_not_marked(world: Garante) -> None:
    assert set(_marks(world).values()) == {False}


def test_an_undertaking_signed_after_a_key_recovery_is_marked(world: Garante) -> None:
    _recover_nca(world)
    signed = _sign_undertaking(world, RECOVERED)
    assert signed.key_recovered is True
    assert _marks(world)[str(signed.id)] is True


def test_undertakings_signed_before_the_recovery_stay_unmarked(world: Garante) -> None:
    before = set(_marks(world))
    _recover_nca(world)
    _sign_undertaking(world, RECOVERED)
    assert not any(mark for uid, mark in _marks(world).items() if uid in before)


def test_a_key_the_recovered_key_signed_in_is_not_itself_marked(world: Garante) -> None:
    """The mark is about the key in force when the undertaking was recorded: its successor was
    installed by the agency's own (recovered) key, not by a recovery statement."""
    _recover_nca(world)
    new = public_key_bytes(ROTATED.public_key())
    statement = world.agency_key_statement("nca", new)
    world.set_agency_key("nca", new, signature=sign_statement(RECOVERED, statement))
    assert _sign_undertaking(world, ROTATED).key_recovered is False
