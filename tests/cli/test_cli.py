"""The command line: readable output, JSON for scripts, one error shape with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
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
    path = tmp_path / "cli.db"
    assert _run(path, "init")[0] == 0
    _run(path, "agencies", "add", "dipol", "--name", "DIPOL", "--country", "CO", "--domestic")
    _run(path, "agencies", "add", "dea", "--name", "DEA", "--country", "US")
    _run(path, "undertakings", "sign", "dea", "--permits", "seizure,arrest")
    bundle = Path(__file__).parents[2] / "src/garante/scenarios/bundles/co-2025-0417.json"
    code, _out, err = _run(
        path,
        "items",
        "add",
        "lead",
        "--bundle",
        str(bundle),
        "--title",
        "Go-fast lead",
        "--category",
        "maritime-interdiction",
        "--region",
        "caribbean",
        "--tlp",
        "amber",
        "--originator",
        "dipol",
    )
    assert code == 0, err
    return path


def test_request_prints_the_decision_and_its_rules(db: Path) -> None:
    code, out, _ = _run(db, "request", "lead", "--to", "dea", "--purpose", "seizure")
    assert code == 0
    assert "released" in out
    assert "[4.undertaking]" in out


def test_json_output_is_machine_readable(db: Path) -> None:
    code, out, _ = _run(db, "--json", "request", "lead", "--to", "dea", "--purpose", "seizure")
    assert code == 0
    assert json.loads(out)["outcome"] == "released"


def test_unknown_agency_is_refused_with_code_hint_and_exit_3(db: Path) -> None:
    code, _, err = _run(db, "request", "lead", "--to", "dae", "--purpose", "seizure")
    assert code == 3
    assert "[agency.not_found]" in err
    assert "did you mean 'dea'" in err
    assert "Traceback" not in err


def test_json_errors_have_the_one_error_shape(db: Path) -> None:
    code, _, err = _run(db, "--json", "request", "lead", "--to", "dea", "--purpose", "sezure")
    assert code == 2
    body = json.loads(err)["error"]
    assert body["code"] == "validation.unknown_value"
    assert body["field"] == "purpose"
    assert "seizure" in body["hint"]


def test_authority_signs_an_order_with_its_key_file(db: Path, tmp_path: Path) -> None:
    code, _, err = _run(db, "keys", "generate", "presidency", "--dir", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "presidency.key").stat().st_mode & 0o777 == 0o600
    _run(
        db,
        "authorities",
        "add",
        "presidency",
        "--name",
        "Presidency",
        "--public-key",
        f"@{tmp_path / 'presidency.pub'}",
    )
    order = [
        "orders",
        "issue",
        "--authority",
        "presidency",
        "--effect",
        "hold",
        "--countries",
        "US",
        "--reason",
        "suspend",
    ]
    code, _, err = _run(db, *order)
    assert code == 5
    assert "[signature.required]" in err
    code, out, err = _run(db, *order, "--key", str(tmp_path / "presidency.key"))
    assert code == 0, err
    assert "Issued order order-1 v1: hold for countries US" in out


def test_an_agency_with_a_key_signs_the_events_it_reports(db: Path, tmp_path: Path) -> None:
    code, _, err = _run(db, "keys", "generate", "dipol", "--dir", str(tmp_path))
    assert code == 0, err
    code, _, err = _run(db, "agencies", "set-key", "dipol", f"@{tmp_path / 'dipol.pub'}")
    assert code == 0, err
    counted = ["--kind", "vessel-strike", "--region", "caribbean"]  # events are counted
    code, _, err = _run(db, "conditions", "add", "strikes", "--description", "strikes", *counted)
    assert code == 0, err
    event = ["events", "record", *counted, "--at", "2025-11-10T06:00:00Z", "--agency", "dipol"]
    code, _, err = _run(db, *event)
    assert code == 5
    assert "[signature.required]" in err
    code, out, err = _run(db, *event, "--key", str(tmp_path / "dipol.key"))
    assert code == 0, err
    assert "Recorded event 1: vessel-strike in caribbean, reported by dipol (signed)." in out


def test_print_statement_shows_the_canonical_bytes_to_sign_and_stores_nothing(db: Path) -> None:
    _run(db, "authorities", "add", "presidency", "--name", "Presidency")
    code, out, _ = _run(
        db,
        "orders",
        "issue",
        "--authority",
        "presidency",
        "--effect",
        "hold",
        "--countries",
        "US",
        "--reason",
        "suspend",
        "--print-statement",
    )
    assert code == 0
    statement = json.loads(out)
    assert statement["type"] == "garante.order/v1"
    assert out.strip() == json.dumps(statement, sort_keys=True, separators=(",", ":"))
    _, listed, _ = _run(db, "--json", "orders", "list")
    assert json.loads(listed) == []


def test_held_queue_lists_what_waits_and_why(db: Path) -> None:
    _run(db, "authorities", "add", "presidency", "--name", "Presidency")
    _run(
        db,
        "orders",
        "issue",
        "--authority",
        "presidency",
        "--effect",
        "hold",
        "--countries",
        "US",
        "--reason",
        "suspend",
    )
    _run(db, "request", "lead", "--to", "dea", "--purpose", "seizure")
    code, out, _ = _run(db, "--json", "held")
    assert code == 0
    [entry] = json.loads(out)
    assert entry["recipient"] == "dea"
    assert entry["reason"].startswith("Held: order order-1")


def test_demo_json_prints_every_decision_of_the_scenario(tmp_path: Path) -> None:
    """Through the installed console script, as a person or a script would run it."""
    db = tmp_path / "demo.db"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "garante"),
            "--db",
            str(db),
            "--json",
            "demo",
            "--no-serve",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mismatches"] == []
    outcomes = [d["outcome"] for d in report["decisions"]]
    assert outcomes.count("released") >= 6
    assert {"released", "held", "denied"} <= set(outcomes)


def test_an_unreachable_database_is_a_store_unavailable_error_with_the_password_hidden() -> None:
    from tests.support.postgres import free_port

    url = f"postgresql+psycopg://garante:s3cret@127.0.0.1:{free_port()}/garante"
    result = runner.invoke(app, ["--json", "--db", url, "agencies", "list"])
    error = json.loads(result.stderr)["error"]
    assert (result.exit_code, error["code"], error["field"]) == (9, "store.unavailable", "db")
    assert "s3cret" not in result.stderr
    assert "Connection refused" in error["message"]


def test_a_sqlite_file_in_a_missing_directory_is_a_missing_store(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "missing" / "garante.db", "--json", "agencies", "list")
    assert (code, json.loads(err)["error"]["code"]) == (9, "store.missing")


def test_init_in_a_missing_directory_is_a_store_unavailable_error(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "missing" / "garante.db", "--json", "init")
    assert (code, json.loads(err)["error"]["code"]) == (9, "store.unavailable")


def test_an_argument_that_is_not_utf8_is_refused_before_anything_is_stored(db: Path) -> None:
    # What Python makes of the byte 0xff in argv: a lone surrogate, which no store can hold.
    before = _run(db, "--json", "agencies", "list")[1]
    code, _, err = _run(db, "agencies", "add", "afp", "--name", "A\udcffFP", "--country", "AU")
    assert code == 2
    assert "not valid UTF-8" in err
    assert _run(db, "--json", "agencies", "list")[1] == before


def test_orders_refresh_releases_what_an_order_held_once_its_period_has_ended(db: Path) -> None:
    _run(db, "authorities", "add", "presidency", "--name", "Presidency")
    # Long enough for the order and the request to land inside it on a loaded machine.
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    code, _, err = _run(
        db,
        "orders",
        "issue",
        "--authority",
        "presidency",
        "--effect",
        "hold",
        "--countries",
        "US",
        "--reason",
        "suspend for five seconds",
        "--valid-until",
        until.isoformat(),
    )
    assert code == 0, err
    code, out, _ = _run(db, "--json", "request", "lead", "--to", "dea", "--purpose", "seizure")
    assert json.loads(out)["outcome"] == "held"
    while datetime.now(UTC) <= until:
        time.sleep(0.2)
    code, out, _ = _run(db, "orders", "refresh")
    assert code == 0
    assert "Order order-1 period ended" in out
    assert "released" in out
    code, out, _ = _run(db, "--json", "held")
    assert json.loads(out) == []


def test_garantes_own_options_may_follow_the_command(db: Path) -> None:
    result = runner.invoke(
        app, ["request", "lead", "--to", "dea", "--purpose", "seizure", "--json", "--db", str(db)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "released"


def test_options_after_a_double_dash_are_left_where_they_are(db: Path) -> None:
    from garante.cli.main import _global_first

    assert _global_first(["items", "list", "--json"]) == ["--json", "items", "list"]
    assert _global_first(["a", "--db=x.db", "--", "--json"]) == ["--db=x.db", "a", "--", "--json"]


def _add_item(db: Path, item_id: str, *extra: str) -> tuple[int, str, str]:
    bundle = Path(__file__).parents[2] / "src/garante/scenarios/bundles/co-2025-0422.json"
    return _run(
        db,
        "items",
        "add",
        item_id,
        "--bundle",
        str(bundle),
        "--title",
        "Embargoed lead",
        "--category",
        "maritime-interdiction",
        "--region",
        "caribbean",
        "--tlp",
        "amber",
        "--originator",
        "dipol",
        *extra,
    )


def test_an_item_under_embargo_is_held_until_it_ends(db: Path) -> None:
    ends = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    code, _, err = _add_item(db, "later", "--embargo-until", ends)
    assert code == 0, err
    code, out, _ = _run(db, "request", "later", "--to", "dea", "--purpose", "seizure")
    assert code == 0 and "held" in out and "[2.embargo]" in out
    code, out, _ = _run(db, "items", "refresh")
    assert code == 0 and "No embargo ended and no item expired" in out


def test_an_expiry_in_the_past_is_refused_with_the_field_named(db: Path) -> None:
    code, _, err = _add_item(db, "stale", "--expires-at", "2020-01-01T00:00:00Z")
    assert code != 0
    assert "expires_at" in err and "not in the future" in err
    assert _run(db, "items", "show", "stale")[0] != 0
