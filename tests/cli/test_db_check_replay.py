"""``garante db check --log-key``: every row edited behind the log is named, against the key the
operator published, never one kept beside the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["--db", str(db), "--json", "demo", "--no-serve"])
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture
def published(demo_db: Path, tmp_path: Path) -> str:
    """The key as an inspector keeps it: printed once, copied somewhere of its own."""
    result = runner.invoke(app, ["--db", str(demo_db), "audit", "key"])
    kept = tmp_path / "inspector" / "garante.vkey"
    kept.parent.mkdir()
    kept.write_text(result.stdout)
    return f"@{kept}"


def _check(demo_db: Path, key: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["--json", "--db", str(demo_db), "db", "check", "--log-key", key])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def _differences(demo_db: Path, key: str) -> list[str]:
    code, report = _check(demo_db, key)
    assert code == 8
    differences: list[str] = report["replay"]["differences"]
    return differences


def _sql(db: Path, statement: str, *params: Any) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(statement, params)


def test_an_untouched_store_matches_its_replayed_log(demo_db: Path, published: str) -> None:
    code, report = _check(demo_db, published)
    assert code == 0, report
    assert report["replay"]["ok"] is True
    assert report["replay"]["decisions_rederived"] > 0


def test_an_edited_order_scope_is_named(demo_db: Path, published: str) -> None:
    scope = {"agencies": [], "countries": ["US"], "categories": ["terrorism"], "regions": []}
    _sql(demo_db, "UPDATE orders SET scope = ? WHERE id = 'co-us-suspension'", json.dumps(scope))
    [difference] = _differences(demo_db, published)
    assert difference.startswith("orders row co-us-suspension: scope is")


def test_an_edited_request_outcome_is_named(demo_db: Path, published: str) -> None:
    _sql(demo_db, "UPDATE release_requests SET outcome = 'released' WHERE id = 4")
    assert _differences(demo_db, published) == [
        "release_requests row 4: outcome is released in the store but denied in the log"
    ]


def test_a_difference_is_printed_as_a_plain_fail_line(demo_db: Path, published: str) -> None:
    """The mark is rendered (coloured on a terminal, bare text here), never its markup, and
    the store's own text is printed as it is, whatever brackets it holds."""
    _sql(demo_db, "UPDATE release_requests SET outcome = '[red]x[/red]' WHERE id = 4")
    result = runner.invoke(app, ["--db", str(demo_db), "db", "check", "--log-key", published])
    assert result.exit_code == 8
    line = "FAIL state against the replayed log: release_requests row 4: outcome is [red]x[/red]"
    assert line in result.stdout
    assert "[red]FAIL[/red]" not in result.stdout


def test_edited_undertaking_clauses_are_named(demo_db: Path, published: str) -> None:
    _sql(
        demo_db,
        "UPDATE undertakings SET permits = ? WHERE id = 'dea-2025-11'",
        json.dumps(["analysis", "lethal-force"]),
    )
    [difference] = _differences(demo_db, published)
    assert difference.startswith("undertakings row dea-2025-11: permits is")


def test_a_swapped_agency_key_is_named(demo_db: Path, published: str) -> None:
    _sql(demo_db, "UPDATE agencies SET public_key = ? WHERE id = 'dea'", b"\x01" * 32)
    [difference] = _differences(demo_db, published)
    assert difference.startswith("agencies row dea: public_key is AQEB")


def test_an_edited_token_role_is_named(demo_db: Path, published: str) -> None:
    created = runner.invoke(
        app,
        [
            "--json",
            "--db",
            str(demo_db),
            "tokens",
            "create",
            "--role",
            "partner",
            "--agency",
            "dea",
        ],
    )
    assert created.exit_code == 0, created.stderr
    token = json.loads(created.stdout)["id"]
    runner.invoke(app, ["--db", str(demo_db), "audit", "checkpoint"])
    _sql(demo_db, "UPDATE api_tokens SET role = 'analyst' WHERE id = ?", token)
    assert _differences(demo_db, published) == [
        f"api_tokens row {token}: role is analyst in the store but partner in the log"
    ]


def test_a_deleted_decision_is_named(demo_db: Path, published: str) -> None:
    _sql(demo_db, "DELETE FROM decisions WHERE id = (SELECT max(id) FROM decisions)")
    differences = _differences(demo_db, published)
    assert len(differences) == 1
    assert "decisions is" in differences[0]


def test_a_store_and_log_rewritten_under_a_new_key_fail_against_the_published_key(
    demo_db: Path, published: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    result = runner.invoke(app, ["--db", str(other), "demo", "--no-serve"])
    assert result.exit_code == 0
    # The forger swaps in a whole store made under its own key, beside the original's name.
    for suffix in ("", ".log-key"):
        Path(f"{other}{suffix}").replace(f"{demo_db}{suffix}")
    code, report = _check(demo_db, published)
    assert code == 8
    assert report["log"]["ok"] is False
    assert "different log key" in report["log"]["findings"][0]


def test_a_key_kept_beside_the_store_is_refused(demo_db: Path) -> None:
    beside = Path(f"{demo_db}.vkey")
    beside.write_text(runner.invoke(app, ["--db", str(demo_db), "audit", "key"]).stdout)
    result = runner.invoke(app, ["--db", str(demo_db), "db", "check", "--log-key", f"@{beside}"])
    assert result.exit_code == 2
    assert "beside the store" in result.stderr


def test_without_a_key_the_check_says_it_vouches_for_nothing(demo_db: Path) -> None:
    result = runner.invoke(app, ["--db", str(demo_db), "db", "check"])
    assert result.exit_code == 0
    assert "Give --log-key with the published key" in result.stdout


def test_a_vocabulary_set_behind_the_log_is_named(demo_db: Path, published: str) -> None:
    vocabulary = json.dumps({"purposes": ["seizure"]})
    _sql(demo_db, "INSERT INTO settings (key, value) VALUES ('vocabulary', ?)", vocabulary)
    assert _differences(demo_db, published) == [
        "settings row vocabulary: value is set in the store but null in the log"
    ]


def test_a_clock_pinned_behind_the_log_is_named(demo_db: Path, published: str) -> None:
    _sql(
        demo_db, "UPDATE settings SET value = ? WHERE key = 'clock'", '"2030-01-01T00:00:00+00:00"'
    )
    [difference] = _differences(demo_db, published)
    assert difference.startswith("settings row clock: value is 2030-01-01T00:00:00Z")
