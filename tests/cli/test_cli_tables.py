"""Every listing is readable on an 80-column terminal, and every ``show`` reads as text.

Run on the demo's store: each ``list`` command (and ``held``) at 80 columns prints no line
wider than the terminal, and every id of its rows stands whole on one line (an id broken
across lines cannot be copied into the next command). The columns left out to fit are named
under the table; on a wide terminal none is. ``show`` prints people's text: no Python reprs.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from garante.cli import output
from garante.cli.main import app

runner = CliRunner()

LISTINGS = [
    ("agencies", "list"),
    ("authorities", "list"),
    ("items", "list"),
    ("undertakings", "list"),
    ("orders", "list"),
    ("conditions", "list"),
    ("events", "list"),
    ("releases", "list"),
    ("held",),
    ("outcomes", "list"),
    ("tokens", "list"),
]
# The row fields that hold ids a person copies into the next command, per listing.
IDS = {"releases": ("id", "item"), "held": ("id", "item")}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("tables") / "demo.db"
    ran = runner.invoke(app, ["--db", str(db), "demo", "--no-serve"])
    assert ran.exit_code == 0, ran.stderr
    for role, agency in (("partner", "dea"), ("overseer", "cti")):
        made = runner.invoke(
            app, ["--db", str(db), "tokens", "create", "--role", role, "--agency", agency]
        )
        assert made.exit_code == 0, made.stderr
    yield db


def _printed(db: Path, args: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(output.console, "_width", width)
    ran = runner.invoke(app, ["--db", str(db), *args])
    assert ran.exit_code == 0, ran.stderr
    return ran.stdout


def _rows(db: Path, args: tuple[str, ...]) -> list[dict[str, object]]:
    ran = runner.invoke(app, ["--db", str(db), "--json", *args])
    assert ran.exit_code == 0, ran.stderr
    rows: list[dict[str, object]] = json.loads(ran.stdout)
    return rows


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_a_listing_fits_80_columns_with_every_id_whole_on_one_line(
    store: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(store, args)
    assert rows, f"the demo store has no rows for {args}"
    lines = _printed(store, args, 80, monkeypatch).splitlines()
    assert [line for line in lines if cell_len(line.rstrip()) > 80] == []
    for row in rows:
        for key in IDS.get(args[0], ("id",)):
            whole = re.compile(rf"(?<![\w.-]){re.escape(str(row[key]))}(?![\w.-])")
            assert any(whole.search(line) for line in lines), f"{row[key]} is not on one line"


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_on_a_wide_terminal_no_column_is_left_out(
    store: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Not shown" not in _printed(store, args, 250, monkeypatch)


def test_the_partner_report_fits_80_columns_with_every_partner_whole(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = ("reports", "partners", "--from", "2025-11-01", "--to", "2025-12-01")
    report = json.loads(runner.invoke(app, ["--db", str(store), "--json", *period]).stdout)
    partners = [row["partner"] for row in report["partners"]]
    assert partners, "the demo's report names no partner"
    lines = _printed(store, period, 80, monkeypatch).splitlines()
    assert [line for line in lines if cell_len(line.rstrip()) > 80] == []
    for partner in partners:
        assert any(re.search(rf"(?<![\w.-]){partner}(?![\w.-])", line) for line in lines)


def test_the_columns_left_out_are_named_with_where_to_see_them(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _printed(store, ("orders", "list"), 80, monkeypatch)
    assert "Not shown at 80 columns: requires / exempts, while, from, lifted." in printed
    assert "See them with garante orders show ID or --json." in printed


def test_undertakings_say_signed_or_unsigned_and_keep_after_recovery(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _printed(store, ("undertakings", "list"), 80, monkeypatch)
    assert "signature" in printed and "recovery" in printed
    assert "signed" in printed and "unsigned (no" in printed


@pytest.mark.parametrize(
    "args",
    [
        ("orders", "show", "co-us-suspension"),
        ("orders", "show", "joint-casework-exemption"),
        ("items", "show", "co-2025-0440"),
        ("undertakings", "show", "fbi-2025-01"),
    ],
    ids=lambda a: " ".join(a),
)
def test_show_prints_text_not_python_reprs(
    store: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _printed(store, args, 80, monkeypatch)
    for repr_mark in ("{", "[", "frozenset", "None", "True", "False", "'"):
        assert repr_mark not in printed, f"{repr_mark!r} in:\n{printed}"
    assert all(cell_len(line) <= 80 for line in printed.splitlines())


def test_an_order_shows_its_scope_and_clauses_as_sentences(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _printed(store, ("orders", "show", "co-us-suspension"), 80, monkeypatch)
    assert "          scope: countries US" in printed
    assert "requires: prohibits lethal-force and guarantees human-rights," in printed
    assert "  lifted at: —" in printed
    assert "valid from: 2025-11-11T21:00:00Z" in printed


def test_control_characters_in_stored_text_are_printed_as_escapes(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item's title comes from whoever wrote it (an upstream's STIX, say): an escape
    sequence in it would retitle or clear the reader's terminal if printed as it is."""
    db = tmp_path / "demo.db"
    for suffix in ("", "-wal", ".log-key"):
        if Path(f"{store}{suffix}").exists():
            shutil.copyfile(f"{store}{suffix}", f"{db}{suffix}")
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE items SET title = ? WHERE id = 'co-2025-0417'", ("Go-fast\x1b]0;x\x07\x1b[2J",)
        )
    connection.close()
    for args in (("items", "show", "co-2025-0417"), ("items", "list")):
        printed = _printed(db, args, 250, monkeypatch)
        assert "\x1b" not in printed and "\x07" not in printed
        assert "Go-fast\\x1b]0;x\\x07\\x1b[2J" in printed
    kept = _rows(db, ("items", "list"))  # JSON, for programs, keeps every character
    assert "Go-fast\x1b]0;x\x07\x1b[2J" in [row["title"] for row in kept]


def test_an_unknown_undertaking_is_not_found(store: Path) -> None:
    ran = runner.invoke(app, ["--db", str(store), "undertakings", "show", "nope"])
    assert ran.exit_code == 3
    assert "[undertaking.not_found]" in ran.stderr
