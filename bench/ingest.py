"""Ingest: items a second from a medallion upstream and from a MISP feed, beside their ceilings.

Run ``python bench/ingest.py`` (``--quick`` for a smaller run). Everything happens in a fresh
temporary directory, deleted at the end, servers stopped, whatever happens; only medallion's
virtual environment is kept, in the peers' cache directory (``tests/support/peers.py``).

TAXII: medallion 3.0.0 (the OASIS reference server, memory backend, HTTP basic auth) serves a
collection of 10,000 seeded, valid STIX 2.1 indicators, each added a second after the last and
marked TLP:GREEN. Ceiling: the upstream's raw page fetch, httpx paging through every page of
1,000 (``limit`` and ``next``) and parsing the JSON, nothing else. Ingest: a TAXII source
(per object, each object one item) on a fresh SQLite store, pulled once through
``Garante.pull_source``: every page fetched with taxii2-client, every object grouped, its
markings read, validated as a bundle, committed to, logged and stored, one transaction each.

MISP: a feed of 1,000 events written by PyMISP (``tests/support/misp_feed.py``), each with a
``tlp:`` tag and three attributes. Ceiling: misp-stix's conversion alone, each event file read,
parsed and converted with ``MISPtoSTIX21Parser`` (a parser per event, as Garante converts) and
serialized. Ingest: a MISP feed source on the feed's directory, pulled once: the manifest read,
each event converted, marked by its tags, validated, stored and logged.

medallion's memory backend filters its whole collection on each first page (quadratic in the
collection: minutes at 10,000 objects on a small machine); its later pages come from the
session the first one made. Both the raw fetch and the pull pay that first page, so both
figures include it; it is printed apart.

``--quick``: 1,000 objects and 200 events, and medallion only if its venv is already there.

Target (issue 20): each ingest at least half the rate of the slower of the two ceilings.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.sources import validation
from tests.support import peers, reach
from tests.support.misp_feed import misp_event, write_feed

SEED = 20251204
AT = datetime(2026, 1, 10, tzinfo=UTC)
OBJECTS, EVENTS = 10_000, 1_000
QUICK_OBJECTS, QUICK_EVENTS = 1_000, 200
PAGE = 1_000
USER, PASSWORD = "bench", "a-password-for-a-loopback-upstream"
COLLECTION = str(uuid.UUID(int=1, version=4))
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
ANALYST = Principal(token_id="bench-analyst", role=Role.ANALYST, agency_id="dipol")
TARGET = 0.5  # of the slower ceiling


@dataclass(frozen=True)
class Rate:
    what: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    def line(self) -> str:
        rate = f"{self.per_second:9,.1f}/s"
        return f"  {self.what:<48} {self.count:>7,} in {self.seconds:8.2f} s = {rate}"


def indicators(count: int, rng: random.Random) -> list[dict[str, Any]]:
    stamp = "2026-01-01T00:00:00.000Z"
    out = []
    for n in range(count):
        address = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        out.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                "created": stamp,
                "modified": stamp,
                "name": f"go-fast contact {n}",
                "pattern": f"[ipv4-addr:value = '{address}']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [GREEN],
            }
        )
    return out


def store(home: Path, name: str) -> Garante:
    garante = Garante.open(f"sqlite:///{home / name}.db", clock=FixedClock(AT), actor="bench")
    reach.allow(garante)  # its upstreams listen on loopback, its folders in the temporary directory
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    return garante


def raw_fetch(url: str) -> Rate:
    """Every page of the collection with httpx, as JSON: the upstream's own ceiling."""
    count, token = 0, None
    headers = {"Accept": peers.TAXII_JSON}
    started = time.perf_counter()
    with httpx.Client(auth=(USER, PASSWORD), headers=headers, timeout=3600) as client:
        while True:
            params: dict[str, Any] = {"limit": PAGE}
            if token:
                params["next"] = token
            envelope = client.get(url, params=params).raise_for_status().json()
            count += len(envelope.get("objects", []))
            if not envelope.get("more"):
                break
            token = envelope["next"]
    return Rate("medallion raw page fetch (httpx)", count, time.perf_counter() - started)


def first_page(url: str) -> float:
    started = time.perf_counter()
    with httpx.Client(auth=(USER, PASSWORD), timeout=3600) as client:
        client.get(
            url, params={"limit": PAGE}, headers={"Accept": peers.TAXII_JSON}
        ).raise_for_status()
    return time.perf_counter() - started


