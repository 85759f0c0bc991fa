"""``garante serve`` pulls each source on its schedule, in a thread of its own, and stops with
the server."""

from __future__ import annotations

import time
from pathlib import Path

from garante.service.app import Garante
from tests.ingest.conftest import ANALYST, MAIN, PASSWORD, USER
from tests.support import peers, reach
from tests.support.servers import running_server


def test_serve_pulls_a_due_source_and_stops_when_told(
    medallion: peers.Medallion, tmp_path: Path
) -> None:
    db = tmp_path / "garante.db"
    garante = reach.allow(Garante.open(f"sqlite:///{db}", actor="cli"))  # medallion: loopback
    try:
        garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
        garante.acting_as(ANALYST).add_source(
            "upstream",
            url=medallion.api_root,
            collection=MAIN,
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            auth="basic",
            username=USER,
            secret=PASSWORD,
            interval=600,
        )
    finally:
        garante.close()

    extra = ("--sources-check", "0.5", *reach.serve_options())
    with running_server(db, extra=extra) as server:
        deadline = time.monotonic() + 30
        items = 0
        while time.monotonic() < deadline and items < 5:
            time.sleep(0.2)
            reader = Garante.open(f"sqlite:///{db}", actor="test")
            try:
                items = reader.source("upstream").items
            finally:
                reader.close()
        assert items == 5
        server.process.terminate()
        assert server.process.wait(timeout=15) in (0, -15)
