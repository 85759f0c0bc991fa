"""`garante orders amend` changes only the terms given: a scope option, only its dimension."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """An order of the presidency's holding money laundering, and nothing else."""
    path = tmp_path / "amend.db"
    _run(path, "agencies", "add", "fbi", "--name", "FBI", "--country", "US")
    _run(path, "authorities", "add", "presidency", "--name", "Presidency")
    code, _out, err = _run(
        path,
        "orders",
        "issue",
        "--id",
        "ml-review",
        "--authority",
        "presidency",
        "--effect",
        "hold",
        "--categories",
        "money-laundering",
        "--reason",
        "review",
    )
    assert code == 0, err
    yield path


def _scope(db: Path) -> dict[str, list[str]]:
    code, out, err = _run(db, "--json", "orders", "show", "ml-review")
    assert code == 0, err
    scope: dict[str, list[str]] = json.loads(out)["scope"]
    return scope


def _amend(db: Path, *options: str) -> tuple[int, str, str]:
    return _run(db, "orders", "amend", "ml-review", "--authority", "presidency", *options)


def test_naming_agencies_narrows_the_order_and_keeps_its_categories(db: Path) -> None:
    code, out, err = _amend(db, "--agencies", "fbi")
    assert code == 0, err
    assert _scope(db) == {
        "agencies": ["fbi"],
        "countries": [],
        "categories": ["money-laundering"],
        "regions": [],
    }
    assert "scope was categories money-laundering" in out


def test_a_dimension_is_emptied_only_when_asked_to(db: Path) -> None:
    code, _out, err = _amend(db, "--agencies", "fbi", "--clear-categories")
    assert code == 0, err
    assert _scope(db) == {"agencies": ["fbi"], "countries": [], "categories": [], "regions": []}


def test_replacing_and_clearing_one_dimension_at_once_is_refused(db: Path) -> None:
    code, _out, err = _amend(db, "--categories", "drug-trafficking", "--clear-categories")
    assert code == 2
    assert "--categories and --clear-categories contradict each other" in err
    assert _scope(db)["categories"] == ["money-laundering"]


def test_an_amendment_without_scope_options_keeps_the_scope(db: Path) -> None:
    code, _out, err = _amend(db, "--reason", "still under review")
    assert code == 0, err
    assert _scope(db)["categories"] == ["money-laundering"]
