"""A running server moves what time moves by itself: nobody has to call a refresh.

The server runs on the system clock, as deployed (the demo's pinned clock is freed first), and
the test only watches: every change it sees was made by ``garante serve``'s own loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from garante.client import GaranteClient, Scope
from garante.scenarios.keys import demo_key
from garante.taxii.app import collection_id
from garante.taxii.media import TAXII_JSON
from tests.support.scenario import own_bundle, scenario_bundle
from tests.support.servers import Server, running_server
from tests.support.stores import new_store

AUTHORITY = "presidency"


@pytest.fixture(scope="module")
def live(
    request: pytest.FixtureRequest, server_backend: str
) -> Iterator[tuple[Server, dict[str, str]]]:
    store = new_store(request, server_backend, "clock-loops")
    store.replay_demo()
    with store.service("test") as garante:
        garante.pin_clock(None)
        tokens = {
            "analyst": garante.create_token(role="analyst", agency_id="dipol")[1],
            "authority": garante.create_token(role="authority", authority_id=AUTHORITY)[1],
            **{
                partner: garante.create_token(role="partner", agency_id=partner)[1]
                for partner in ("dea", "nca", "fbi")
            },
        }
    with running_server(store) as server:
        yield server, tokens


def _once_no_longer_held(client: GaranteClient, request: int) -> str:
    """The request's outcome once the server's loop has moved it, or after 15 s."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if (outcome := client.get_release(request).outcome) != "held":
            return outcome
        time.sleep(0.2)
    return client.get_release(request).outcome


def test_a_hold_whose_period_ends_releases_what_it_held_without_anyone_asking(
    live: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = live
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    with (
        GaranteClient(server.url, tokens["authority"]) as authority,
        GaranteClient(server.url, tokens["analyst"]) as analyst,
    ):
        issued = authority.issue_order(
            "hold",
            reason="a hold for three seconds",
            scope=Scope(agencies=["nca"]),
            valid_until=ends,
            key=demo_key(AUTHORITY),
        )
        held = analyst.request_release("co-2025-0417", recipient="nca", purpose="seizure")
        assert held.outcome == "held"
        assert _once_no_longer_held(analyst, held.request) == "released"
        last = analyst.release_decisions(held.request)[-1]
    assert last.trigger == f"order {issued.order.id} period ended"


def test_a_derived_condition_lapses_when_its_last_event_leaves_the_window(
    live: tuple[Server, dict[str, str]],
) -> None:
    """The demo's condition counts vessel strikes of the last 30 days: one recorded 30 days
    less three seconds ago makes it active, and three seconds later it lapses on its own."""
    server, tokens = live
    condition = "caribbean-vessel-strikes"
    occurred = datetime.now(UTC) - timedelta(days=30) + timedelta(seconds=3)
    with GaranteClient(server.url, tokens["analyst"]) as analyst:

        def active() -> bool:
            return bool(next(c for c in analyst.iter_conditions() if c.id == condition).active)

        analyst.record_event(  # DIPOL reports the demo's strikes, signed with its key
            "vessel-strike", region="caribbean", occurred_at=occurred, key=demo_key("dipol")
        )
        assert active()
        deadline = time.monotonic() + 15
        while active() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not active()


def test_an_items_embargo_ends_and_the_server_releases_what_it_held_without_anyone_asking(
    live: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = live
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    with GaranteClient(server.url, tokens["analyst"]) as analyst:
        item = analyst.add_item(
            "co-embargoed",
            title="Embargoed until the operation ends",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            bundle=scenario_bundle("co-2025-0422"),
            embargo_until=ends,
        )
        assert item.embargo_until is not None
        held = analyst.request_release("co-embargoed", recipient="dea", purpose="seizure")
        assert held.outcome == "held"
        assert _once_no_longer_held(analyst, held.request) == "released"
        last = analyst.release_decisions(held.request)[-1]
    assert last.trigger.startswith("item co-embargoed embargo ended at")


def _taxii_reports(server: Server, token: str, partner: str, item_ids: set[str]) -> list[Any]:
    """The partner's TAXII collection, every version, of the reports with these ids."""
    response = httpx.get(
        f"{server.url}/taxii2/api/collections/{collection_id(partner)}/objects/",
        params={"match[version]": "all", "match[type]": "report"},
        headers={"Authorization": f"Bearer {token}", "Accept": TAXII_JSON},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [o for o in response.json().get("objects", []) if o["id"] in item_ids]


def test_an_item_that_expires_reaches_exactly_the_partners_that_received_it_revoked(
    live: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = live
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    bundle = own_bundle("co-expiring")
    [report_id] = [o["id"] for o in bundle["objects"] if o["type"] == "report"]
    with GaranteClient(server.url, tokens["analyst"]) as analyst:
        analyst.add_item(
            "co-expiring",
            title="Valid until the boats leave",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            bundle=bundle,
            expires_at=expires,
        )
        for partner in ("dea", "nca"):
            released = analyst.request_release("co-expiring", recipient=partner, purpose="seizure")
            assert released.outcome == "released"
    [delivered] = _taxii_reports(server, tokens["dea"], "dea", {report_id})  # the NCA never pulls
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        versions = _taxii_reports(server, tokens["dea"], "dea", {report_id})
        if any(v.get("revoked") for v in versions):
            break
        time.sleep(0.3)
    assert [v.get("revoked", False) for v in versions] == [False, True]
    assert versions[0] == delivered
    assert _taxii_reports(server, tokens["nca"], "nca", {report_id}) == []
    assert _taxii_reports(server, tokens["fbi"], "fbi", {report_id}) == []
