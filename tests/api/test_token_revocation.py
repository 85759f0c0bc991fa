"""A revoked token is refused by a running server from the next request on, though the
release route answers tokens it knows from a cache (``api.auth.TokenCache``)."""

from __future__ import annotations

import httpx

from tests.support.servers import Server


def test_a_revoked_token_is_refused_by_the_running_server_at_once(demo_server: Server) -> None:
    secret = demo_server.token("analyst", agency="dipol")
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"item": "co-2025-0417", "recipient": "dea", "purpose": "analysis"}
    me = httpx.get(f"{demo_server.api}/me", headers=headers)
    assert me.status_code == 200
    assert httpx.post(f"{demo_server.api}/releases", json=body, headers=headers).status_code == 201

    revoked = demo_server.cli("tokens", "revoke", me.json()["token"])
    assert revoked.returncode == 0, revoked.stderr

    for response in (
        httpx.get(f"{demo_server.api}/me", headers=headers),
        httpx.post(f"{demo_server.api}/releases", json=body, headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "auth.unauthenticated"


def test_a_release_by_a_token_revoked_after_the_server_knew_it_stores_nothing(
    demo_server: Server,
) -> None:
    secret = demo_server.token("analyst", agency="dipol")
    reader = {"Authorization": f"Bearer {demo_server.token('overseer', agency='dipol')}"}
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"item": "co-2025-0417", "recipient": "fbi", "purpose": "analysis"}
    first = httpx.post(f"{demo_server.api}/releases", json=body, headers=headers)
    assert first.status_code == 201, first.text
    listed = {"item": "co-2025-0417", "recipient": "fbi", "limit": "1000"}
    before = httpx.get(f"{demo_server.api}/releases", params=listed, headers=reader).json()

    token_id = httpx.get(f"{demo_server.api}/me", headers=headers).json()["token"]
    assert demo_server.cli("tokens", "revoke", token_id).returncode == 0
    refused = httpx.post(f"{demo_server.api}/releases", json=body, headers=headers)

    assert refused.status_code == 401
    after = httpx.get(f"{demo_server.api}/releases", params=listed, headers=reader).json()
    assert after == before
