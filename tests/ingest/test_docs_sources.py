"""docs/sources.md, checked by machine: its commands, typed against a real medallion, print
what the page shows.

The page's store has DIPOL (the originator), the DEA with an undertaking for seizures, and the
DEA's standing agreement for maritime items up to TLP:AMBER; the upstream is medallion on
loopback with five indicators, one of them under a marking no one defined. ``$UPSTREAM``,
``$COLLECTION`` and ``$UPSTREAM_PASSWORD`` are set as the page says; addresses, instants and
request numbers are masked on both sides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from garante.service.app import Garante
from tests.cli.as_printed import run_as_printed
from tests.ingest.conftest import GREEN, MAIN, PASSWORD, UNKNOWN, USER, indicator, upstream
from tests.support import peers, reach
from tests.support.docblocks import text_commands
from tests.support.misp_feed import WHEN, feed_json, misp_event, write_feed

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


LAG = re.compile(r"│ \d+ s +│")
COMMITMENT = re.compile(r"[0-9a-f]{16}…")  # salted afresh each run


RULE = re.compile(r"([━─])\1+")
GAP = re.compile(r" {2,}")


def masked(line: str) -> str:
    """Addresses, instants, salted commitments and the lag, which the clock moves, are masked.
    A lag of 10 s or more on a slow machine widens its column, so a table's rules and padding
    are compared by what they separate, not by their width."""
    line = ADDRESS.sub("http://127.0.0.1:<port>", line)
    line = INSTANT.sub("<instant>", line)
    line = COMMITMENT.sub("<commitment>", line)
    line = LAG.sub("│ <lag> │", line)
    return GAP.sub(" ", RULE.sub(r"\1", line))


def page_objects() -> list[dict[str, object]]:
    """Four green indicators, and one marked with a marking no one defined."""
    return [indicator(n, marking=GREEN) for n in range(4)] + [indicator(4, marking=UNKNOWN)]


@pytest.fixture
def page_store(tmp_path: Path) -> Path:
    db = tmp_path / "garante.db"
    garante = Garante.open(f"sqlite:///{db}", actor="cli")
    try:
        garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
        garante.register_agency("dea", name="DEA", country="US")
        garante.record_undertaking(
            garante.draft_undertaking("dea", permits=["seizure"]), signature=None
        )
        terms = garante.draft_agreement(
            "dea",
            agreement_id="dea-maritime",
            purposes=["seizure"],
            categories=["maritime-interdiction"],
            tlp_ceiling="amber",
        )
        garante.make_agreement(terms)
    finally:
        garante.close()
    return db


@pytest.fixture
def page_upstream(medallion_peer: peers.Peer, tmp_path: Path) -> Iterator[peers.Medallion]:
    with upstream(medallion_peer, tmp_path / "medallion", page_objects()) as served:
        yield served


def page_feed(directory: Path) -> Path:
    """The MISP feed of "Connect a MISP feed": two events, made by PyMISP."""
    return write_feed(
        directory,
        [
            misp_event(
                "Go-fast boat sighted off Tumaco",
                tags=("tlp:green",),
                event_uuid="5f1a2b3c-0000-4000-8000-000000000001",
            ),
            misp_event(
                "Semi-submersible leaving Buenaventura",
                tags=("tlp:amber",),
                timestamp=WHEN + timedelta(hours=1),
                event_uuid="5f1a2b3c-0000-4000-8000-000000000002",
            ),
        ],
    )


def page_folder(directory: Path) -> Path:
    """The folder of "A folder of bundles": a bundle of two indicators, and a broken file."""
    directory.mkdir()
    bundle = {
        "type": "bundle",
        "id": "bundle--6c1b2c4e-0000-4000-8000-000000000001",
        "objects": [indicator(10, marking=GREEN), indicator(11, marking=GREEN)],
    }
    (directory / "2026-01-07-tumaco.json").write_text(json.dumps(bundle))
    (directory / "2026-01-08-draft.json").write_text('{"type": "bundle", "objects": [')
    return directory


def page_versions(directory: Path) -> None:
    """The MISP exports of "Versions and revocations": the feed's first event corrected, then
    raised to TLP:RED, and its second event deleted."""
    first, second = (f"5f1a2b3c-0000-4000-8000-00000000000{n}" for n in (1, 2))
    corrected = misp_event(
        "Go-fast boat sighted off Tumaco, two crew",
        tags=("tlp:green",),
        timestamp=WHEN + timedelta(hours=2),
        event_uuid=first,
    )
    red = misp_event(
        "Go-fast boat sighted off Tumaco, two crew",
        tags=("tlp:red",),
        timestamp=WHEN + timedelta(hours=3),
        event_uuid=first,
    )
    deleted = misp_event(
        "Semi-submersible leaving Buenaventura",
        tags=("tlp:amber",),
        timestamp=WHEN + timedelta(hours=4),
        event_uuid=second,
    )
    deleted.deleted = True
    (directory / "event-v2.json").write_text(corrected.to_json())
    (directory / "event-red.json").write_text(red.to_json())
    (directory / "event-deleted.json").write_text(deleted.to_json())


def test_every_command_of_the_page_prints_what_it_shows(
    page_store: Path,
    page_upstream: peers.Medallion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page_feed(page_store.parent / "feed")
    page_folder(page_store.parent / "drop")
    event = page_store.parent / "event.json"
    event.write_text(json.dumps(feed_json(misp_event("Fishing vessel", event_uuid="bad"))))
    page_versions(page_store.parent)
    here = str(page_store.parent)
    monkeypatch.setenv("GARANTE_DB", str(page_store))
    for name, value in reach.environ().items():  # medallion on loopback, folders in the temp dir
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UPSTREAM", page_upstream.api_root)
    monkeypatch.setenv("COLLECTION", MAIN)
    monkeypatch.setenv("UPSTREAM_USER", USER)
    monkeypatch.setenv("UPSTREAM_PASSWORD", PASSWORD)
    commands = text_commands(DOC)
    assert commands, "docs/sources.md shows no commands"
    for command in commands:
        run_as_printed(
            DOC,
            command,
            page_store.parent,
            masked=lambda line: masked(line.replace(here, "/srv/garante")),
            columns=100,
        )
