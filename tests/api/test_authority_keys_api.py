"""An authority's key changes over the API only with proof, as an agency's does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.client import GaranteAPIError, GaranteClient
from garante.scenarios.keys import demo_key
from garante.signatures import encode_public_key, public_key_bytes
from tests.support.servers import Server


@pytest.fixture(scope="module")
def liaison(demo_server: Server) -> Iterator[GaranteClient]:
    with GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as client:
        yield client


def _key(client: GaranteClient, authority_id: str) -> str | None:
    key: str | None = {a.id: a for a in client.iter_authorities()}[authority_id].public_key
    return key


def test_an_unsigned_authority_key_change_is_refused(liaison: GaranteClient) -> None:
    before = _key(liaison, "mininterior")
    new = public_key_bytes(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(GaranteAPIError) as refused:
        liaison.set_authority_key("mininterior", new)
    assert refused.value.code == "signature.required"
    assert _key(liaison, "mininterior") == before


def test_the_current_authority_key_signs_its_successor_over_the_api(
    liaison: GaranteClient,
) -> None:
    new = public_key_bytes(Ed25519PrivateKey.generate().public_key())
    changed = liaison.set_authority_key("mininterior", new, key=demo_key("mininterior"))
    assert changed.public_key == encode_public_key(new)
    assert _key(liaison, "mininterior") == encode_public_key(new)
