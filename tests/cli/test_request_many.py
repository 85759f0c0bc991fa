"""``garante request ITEM --to a,b,c`` and ``--file``: several releases, decided each, stored
together or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    ran = runner.invoke(app, ["--db", str(db), "demo", "--no-serve"])
    assert ran.exit_code == 0, ran.stderr
    return db


def _releases(db: Path) -> list[object]:
    listed: list[object] = json.loads(
        runner.invoke(app, ["--db", str(db), "--json", "releases", "list"]).stdout
    )
    return listed


def test_several_recipients_get_a_decision_each(store: Path) -> None:
    args = ["--db", str(store), "request", "co-2025-0417", "--to", "dea,fbi,nca"]
    ran = runner.invoke(app, [*args, "--purpose", "seizure"])
    assert ran.exit_code == 0, ran.stderr
    assert "→ dea for seizure: released" in ran.stdout
    assert "→ fbi for seizure: held" in ran.stdout
    assert "→ nca for seizure: released" in ran.stdout


def test_a_file_of_releases_is_decided_line_by_line(store: Path, tmp_path: Path) -> None:
    lines = tmp_path / "releases.csv"
    lines.write_text(
        "item,recipient,purpose\nco-2025-0417,nca,analysis\nco-2025-0431,nca,analysis\n"
    )
    ran = runner.invoke(app, ["--db", str(store), "--json", "request", "--file", str(lines)])
    assert ran.exit_code == 0, ran.stderr
    decided = json.loads(ran.stdout)["decisions"]
    assert [(d["item"], d["outcome"]) for d in decided] == [
        ("co-2025-0417", "released"),
        ("co-2025-0431", "released"),
    ]


def test_a_bad_line_names_its_line_and_stores_nothing(store: Path, tmp_path: Path) -> None:
    lines = tmp_path / "releases.csv"
    lines.write_text(
        "item,recipient,purpose\nco-2025-0417,nca,analysis\nco-2025-0417,DEA,seizure\n"
    )
    before = _releases(store)
    ran = runner.invoke(app, ["--db", str(store), "request", "--file", str(lines)])
    assert ran.exit_code == 3
    assert "releases[1]: no agency 'DEA'; nothing of the batch was stored" in ran.stderr
    assert f"line 3 of {lines}" in ran.stderr and "did you mean 'dea'" in ran.stderr
    assert _releases(store) == before


def test_a_file_without_its_header_is_refused(store: Path, tmp_path: Path) -> None:
    lines = tmp_path / "releases.csv"
    lines.write_text("co-2025-0417,nca,analysis\n")
    ran = runner.invoke(app, ["--db", str(store), "request", "--file", str(lines)])
    assert ran.exit_code == 2
    assert "item,recipient,purpose" in ran.stderr


def test_one_recipient_prints_the_decision_with_its_rules_as_before(store: Path) -> None:
    ran = runner.invoke(
        app, ["--db", str(store), "request", "co-2025-0417", "--to", "fbi", "--purpose", "arrest"]
    )
    assert ran.exit_code == 0, ran.stderr
    assert "[3.order-require-unmet]" in ran.stdout


def test_a_bad_line_after_a_blank_one_is_named_by_its_own_line(store: Path, tmp_path: Path) -> None:
    lines = tmp_path / "releases.csv"
    lines.write_text(
        "item,recipient,purpose\n\nco-2025-0417,nca,analysis\nco-2025-0417,DEA,seizure\n"
    )
    ran = runner.invoke(app, ["--db", str(store), "request", "--file", str(lines)])
    assert ran.exit_code == 3
    assert f"releases[1] is line 4 of {lines}" in ran.stderr
