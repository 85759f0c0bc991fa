"""docs/audit.md, checked by machine: an inspector who types its commands sees what it shows.

The page runs on the store ``make demo`` leaves (the scenario, the demo's tokens, the server's
checkpoint), so the test serves ``garante demo`` in a fresh directory and runs every ``$ `` line
of the page there, in order, with bash. The log key, the witness key, checkpoint roots and
signatures are made anew for every store, so they are masked on both sides; counts, sizes,
indexes, verdicts and messages must match. Where the page says entry 44 "was edited in the
database", the test edits it, runs the command, and puts it back. The page's server address is
the demo's, and ``$OVERSEER`` the overseer token the demo printed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli.as_printed import run_as_printed
from tests.support.docblocks import text_commands
from tests.support.servers import Demo, serving_demo

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
EDITED = 47  # the entry the page edits
DEMO_URL = "http://127.0.0.1:8000"  # where the page says the demo serves
ORIGIN = re.compile(r"garante\.local/log-[0-9a-f]{8}")
KEY_HASH = re.compile(r"\+[0-9a-f]{8}\+")
BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def masked(line: str) -> str:
    """What differs from store to store: origins, key hashes, keys, roots and signatures."""
    line = ORIGIN.sub("garante.local/log-<id>", line)
    line = KEY_HASH.sub("+<hash>+", line)
    return BASE64.sub("<base64>", line)


@contextmanager
def entry_edited(db: Path, index: int) -> Iterator[None]:
    """Entry ``index`` changed in the database (its stored leaf hash not), then put back."""
    with sqlite3.connect(db) as connection:
        (original,) = connection.execute(
            "SELECT entry FROM ledger_entries WHERE idx = ?", (index,)
        ).fetchone()
        connection.execute(
            "UPDATE ledger_entries SET entry = ? WHERE idx = ?",
            (original.replace(b'"held"', b'"released"'), index),
        )
    connection.close()
    try:
        yield
    finally:
        with sqlite3.connect(db) as connection:
            connection.execute(
                "UPDATE ledger_entries SET entry = ? WHERE idx = ?", (original, index)
            )
        connection.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serving_demo(tmp_path_factory.mktemp("inspector")) as served:
        served.wait_until_published()
        yield served


def overseer_token(demo: Demo) -> str:
    """The overseer token of those the demo prints, one a line: role, agency, secret."""
    for line in demo.printed:
        words = line.split()
        if words[:1] == ["overseer"]:
            return words[-1]
    raise AssertionError("the demo printed no overseer token")


def test_every_command_of_the_page_prints_what_it_shows(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = text_commands(DOC)
    assert len(commands) >= 10, "docs/audit.md's commands were not found"
    monkeypatch.setenv("OVERSEER", overseer_token(demo))
    for printed in commands:
        command = replace(printed, shell=printed.shell.replace(DEMO_URL, demo.url))
        if command.expected and command.expected[0].startswith(f"FAIL entry {EDITED}:"):
            with entry_edited(demo.db, EDITED):
                run_as_printed(DOC, command, demo.checkout, masked=masked)
        else:
            run_as_printed(DOC, command, demo.checkout, masked=masked)


def test_the_masks_leave_what_an_inspector_compares() -> None:
    shown = "OK 77 entries; 2 signed checkpoints verified, the latest at size 77."
    assert masked(shown) == shown
    assert masked("— garante.local/log-a6dd0e3a oRstsVeIeYpUezknQIV/DUj+uZpOmZJ8DEg/IeYSSe=") == (
        "— garante.local/log-<id> <base64>"
    )
