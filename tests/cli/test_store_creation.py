"""A mistyped --db creates nothing: only init, demo and serve --init create a store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from tests.support import postgres
from tests.support.servers import await_health, started
from tests.support.stores import GARANTE

runner = CliRunner()


def _run(db: str | Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize(
    "command",
    [
        ("agencies", "list"),
        ("agencies", "add", "afp", "--name", "AFP", "--country", "AU"),
        ("orders", "issue", "--authority", "presidency", "--effect", "hold", "--all",
         "--reason", "r"),
        ("held",),
        ("audit", "verify"),
        ("db", "upgrade"),
    ],
    ids=lambda c: " ".join(c[:2]),
)  # fmt: skip
def test_a_mistyped_path_is_refused_and_no_file_is_created(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    typo = tmp_path / "typo.db"
    code, out, err = _run(typo, *command)
    assert code == 9, out + err
    assert f"no store at {typo}: create one with `garante init --db {typo}`" in err
    assert "[store.missing]" in err
    assert _files(tmp_path) == []


def test_the_refusal_has_the_one_error_shape_in_json(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "typo.db", "--json", "agencies", "list")
    error = json.loads(err)["error"]
    assert (code, error["code"], error["field"]) == (9, "store.missing", "db")
    assert "garante init" in error["hint"]


@pytest.mark.parametrize("command", [("agencies", "list"), ("init",), ("db", "check")])
def test_a_file_that_is_not_a_sqlite_database_is_refused_and_left_as_it_is(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n")
    code, out, err = _run(notes, *command)
    assert code == 9, out + err
    assert "[store.unavailable]" in err and "file is not a database" in err
    assert "not a SQLite database" in err and "Traceback" not in out + err
    assert notes.read_text() == "not a database\n"


@pytest.mark.parametrize("url", ["mysql://u@h/x", "foo://x", "postgresql+asyncpg://u@h/x"])
def test_a_database_garante_cannot_keep_its_store_in_is_refused(url: str) -> None:
    code, out, err = _run(url, "agencies", "list")
    assert code == 2, out + err
    assert f"'{url}' is not a store Garante can open" in err
    assert "postgresql+psycopg://" in err and "Traceback" not in out + err


def test_a_store_without_its_log_key_is_refused_and_no_new_key_is_made(tmp_path: Path) -> None:
    store = tmp_path / "copy.db"
    assert _run(store, "init")[0] == 0
    key = Path(f"{store}.log-key")
    verifier = _run(store, "audit", "key")[1].strip()
    key.unlink()  # a copy made without its key file
    code, out, err = _run(store, "orders", "list")
    assert code == 5, out + err
    assert "[ledger.no_log_key]" in err and f"{key} is not there" in err
    assert verifier in err and "restore the key file" in err
    assert not key.exists()


def test_init_creates_the_store_and_then_commands_use_it(tmp_path: Path) -> None:
    store = tmp_path / "garante.db"
    code, out, err = _run(store, "init")
    assert code == 0, err
    assert store.exists()
    assert "Store ready" in out
    assert _run(store, "agencies", "add", "afp", "--name", "AFP", "--country", "AU")[0] == 0
    code, out, _ = _run(store, "--json", "agencies", "list")
    assert [a["id"] for a in json.loads(out)] == ["afp"]


def test_demo_creates_its_store(tmp_path: Path) -> None:
    store = tmp_path / "demo.db"
    code, _, err = _run(store, "--json", "demo", "--no-serve")
    assert code == 0, err
    assert store.exists()
    assert _run(store, "held")[0] == 0


def test_serve_refuses_a_missing_store_and_creates_one_with_init(tmp_path: Path) -> None:
    store = tmp_path / "served.db"
    refused = subprocess.run(
        [GARANTE, "--db", str(store), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 9, refused.stderr
    assert "no store at" in refused.stderr
    assert not store.exists()
    command = [GARANTE, "--db", str(store), "serve", "--init", "--port", "0"]
    with started("garante serve --init", command) as running:
        assert await_health(running.url)
    assert store.exists()


def test_a_postgresql_database_without_the_schema_is_refused(
    request: pytest.FixtureRequest,
) -> None:
    cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_database(migrated=False)
    code, _, err = _run(url, "--json", "agencies", "list")
    assert (code, json.loads(err)["error"]["code"]) == (9, "store.missing")
    code, _, err = _run(url, "--json", "db", "check")
    assert code == 8  # still no schema: nothing was created
    # In other processes: a command that opens a store keeps its connections until it exits.
    for command in (["init"], ["agencies", "list"]):
        done = subprocess.run(
            [GARANTE, "--db", url, *command], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("actor", ["", "   ", "two\nlines", "x" * 129])
def test_an_actor_the_log_cannot_name_is_refused_before_anything_is_done(
    tmp_path: Path, actor: str
) -> None:
    store = tmp_path / "store.db"
    assert _run(store, "init")[0] == 0
    before = _run(store, "audit", "entries", "0")[1]
    code, out, err = _run(store, "--as", actor, "agencies", "add", "afp", "--name", "AFP",
                          "--country", "AU")  # fmt: skip
    assert code == 2, out + err
    assert "[validation.invalid]: --as (or GARANTE_ACTOR) names who acts" in err
    assert _run(store, "audit", "entries", "0")[1] == before
