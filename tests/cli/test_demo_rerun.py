"""Running the demo again never rewrites its history behind a witness's back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


def _demo(db: Path, *flags: str) -> dict[str, object]:
    result = runner.invoke(app, ["--db", str(db), "--json", "demo", "--no-serve", *flags])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _key(db: Path) -> str:
    return runner.invoke(app, ["--db", str(db), "audit", "key"]).stdout.strip()


def test_running_the_demo_again_serves_the_store_it_made_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    key, size = _key(db), db.stat().st_size
    again = _demo(db)
    assert again["replayed"] is False
    assert _key(db) == key
    assert db.stat().st_size == size


def test_a_fresh_demo_is_a_new_history_under_a_new_log_key(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    key = _key(db)
    result = runner.invoke(app, ["--db", str(db), "demo", "--no-serve", "--fresh"])
    assert result.exit_code == 0, result.stderr
    assert "Removed the previous demo" in result.stderr
    new = _key(db)
    assert new != key
    assert new.split("+")[0] != key.split("+")[0]  # the origin, which names the log, too


def test_a_live_clock_demo_unpins_the_clock_after_the_replay_and_logs_it(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["--db", str(db), "demo", "--no-serve", "--live-clock"])
    assert result.exit_code == 0, result.stderr
    assert "The clock now runs" in result.stdout
    with sqlite3.connect(db) as connection:
        (last,) = connection.execute(
            "SELECT entry FROM ledger_entries ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        (pinned,) = connection.execute("SELECT value FROM settings WHERE key = 'clock'").fetchone()
    connection.close()
    assert b'"kind":"settings.changed"' in last and b'"value":null' in last
    assert json.loads(pinned) is None
