"""Pulling from OpenTAXII, the other TAXII 2.1 server, with a bearer token.

OpenTAXII 0.9 serves every TAXII 2.1 object with ``spec_version`` set to the object's type
(``opentaxii/server.py``), which is not STIX 2.1: each object is refused, with why, and the
pull goes on; nothing of it becomes an item.
"""

from __future__ import annotations

import pytest

from garante.domain.errors import UpstreamFailed
from garante.service.app import Garante
from garante.upstream.taxii import Retry
from tests.ingest.conftest import add_source, indicator
from tests.support import peers

FAST = Retry(attempts=2, backoff=0.01)


def test_a_bearer_token_reads_an_opentaxii_collection_page_by_page(
    world: Garante, opentaxii: peers.OpenTaxii
) -> None:
    analyst = add_source(
        world,
        opentaxii.api_root,
        collection=opentaxii.collection,
        auth="bearer",
        secret=opentaxii.token,
    )

    pulled = analyst.pull_source("upstream", retry=FAST, limit=2).value

    assert (pulled.pages, pulled.objects) == (2, 3)
    assert analyst.source("upstream").position == "2025-02-03T00:00:00.000003Z"
    again = analyst.pull_source("upstream", retry=FAST).value
    assert (again.pages, again.objects) == (1, 0)


def test_objects_that_are_not_stix_are_refused_with_why_and_shown_in_the_state(
    world: Garante, opentaxii: peers.OpenTaxii
) -> None:
    analyst = add_source(
        world,
        opentaxii.api_root,
        collection=opentaxii.collection,
        auth="bearer",
        secret=opentaxii.token,
    )

    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert pulled.items == () and len(pulled.rejected) == 3
    assert all("not valid STIX 2.1" in why for why in pulled.rejected)
    assert {why.split(":")[0] for why in pulled.rejected} == {indicator(n)["id"] for n in range(3)}
    state = analyst.source("upstream")
    assert state.last_error is not None and state.last_error.startswith("3 not taken;")
    assert state.last_success_at == state.last_error_at
    assert world.items() == []


def test_a_wrong_bearer_token_is_refused_and_recorded(
    world: Garante, opentaxii: peers.OpenTaxii
) -> None:
    analyst = add_source(
        world,
        opentaxii.api_root,
        collection=opentaxii.collection,
        auth="bearer",
        secret="not-a-token",
    )

    with pytest.raises(UpstreamFailed, match="HTTP 401"):
        analyst.pull_source("upstream", retry=FAST)
    assert "HTTP 401" in (analyst.source("upstream").last_error or "")
