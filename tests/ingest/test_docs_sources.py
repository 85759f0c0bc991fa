"""docs/sources.md, checked by machine: its commands, typed against a real medallion, print
what the page shows.

The page's store has DIPOL (the originator), the DEA with an undertaking for seizures, and the
DEA's standing agreement for maritime items up to TLP:AMBER; the upstream is medallion on
loopback with five indicators, one of them under a marking no one defined. ``$UPSTREAM``,
``$COLLECTION`` and ``$UPSTREAM_PASSWORD`` are set as the page says; addresses, instants and
request numbers are masked on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.service.app import Garante
from tests.cli.as_printed import run_as_printed
from tests.ingest.conftest import GREEN, MAIN, PASSWORD, UNKNOWN, USER, indicator, upstream
from tests.support import peers
from tests.support.docblocks import text_commands

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


LAG = re.compile(r"│ \d+ s +│")


def masked(line: str) -> str:
    """Addresses, instants and the lag, which the clock moves, are masked; a lag of more than
    99 seconds would widen its column and fail the table, as it should on a slow machine."""
    line = ADDRESS.sub("http://127.0.0.1:<port>", line)
    line = INSTANT.sub("<instant>", line)
    return LAG.sub("│ <lag> │", line)


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


def test_every_command_of_the_page_prints_what_it_shows(
    page_store: Path,
    page_upstream: peers.Medallion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GARANTE_DB", str(page_store))
    monkeypatch.setenv("UPSTREAM", page_upstream.api_root)
    monkeypatch.setenv("COLLECTION", MAIN)
    monkeypatch.setenv("UPSTREAM_USER", USER)
    monkeypatch.setenv("UPSTREAM_PASSWORD", PASSWORD)
    commands = text_commands(DOC)
    assert commands, "docs/sources.md shows no commands"
    for command in commands:
        run_as_printed(DOC, command, page_store.parent, masked=masked, columns=100)
