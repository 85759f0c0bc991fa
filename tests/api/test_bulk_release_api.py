"""POST /api/v1/releases/batch: many releases in one call, each decided, all stored or none."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.servers import Server

ITEM = "co-2025-0417"


@pytest.fixture(scope="module")
def client(demo_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_server.api, timeout=60) as session:
        yield session


@pytest.fixture(scope="module")
def analyst(demo_server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo_server.token('analyst', agency='dipol')}"}


def _batch(*recipients: str, purpose: str = "seizure") -> dict[str, list[dict[str, str]]]:
    return {"releases": [{"item": ITEM, "recipient": r, "purpose": purpose} for r in recipients]}


def test_a_batch_answers_each_decision_in_the_order_asked(
    client: httpx.Client, analyst: dict[str, str]
) -> None:
    response = client.post("/releases/batch", json=_batch("dea", "fbi", "nca"), headers=analyst)
    assert response.status_code == 201, response.text
    decisions = response.json()["decisions"]
    assert [d["recipient"] for d in decisions] == ["dea", "fbi", "nca"]
    assert [d["outcome"] for d in decisions] == ["released", "held", "released"]
    for decided in decisions:
        shown = client.get(f"/releases/{decided['request']}", headers=analyst).json()
        assert shown["outcome"] == decided["outcome"]


def test_a_bad_triple_is_refused_with_its_index_and_nothing_is_stored(
    client: httpx.Client, analyst: dict[str, str]
) -> None:
    before = client.get("/releases", params={"limit": 1000}, headers=analyst).json()["items"]
    response = client.post("/releases/batch", json=_batch("dea", "DEA", "nca"), headers=analyst)
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["code"] == "agency.not_found"
    assert body["field"] == "releases[1].recipient"
    assert "nothing of the batch was stored" in body["message"]
    assert "dea" in body["hint"]
    after = client.get("/releases", params={"limit": 1000}, headers=analyst).json()["items"]
    assert after == before


def test_more_than_ten_thousand_triples_are_refused_unread(
    client: httpx.Client, analyst: dict[str, str]
) -> None:
    response = client.post("/releases/batch", json=_batch(*["dea"] * 10_001), headers=analyst)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation.invalid"


def test_a_partner_may_not_send_a_batch(client: httpx.Client, demo_server: Server) -> None:
    partner = {"Authorization": f"Bearer {demo_server.token('partner', agency='dea')}"}
    response = client.post("/releases/batch", json=_batch("dea"), headers=partner)
    assert response.status_code == 403, response.text
