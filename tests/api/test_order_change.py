"""An order write answers with what it changed now, as the console's result page lists it."""

from __future__ import annotations

from garante.client import GaranteClient, Scope
from garante.scenarios.keys import demo_key
from tests.support.servers import Server


def test_an_order_that_withholds_undelivered_releases_lists_them_in_its_answer(
    demo_server: Server,
) -> None:
    token = demo_server.token("authority", authority="presidency")
    with GaranteClient(demo_server.url, token, timeout=20) as presidency:
        change = presidency.issue_order(
            "deny",
            order_id="nca-denial",
            scope=Scope(agencies=["nca"]),
            reason="Nothing more for the NCA.",
            key=demo_key("presidency"),
        )
        withheld = change.withheld
        assert withheld, change
        assert {r.recipient for r in withheld} == {"nca"}
        assert {r.outcome for r in withheld} == {"denied"}
        assert all(r.trigger == "order nca-denial issued" for r in withheld)
        for r in withheld:
            assert presidency.get_release(r.request).delivery == "withheld"
        assert change.available == []
