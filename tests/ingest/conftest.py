"""Pulling from real TAXII 2.1 upstreams: medallion on loopback, in its own venv (shared with
``bench/taxii.py`` through ``tests/support/peers.py``), and a Garante store with an originator,
a partner with an undertaking, and an analyst who manages the sources."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from tests.support import peers, reach

ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")
USER, PASSWORD = "reader-of-the-upstream", "a-password-for-a-loopback-upstream"
MAIN = str(uuid.UUID(int=1, version=4))  # a collection of indicators
BROKEN = str(uuid.UUID(int=2, version=4))  # medallion answers every page of it with HTTP 500
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP 2.0 GREEN
UNKNOWN = f"marking-definition--{uuid.UUID(int=99, version=4)}"  # defined nowhere


def indicator(
    n: int, *, marking: str | None = GREEN, modified: str | None = None
) -> dict[str, Any]:
    """A valid STIX 2.1 indicator, the same for the same ``n``."""
    stamp = "2025-01-01T00:00:00.000Z"
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=1000 + n, version=4)}",
        "created": stamp,
        "modified": modified or stamp,
        "name": f"go-fast contact {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
    }
    if marking is not None:
        obj["object_marking_refs"] = [marking]
    return obj


def added(n: int) -> str:
    """The ``date_added`` of the n-th object: one a day, in order."""
    return f"2025-02-{n + 1:02d}T00:00:00.000000Z"


@pytest.fixture(scope="session")
def medallion_peer() -> peers.Peer:
    peer = peers.Peer.medallion()
    why = peer.install()
    if why is not None:
        pytest.skip(f"medallion {peers.MEDALLION_VERSION} cannot be installed: {why}")
    return peer


def upstream(
    peer: peers.Peer, home: Path, objects: Sequence[dict[str, Any]], *, page_size: int = 1000
) -> Any:
    """medallion serving ``objects`` in MAIN (writable) and an object it cannot serve in
    BROKEN: an extension definition, whose own ``version`` medallion mistakes for its TAXII
    version, answering every page with HTTP 500."""
    extension = {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": f"extension-definition--{uuid.UUID(int=7, version=4)}",
        "created_by_ref": f"identity--{uuid.UUID(int=8, version=4)}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "x",
        "schema": "https://example.org/schema",
        "version": "1.0",
        "extension_types": ["property-extension"],
    }
    return peers.medallion(
        peer,
        home,
        [
            peers.Collection(
                id=MAIN,
                objects=objects,
                dates_added=[added(n) for n in range(len(objects))],
                can_write=True,
            ),
            peers.Collection(id=BROKEN, objects=[extension], dates_added=[added(0)]),
        ],
        users={USER: PASSWORD},
        page_size=page_size,
    )


@pytest.fixture
def medallion(medallion_peer: peers.Peer, tmp_path: Path) -> Iterator[peers.Medallion]:
    """Five green indicators, added a day apart."""
    with upstream(medallion_peer, tmp_path / "medallion", [indicator(n) for n in range(5)]) as m:
        yield m


@pytest.fixture
def world(garante: Garante) -> Garante:
    # The upstreams listen on loopback; the folders and feeds are under the temporary directory.
    reach.allow(garante)
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    garante.register_agency("dea", name="DEA", country="US")
    terms = garante.draft_undertaking("dea", permits=["seizure", "analysis"])
    garante.record_undertaking(terms, signature=None)
    return garante


def add_source(garante: Garante, url: str, *, source_id: str = "upstream", **terms: Any) -> Garante:
    """The source, added by DIPOL's analyst; the analyst's service is returned."""
    analyst = garante.acting_as(ANALYST)
    terms.setdefault("collection", MAIN)
    terms.setdefault("auth", "basic")
    if terms["auth"] == "basic":
        terms.setdefault("username", USER)
        terms.setdefault("secret", PASSWORD)
    analyst.add_source(
        source_id,
        url=url,
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        **terms,
    )
    return analyst


@pytest.fixture(scope="session")
def opentaxii_peer() -> peers.Peer:
    peer = peers.Peer.opentaxii()
    why = peer.install()
    if why is not None:
        pytest.skip(f"OpenTAXII cannot be installed: {why}")
    return peer


@pytest.fixture
def opentaxii(opentaxii_peer: peers.Peer, tmp_path: Path) -> Iterator[peers.OpenTaxii]:
    """Three green indicators in OpenTAXII, read with a bearer token. Their ``date_added``
    have microseconds: OpenTAXII 0.9 refuses its own next token ("Not a valid value") when
    the instant in it is a whole second."""
    rows = [
        {"object": indicator(n), "date_added": added(n).replace(".000000Z", f".{n + 1:06d}Z")}
        for n in range(3)
    ]
    with peers.opentaxii(
        opentaxii_peer,
        tmp_path / "opentaxii",
        rows,
        user=USER,
        password=PASSWORD,
        secret=uuid.UUID(int=5, version=4).hex * 2,
    ) as server:
        yield server
