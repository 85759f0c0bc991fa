"""Acknowledgements over the API with the typed client: a partner signs its acknowledgement of
a recall, the same one again is accepted once, a forged one and one of another partner's
release are refused, and the recalls awaiting one are listed. Runs on each store."""

from __future__ import annotations

import httpx
import pytest

from garante.client import GaranteAPIError, GaranteClient
from garante.scenarios.keys import demo_key
from garante.taxii.app import collection_id
from tests.support.servers import Server

RELEASE = 7  # the demo's release of DIJIN's co-2025-0422 to the DEA
AT = "2025-11-13T22:00:00Z"  # before the demo store's pinned clock


@pytest.fixture(scope="module")
def recalled(demo_server: Server) -> Server:
    """The DEA reads its TAXII collection (so the release is delivered), then it is recalled."""
    read = httpx.get(
        f"{demo_server.url}/taxii2/api/collections/{collection_id('dea')}/objects/",
        headers={"Authorization": f"Bearer {demo_server.token('partner', agency='dea')}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    with GaranteClient(demo_server.url, demo_server.token("analyst", agency="dijin")) as analyst:
        analyst.recall_release(RELEASE, reason="source compromised")
    return demo_server


def _client(server: Server, agency: str) -> GaranteClient:
    return GaranteClient(server.url, server.token("partner", agency=agency))


def test_a_recall_is_listed_until_its_partner_acknowledges_it_once(recalled: Server) -> None:
    with (
        _client(recalled, "dea") as dea,
        GaranteClient(recalled.url, recalled.token("overseer", agency="cti")) as overseer,
    ):
        assert RELEASE in [r.release for r in overseer.unacknowledged_recalls()]
        assert [r.release for r in dea.unacknowledged_recalls()] == [RELEASE]
        done = dea.acknowledge(
            RELEASE, of="recall", agency="dea", key=demo_key("dea"), acknowledged_at=AT
        )
        assert done.new and done.acknowledgement.of == "recall"
        again = dea.acknowledge(
            RELEASE,
            of="recall",
            agency="dea",
            key=demo_key("dea"),
            acknowledged_at=AT,
            ack_id=done.acknowledgement.id,
        )
        assert not again.new
        assert RELEASE not in [r.release for r in overseer.unacknowledged_recalls()]
        assert [a.id for a in dea.list_acknowledgements()] == [done.acknowledgement.id]


def test_an_acknowledgement_signed_by_another_key_is_refused(recalled: Server) -> None:
    with _client(recalled, "dea") as dea, pytest.raises(GaranteAPIError) as refused:
        dea.acknowledge(
            RELEASE, of="delivery", agency="dea", key=demo_key("nca"), acknowledged_at=AT
        )
    assert (refused.value.status, refused.value.code) == (422, "signature.invalid")


def test_another_partners_release_is_not_found(recalled: Server) -> None:
    with _client(recalled, "nca") as nca, pytest.raises(GaranteAPIError) as refused:
        nca.acknowledge(RELEASE, of="recall", agency="nca", key=demo_key("nca"), acknowledged_at=AT)
    assert (refused.value.status, refused.value.code) == (404, "acknowledgement.release_not_found")
    assert "dea" not in refused.value.message