def taxii_ingest(home: Path, upstream: peers.Medallion) -> Rate:
    garante = store(home, "taxii")
    try:
        analyst = garante.acting_as(ANALYST)
        analyst.add_source(
            "medallion",
            url=upstream.api_root,
            collection=COLLECTION,
            auth="basic",
            username=USER,
            secret=PASSWORD,
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
        )
        # Imported on a process's first validation (1.6 s), not timed, as the ceiling's import
        # of misp-stix is not: the figure is the rate of a server that pulls again and again.
        validation.options()
        started = time.perf_counter()
        pulled = analyst.pull_source("medallion", timeout=3600).value
        seconds = time.perf_counter() - started
        assert not pulled.rejected, pulled.rejected[:3]
        return Rate("Garante ingest from medallion (pull_source)", len(pulled.items), seconds)
    finally:
        garante.close()


def convert_alone(feed: Path, uuids: Sequence[str]) -> Rate:
    """misp-stix alone: read, parse and convert each event file, serialize its bundle."""
    from misp_stix_converter import MISPtoSTIX21Parser

    started = time.perf_counter()
    for event_uuid in uuids:
        event = json.loads((feed / f"{event_uuid}.json").read_bytes())
        parser = MISPtoSTIX21Parser()
        parser.parse_misp_event(event)
        parser.bundle.serialize()
    return Rate("misp-stix conversion alone", len(uuids), time.perf_counter() - started)


def misp_ingest(home: Path, feed: Path) -> Rate:
    garante = store(home, "misp")
    try:
        analyst = garante.acting_as(ANALYST)
        analyst.add_source(
            "misp",
            kind="misp-feed",
            url=str(feed),
            collection=None,
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
        )
        started = time.perf_counter()
        pulled = analyst.pull_source("misp").value
        seconds = time.perf_counter() - started
        assert not pulled.rejected, pulled.rejected[:3]
        return Rate("Garante ingest from the MISP feed (pull_source)", len(pulled.items), seconds)
    finally:
        garante.close()


def make_feed(directory: Path, count: int, rng: random.Random) -> list[str]:
    events = []
    for n in range(count):
        address = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        events.append(
            misp_event(
                f"Go-fast boat sighting {n}",
                tags=(rng.choice(("tlp:green", "tlp:amber")),),
                attributes=(
                    ("ip-dst", address),
                    ("domain", f"contact-{n}.example"),
                    ("sha256", f"{rng.getrandbits(256):064x}"),
                ),
                timestamp=AT - timedelta(days=30) + timedelta(seconds=n),
                event_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            )
        )
    write_feed(directory, events)
    return [str(e.uuid) for e in events]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest: Garante's sources beside their ceilings.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 objects and 200 events; medallion only if installed",
    )
    parser.add_argument("--objects", type=int, help="objects in the medallion collection")
    parser.add_argument("--events", type=int, help="events in the MISP feed")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--peers-dir", type=Path, default=peers.peers_dir())
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    objects = args.objects or (QUICK_OBJECTS if args.quick else OBJECTS)
    events = args.events or (QUICK_EVENTS if args.quick else EVENTS)
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="garante-bench-ingest-"))
    rates: dict[str, Rate] = {}
    try:
        print(f"Ingest: {objects:,} objects from medallion, {events:,} MISP events")
        feed = home / "feed"
        uuids = make_feed(feed, events, rng)
        rates["convert"] = convert_alone(feed, uuids)
        print(rates["convert"].line())
        rates["misp"] = misp_ingest(home, feed)
        print(rates["misp"].line())

        peer = peers.Peer.medallion(args.peers_dir)
        why = None if peer.installed() or not args.quick else "--quick installs no peer"
        why = why or peer.install()
        if why is not None:
            print(f"  medallion {peers.MEDALLION_VERSION}: cannot be installed ({why}); skipped")
        else:
            stix = indicators(objects, rng)
            added = [
                (AT + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                for n in range(objects)
            ]
            collection = peers.Collection(id=COLLECTION, objects=stix, dates_added=added)
            with peers.medallion(
                peer, home / "medallion", [collection], users={USER: PASSWORD}, page_size=PAGE
            ) as upstream:
                url = upstream.objects_url(COLLECTION)
                print(f"  medallion first page of {PAGE:,}: {first_page(url):.2f} s")
                rates["raw"] = raw_fetch(url)
                print(rates["raw"].line())
                rates["taxii"] = taxii_ingest(home, upstream)
                print(rates["taxii"].line())
    finally:
        shutil.rmtree(home, ignore_errors=True)

    ceilings = [rates[k] for k in ("raw", "convert") if k in rates]
    slower = min(ceilings, key=lambda r: r.per_second)
    floor = TARGET * slower.per_second
    print(f"Target: each ingest >= {TARGET:g} x the slower ceiling ({slower.what}): {floor:,.1f}/s")
    met = True
    for key in ("taxii", "misp"):
        if key not in rates:
            print(f"  {key}: not measured")
            continue
        rate = rates[key]
        ok = rate.per_second >= floor
        met &= ok
        print(
            f"  {'MET' if ok else 'MISSED'}: {rate.what} {rate.per_second:,.1f}/s = "
            f"{rate.per_second / slower.per_second:.2f} x the slower ceiling"
        )
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
