"""Running the demo again never rewrites its history behind a witness's back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from garante.cli.main import app
from tests.support.postgres import Cluster
from tests.support.stores import Store

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


# -- a store the demo did not make ---------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` and its bytes: what a refusal must leave as it was.

    Except SQLite's own passing files, which the last connection to close removes: the
    shared-memory index (rebuilt from the files) and a write-ahead log with nothing in it.
    """
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
        and not path.name.endswith("-shm")
        and not (path.name.endswith("-wal") and path.stat().st_size == 0)
    }


def _made(db: Path, *args: str) -> None:
    """``garante --db DB ARGS`` in a process of its own, which leaves nothing open behind."""
    result = Store.sqlite(db).cli(*args)
    assert result.returncode == 0, result.stderr


def _operators_store(directory: Path) -> Path:
    """A store made with `garante init`, holding a condition and its own log key."""
    db = directory / "prod.db"
    _made(db, "init")
    _made(db, "conditions", "add", "precious", "--description", "the operator's own")
    assert Path(f"{db}.log-key").exists()
    return db


def _refused(db: Path, *flags: str) -> dict[str, str]:
    result = runner.invoke(app, ["--db", str(db), "--json", "demo", "--no-serve", *flags])
    assert result.exit_code == 4, result.stdout + result.stderr
    assert result.stdout == ""  # nothing replayed, nothing served
    assert "Removed" not in result.stderr
    error: dict[str, str] = json.loads(result.stderr)["error"]
    assert error["code"] == "demo.not_a_demo_store"
    assert f"the store at {db} is not a demo store" in error["message"]
    assert error["field"] == "db"
    assert "garante-demo.db" in error["hint"]
    return error


def test_a_fresh_demo_refuses_a_store_it_did_not_make_and_removes_nothing(
    tmp_path: Path,
) -> None:
    db = _operators_store(tmp_path)
    before = _files(tmp_path)
    _refused(db, "--fresh")
    assert _files(tmp_path) == before
    shown = runner.invoke(app, ["--db", str(db), "--json", "conditions", "list"])
    assert "precious" in shown.stdout


def test_the_demo_refuses_to_replay_into_or_serve_a_store_it_did_not_make(
    tmp_path: Path,
) -> None:
    db = _operators_store(tmp_path)
    before = _files(tmp_path)
    _refused(db)
    assert _files(tmp_path) == before


def test_a_store_with_nothing_logged_yet_is_replayed_into_and_keeps_its_log_key(
    tmp_path: Path,
) -> None:
    """Just created (or migrated, as the suites' PostgreSQL stores are): nothing to lose and
    nothing to start over from, so even --fresh deletes nothing there, its log key included."""
    db = tmp_path / "new.db"
    _made(db, "init")
    key = Path(f"{db}.log-key").read_bytes()
    result = runner.invoke(app, ["--db", str(db), "demo", "--no-serve", "--fresh"])
    assert result.exit_code == 0, result.stderr
    assert "Removed" not in result.stderr
    assert Path(f"{db}.log-key").read_bytes() == key
    assert _demo(db)["replayed"] is False  # a demo store now


def test_a_fresh_demo_refuses_a_file_that_is_no_store_at_all(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("not a database\n")
    _refused(db, "--fresh")
    assert db.read_text() == "not a database\n"


def test_the_demo_refuses_a_postgresql_store_it_did_not_make(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    store = Store.postgresql(pg_cluster, tmp_path)
    made = store.cli("conditions", "add", "precious", "--description", "the operator's own")
    assert made.returncode == 0, made.stderr
    key = Path(store.env["GARANTE_LOG_KEY_FILE"]).read_bytes()
    for flags in ((), ("--fresh",)):
        result = store.cli("--json", "demo", "--no-serve", *flags)
        assert result.returncode == 4, result.stdout + result.stderr
        assert json.loads(result.stderr)["error"]["code"] == "demo.not_a_demo_store"
    assert Path(store.env["GARANTE_LOG_KEY_FILE"]).read_bytes() == key
    listed = store.cli("--json", "conditions", "list")
    assert [c["id"] for c in json.loads(listed.stdout)] == ["precious"]


def test_a_fresh_two_node_demo_refuses_when_the_dea_store_is_not_the_demos(
    tmp_path: Path,
) -> None:
    """Colombia's store is the demo's, but the file where the DEA's would go is not: nothing
    of either is removed."""
    db = tmp_path / "demo.db"
    _made(db, "demo", "--no-serve")
    _operators_store(tmp_path).rename(tmp_path / "demo-dea.db")
    before = _files(tmp_path)
    result = runner.invoke(
        app, ["--db", str(db), "--json", "demo", "--no-serve", "--fresh", "--nodes", "2"]
    )
    assert result.exit_code == 4, result.stdout + result.stderr
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "demo.not_a_demo_store"
    assert str(tmp_path / "demo-dea.db") in error["message"]
    assert _files(tmp_path) == before


def test_a_fresh_demo_over_a_demo_store_the_operator_used_since_starts_again(
    tmp_path: Path,
) -> None:
    """What the demo made stays the demo's, whatever was done with it afterwards."""
    db = tmp_path / "demo.db"
    _demo(db)
    key = _key(db)
    added = runner.invoke(
        app, ["--db", str(db), "conditions", "add", "tried", "--description", "a try"]
    )
    assert added.exit_code == 0, added.stderr
    again = _demo(db)
    assert again["replayed"] is False
    result = runner.invoke(app, ["--db", str(db), "demo", "--no-serve", "--fresh"])
    assert result.exit_code == 0, result.stderr
    assert "Removed the previous demo" in result.stderr
    assert _key(db) != key
