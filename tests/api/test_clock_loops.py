"""A running server moves what time moves by itself: nobody has to call a refresh.

The server runs on the system clock, as deployed (the demo's pinned clock is freed first), and
the test only watches: every change it sees was made by ``garante serve``'s own loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from garante.client import GaranteClient, Scope
from garante.scenarios.keys import demo_key
from tests.support.scenario import scenario_bundle
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
        }
    with running_server(store) as server:
        yield server, tokens


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
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if analyst.get_release(held.request).outcome != "held":
                break
            time.sleep(0.2)
        assert analyst.get_release(held.request).outcome == "released"
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
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if analyst.get_release(held.request).outcome != "held":
                break
            time.sleep(0.2)
        assert analyst.get_release(held.request).outcome == "released"
        last = analyst.release_decisions(held.request)[-1]
    assert last.trigger.startswith("item co-embargoed embargo ended at")
