"""`garante authorities set-superior`: the operator says which authority answers over another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two authorities without keys; the ministry holds money laundering."""
    path = tmp_path / "superior.db"
    _run(path, "init")
    _run(path, "authorities", "add", "presidency", "--name", "Presidency")
    _run(path, "authorities", "add", "interior", "--name", "Interior")
    code, _out, err = _run(
        path,
        "orders",
        "issue",
        "--id",
        "ml-review",
        "--authority",
        "interior",
        "--effect",
        "hold",
        "--categories",
        "money-laundering",
        "--reason",
        "review",
    )
    assert code == 0, err
    return path


def _lift(db: Path) -> tuple[int, str, str]:
    return _run(db, "orders", "lift", "ml-review", "--authority", "presidency", "--reason", "done")


def test_a_configured_superior_lifts_the_order_from_the_cli(db: Path) -> None:
    code, out, err = _run(db, "authorities", "set-superior", "presidency", "--over", "interior")
    assert code == 0, err
    assert "presidency is now superior to interior." in out
    code, _out, err = _lift(db)
    assert code == 0, err


def test_without_the_relation_the_cli_lift_is_refused_as_not_entitled(db: Path) -> None:
    code, _out, err = _lift(db)
    assert code != 0
    assert "auth.not_entitled" in err


def test_clear_removes_the_relation(db: Path) -> None:
    _run(db, "authorities", "set-superior", "presidency", "--over", "interior")
    code, out, err = _run(db, "authorities", "set-superior", "presidency", "--clear")
    assert code == 0, err
    assert "superior to no authority" in out
    assert _lift(db)[0] != 0


def test_the_authorities_list_shows_whom_each_is_over(db: Path) -> None:
    _run(db, "authorities", "set-superior", "presidency", "--over", "interior")
    code, out, err = _run(db, "--json", "authorities", "list")
    assert code == 0, err
    rows = {row["id"]: row["over"] for row in json.loads(out)}
    assert rows == {"presidency": ["interior"], "interior": []}


def test_set_superior_takes_over_or_clear_not_neither(db: Path) -> None:
    code, _out, _err = _run(db, "authorities", "set-superior", "presidency")
    assert code != 0


def test_set_superior_help_says_it_is_the_operators_and_replaces_the_list() -> None:
    result = runner.invoke(app, ["authorities", "set-superior", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "amends and lifts their orders" in text
    assert "replaces the one before" in text
    assert "--clear" in text


@pytest.mark.parametrize("command", ["amend", "lift"])
def test_orders_authority_help_names_the_superior(command: str) -> None:
    result = runner.invoke(app, ["orders", command, "--help"])
    assert result.exit_code == 0
    assert "superior" in " ".join(result.stdout.split())
