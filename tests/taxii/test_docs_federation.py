"""docs/federation.md, checked by machine: a partner's ``garante verify-delivery`` prints what
the page shows.

The page's server is the TAXII suite's (the November 2025 demo, replayed); the NCA fetched its
feed with the stock TAXII client (taxii2client) into ``delivered.json``, and ``changed.json``
is one object of it with its name changed. ``$SERVER``, ``$LOG_KEY`` and ``$GARANTE_TOKEN``
are set as the page says; the server's address is masked on both sides. The page's last
section, three nodes of their own, is run by tests/taxii/test_docs_three_nodes.py.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import httpx
import pytest
from taxii2client.v21 import Server as TaxiiServer

from garante.stix import markings
from tests.cli.as_printed import run_as_printed
from tests.support import reach
from tests.support.docblocks import section_lines, text_commands
from tests.taxii.client import Taxii

DOC = Path(__file__).resolve().parents[2] / "docs" / "federation.md"
PARTNER = "nca"
WALK = "## The whole chain, end to end"
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")


def test_every_command_of_the_page_prints_what_it_shows(
    taxii: Taxii, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TaxiiServer(taxii.discovery, user=PARTNER, password=taxii.tokens[PARTNER]) as server:
        envelope = server.api_roots[0].collections[0].get_objects()
    (tmp_path / "delivered.json").write_text(json.dumps(envelope))
    changed = copy.deepcopy(
        next(o for o in envelope["objects"] if markings.entry_of(o) is not None)
    )
    changed["name"] = "Container route, amended"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    key = httpx.get(f"{taxii.server.api}/audit/key", timeout=30).json()["log_key"]
    monkeypatch.setenv("SERVER", taxii.server.url)
    monkeypatch.setenv("LOG_KEY", key)
    monkeypatch.setenv("GARANTE_TOKEN", taxii.tokens[PARTNER])
    for name, value in reach.environ().items():  # the origin listens on loopback
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GARANTE_DB", raising=False)
    walk = section_lines(DOC, WALK)
    commands = [command for command in text_commands(DOC) if command.line not in walk]
    assert commands, "docs/federation.md shows no commands"
    for command in commands:
        run_as_printed(
            DOC,
            command,
            tmp_path,
            masked=lambda line: ADDRESS.sub("http://127.0.0.1:<port>", line),
            columns=100,
        )
