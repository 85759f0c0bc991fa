"""GET /api/v1/releases?item=ID: the requests for one item, as the service narrows them."""

from __future__ import annotations

import httpx

from tests.support.servers import Server

ITEM = "co-2025-0417"


def _ids(server: Server, token: str, item: str) -> list[tuple[int, str, str]]:
    response = httpx.get(
        f"{server.api}/releases",
        params={"item": item, "limit": 100},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return [(r["id"], r["item"], r["recipient"]) for r in response.json()["items"]]


def test_the_releases_of_one_item_are_its_requests_alone(demo_server: Server) -> None:
    rows = _ids(demo_server, demo_server.token("overseer", agency="cti"), ITEM)
    assert [row[0] for row in rows] == [1, 3, 4, 11, 12, 13]
    assert {row[1] for row in rows} == {ITEM}


def test_a_partner_asking_for_an_items_releases_gets_its_own_released_ones(
    demo_server: Server,
) -> None:
    rows = _ids(demo_server, demo_server.token("partner", agency="dea"), ITEM)
    assert rows == [(1, ITEM, "dea"), (13, ITEM, "dea")]  # not its denied request 4


def test_an_item_nobody_asked_for_has_no_releases(demo_server: Server) -> None:
    assert _ids(demo_server, demo_server.token("overseer", agency="cti"), "no-such-item") == []
