"""/api/v1/audit/witnesses through a real server and the typed client: a liaison, who keeps
the registry, registers and removes the witnesses whose cosignatures the log takes; the list
stays public; no other role may change it."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.client import GaranteAPIError, GaranteClient
from garante.ledger.note import SIG_COSIGNATURE_V1, VerifierKey
from garante.signatures import public_key_bytes
from tests.support.servers import Server


def cosigner_key(name: str) -> str:
    """A fresh witness's type 0x04 verifier key, as `garante witness init` writes it."""
    raw = public_key_bytes(Ed25519PrivateKey.generate().public_key())
    return VerifierKey.from_public_key(name, raw, SIG_COSIGNATURE_V1).to_text()


def test_a_liaison_registers_and_removes_a_witness_and_the_public_list_follows(
    demo_server: Server,
) -> None:
    key = cosigner_key("witness.example/api-1")
    with GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as liaison:
        added = liaison.add_witness(key)
        with GaranteClient(demo_server.url, None) as anyone:
            assert (added.name, added.key) in {(w.name, w.key) for w in anyone.witnesses()}

            removed = liaison.remove_witness(added.id, reason="rotated")

            assert removed.removed_at is not None
            assert added.id not in {w.id for w in anyone.witnesses()}


def test_a_second_witness_of_one_name_is_409(demo_server: Server) -> None:
    with GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as liaison:
        liaison.add_witness(cosigner_key("witness.example/api-2"))
        with pytest.raises(GaranteAPIError) as raised:
            liaison.add_witness(cosigner_key("witness.example/api-2"))
    assert (raised.value.status, raised.value.code) == (409, "conflict.already_exists")


def test_a_witness_removed_once_is_404_the_second_time(demo_server: Server) -> None:
    with GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as liaison:
        added = liaison.add_witness(cosigner_key("witness.example/api-3"))
        liaison.remove_witness(added.id)
        with pytest.raises(GaranteAPIError) as raised:
            liaison.remove_witness(added.id)
    assert (raised.value.status, raised.value.code, raised.value.field) == (
        404,
        "not_found",
        "witness_id",
    )


def test_a_key_that_is_none_is_422_naming_the_key(demo_server: Server) -> None:
    with (
        GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as liaison,
        pytest.raises(GaranteAPIError) as raised,
    ):
        liaison.add_witness("not a verifier key")
    assert (raised.value.status, raised.value.code, raised.value.field) == (
        422,
        "validation.invalid",
        "key",
    )


def test_an_analyst_may_not_register_a_witness(demo_server: Server) -> None:
    with (
        GaranteClient(demo_server.url, demo_server.token("analyst", agency="dipol")) as analyst,
        pytest.raises(GaranteAPIError) as raised,
    ):
        analyst.add_witness(cosigner_key("witness.example/api-4"))
    assert (raised.value.status, raised.value.code) == (403, "auth.forbidden")
