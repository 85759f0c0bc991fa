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
    assert _run(path, "init")[0] == 0
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


def test_clearing_the_last_dimension_is_refused_without_all(db: Path) -> None:
    code, _out, err = _amend(db, "--clear-categories")
    assert code == 2
    assert "[validation.scope_not_explicit]" in err
    assert "--all to hold everything" in err
    assert _scope(db)["categories"] == ["money-laundering"]


def test_all_clears_every_dimension_and_says_whom_it_reaches(db: Path) -> None:
    code, out, err = _amend(db, "--all")
    assert code == 0, err
    assert "Reaches: 1 of 1 partners (every partner); 1 of 1 agencies in all" in out
    assert _scope(db) == {"agencies": [], "countries": [], "categories": [], "regions": []}


def test_all_beside_a_scope_option_is_refused(db: Path) -> None:
    code, _out, err = _amend(db, "--all", "--agencies", "fbi")
    assert code == 2
    assert "[validation.scope_not_explicit]" in err


def _issue(db: Path, *options: str) -> tuple[int, str, str]:
    return _run(
        db,
        "orders",
        "issue",
        "--authority",
        "presidency",
        "--effect",
        "deny",
        "--reason",
        "stop",
        *options,
    )


def test_an_order_without_scope_options_is_refused_naming_all(db: Path) -> None:
    code, _out, err = _issue(db)
    assert code == 2
    assert "[validation.scope_not_explicit]" in err
    assert "field: scope" in err
    assert (
        "hint: give --agencies/--countries/--categories/--regions, or --all to hold everything"
        in err
    )
    code, out, _ = _run(db, "--json", "orders", "list")
    assert [o["id"] for o in json.loads(out)] == ["ml-review"]


def test_an_order_for_all_is_issued_saying_it_reaches_every_partner(db: Path) -> None:
    code, out, err = _issue(db, "--all")
    assert code == 0, err
    assert out.startswith("Reaches: 1 of 1 partners (every partner); 1 of 1 agencies in all\n")
    assert "deny for everything" in out


def test_all_with_scope_options_is_refused(db: Path) -> None:
    code, _out, err = _issue(db, "--all", "--countries", "US")
    assert code == 2
    assert "names countries US" in err
    assert "not both" in err


def test_a_printed_statement_keeps_the_reach_off_standard_output(db: Path) -> None:
    code, out, err = _issue(db, "--countries", "US", "--print-statement")
    assert code == 0, err
    assert json.loads(out)["scope"]["countries"] == ["US"]
    assert "Reaches: 1 of 1 partners (every partner)" in err


def test_json_issue_carries_the_reach(db: Path) -> None:
    code, out, err = _run(db, "--json", "orders", "issue", "--authority", "presidency",
                          "--effect", "deny", "--reason", "stop", "--agencies", "fbi")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["reach"] == {
        "partners": 1,
        "of_partners": 1,
        "agencies": 1,
        "of_agencies": 1,
    }


def test_simulating_an_amendment_prints_the_scope_before_and_after_and_stores_nothing(
    db: Path,
) -> None:
    code, out, err = _run(
        db,
        "orders",
        "simulate",
        "--amend",
        "ml-review",
        "--authority",
        "presidency",
        "--agencies",
        "fbi",
        "--from",
        "2000-01-01T00:00:00Z",
        "--to",
        "2100-01-01T00:00:00Z",
    )
    assert code == 0, err
    assert "Scope before: categories money-laundering" in out
    assert "Scope after: agencies fbi; categories money-laundering" in out
    assert "0 requests in the period" in out
    assert _scope(db)["agencies"] == []
