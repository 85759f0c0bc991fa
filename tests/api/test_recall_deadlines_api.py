"""A recall's acknowledgement deadline over the API with the typed client: the recall gives
one, it is listed with the recall awaiting acknowledgement, and a malformed one is refused with
the field named. Runs on each store."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from garante.client import GaranteAPIError, GaranteClient
from garante.domain.timeutil import iso, parse_time
from garante.taxii.app import collection_id
from tests.support.servers import Server

RELEASE = 7  # the demo's release of DIJIN's co-2025-0422 to the DEA


@pytest.fixture(scope="module")
def delivered(demo_server: Server) -> Server:
    """The DEA reads its TAXII collection, so the release is delivered."""
    read = httpx.get(
        f"{demo_server.url}/taxii2/api/collections/{collection_id('dea')}/objects/",
        headers={"Authorization": f"Bearer {demo_server.token('partner', agency='dea')}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    return demo_server


def _analyst(server: Server) -> GaranteClient:
    return GaranteClient(server.url, server.token("analyst", agency="dijin"))


def test_a_malformed_deadline_is_refused_naming_the_field(delivered: Server) -> None:
    with _analyst(delivered) as analyst, pytest.raises(GaranteAPIError) as refused:
        analyst.recall_release(RELEASE, reason="source compromised", ack_within="soon")
    assert (refused.value.status, refused.value.field) == (422, "ack_within")


def test_a_recall_with_a_deadline_is_listed_with_it_until_acknowledged(delivered: Server) -> None:
    with (
        _analyst(delivered) as analyst,
        GaranteClient(delivered.url, delivered.token("overseer", agency="cti")) as overseer,
    ):
        recalled = analyst.recall_release(RELEASE, reason="source compromised", ack_within="48h")
        assert recalled.ack_by is not None and recalled.recalled_at is not None
        due = parse_time(recalled.recalled_at).replace(microsecond=0) + timedelta(hours=48)
        assert recalled.ack_by == iso(due)
        [waiting] = [r for r in overseer.unacknowledged_recalls() if r.release == RELEASE]
        assert (waiting.ack_by, waiting.overdue, waiting.agency) == (recalled.ack_by, False, "dea")
