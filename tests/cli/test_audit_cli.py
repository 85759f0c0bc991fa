"""What an inspector runs: export the log, verify it with nothing but the log's public key."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from garante.ledger.note import Signer

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["--db", str(db), "--json", "demo", "--no-serve"])
    assert result.exit_code == 0, result.stderr
    return db


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_demo_log_verifies_against_its_signed_checkpoints(demo_db: Path) -> None:
    code, out, _ = _run("--db", str(demo_db), "audit", "verify")
    assert code == 0
    assert out.startswith("OK ")


def test_an_export_verifies_with_only_the_public_key(demo_db: Path, tmp_path: Path) -> None:
    _, key, _ = _run("--db", str(demo_db), "audit", "key")
    code, _, err = _run("--db", str(demo_db), "audit", "export", str(tmp_path / "export"))
    assert code == 0, err
    code, out, _ = _run(
        "--json", "audit", "verify", "--export", str(tmp_path / "export"), "--log-key", key.strip()
    )
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_verifying_an_export_without_a_trusted_key_is_refused(
    demo_db: Path, tmp_path: Path
) -> None:
    _run("--db", str(demo_db), "audit", "export", str(tmp_path / "export"))
    code, _, err = _run("audit", "verify", "--export", str(tmp_path / "export"))
    assert code == 2
    assert "log_key" in err


def test_a_tampered_store_fails_verification_naming_the_index(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as connection:
        connection.execute("UPDATE ledger_entries SET entry = ? WHERE idx = 7", (b"{}",))
    code, out, err = _run("--json", "--db", str(demo_db), "audit", "verify")
    assert code == 7
    assert json.loads(out)["first_bad_index"] == 7
    assert "ledger.verification_failed" in err


def test_an_export_verifies_by_its_tree_alone(demo_db: Path, tmp_path: Path) -> None:
    export, key = _export(demo_db, tmp_path)
    code, out, _ = _run(
        "--json", "audit", "verify", "--export", str(export), "--log-key", key, "--tree-only"
    )
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_the_tree_only_check_still_names_a_changed_entry(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as connection:
        connection.execute("UPDATE ledger_entries SET entry = ? WHERE idx = 7", (b"{}",))
    code, out, _ = _run("--json", "--db", str(demo_db), "audit", "verify", "--tree-only")
    assert code == 7
    assert json.loads(out)["first_bad_index"] == 7


def test_prove_prints_a_proof_that_names_the_entry(demo_db: Path) -> None:
    code, out, _ = _run("--json", "--db", str(demo_db), "audit", "prove", "--index", "3")
    assert code == 0
    body = json.loads(out)
    assert body["index"] == 3
    assert json.loads(body["entry"])["kind"] == "agency.registered"


def test_prove_an_index_beyond_the_log_is_a_clear_error(demo_db: Path) -> None:
    code, _, err = _run("--db", str(demo_db), "audit", "prove", "--index", "999")
    assert code == 3
    assert "[ledger.entry_not_found]" in err


def test_an_items_content_can_be_shown_to_match_its_logged_commitment(
    demo_db: Path, tmp_path: Path
) -> None:
    _, out, _ = _run("--json", "--db", str(demo_db), "audit", "entries", "--limit", "100")
    added = next(
        json.loads(row["entry"])
        for row in json.loads(out)
        if row["kind"] == "item.added" and "co-2025-0417" in row["entry"]
    )
    commitment = added["data"]["content_commitment"]
    opening = tmp_path / "opening.json"
    code, _, err = _run(
        "--db", str(demo_db), "items", "open-commitment", "co-2025-0417", "--out", str(opening)
    )
    assert code == 0, err
    code, out, _ = _run("items", "check-commitment", str(opening), "--commitment", commitment)
    assert code == 0
    assert "OK" in out
    forged = json.loads(opening.read_text())
    forged["title"] = "Something else"
    opening.write_text(json.dumps(forged))
    code, _, err = _run("items", "check-commitment", str(opening), "--commitment", commitment)
    assert code == 2
    assert "item.commitment_mismatch" in err


def _export(demo_db: Path, tmp_path: Path) -> tuple[Path, str]:
    _, key, _ = _run("--db", str(demo_db), "audit", "key")
    code, _, err = _run("--db", str(demo_db), "audit", "export", str(tmp_path / "export"))
    assert code == 0, err
    return tmp_path / "export", key.strip()


def test_an_export_replays_with_only_the_published_key(demo_db: Path, tmp_path: Path) -> None:
    export, key = _export(demo_db, tmp_path)
    code, out, err = _run("audit", "replay", "--export", str(export), "--log-key", key)
    assert code == 0, err
    assert out.splitlines()[-1].endswith("0 disagreements.")


def test_a_replay_reports_its_counts_as_json(demo_db: Path, tmp_path: Path) -> None:
    export, key = _export(demo_db, tmp_path)
    code, out, _ = _run("--json", "audit", "replay", "--export", str(export), "--log-key", key)
    assert code == 0
    replay = json.loads(out)["replay"]
    assert replay["disagreements"] == []
    assert replay["decisions_rederived"] > 0
    assert replay["kinds"]["release.decided"] > 0


def test_a_replay_refuses_the_key_shipped_inside_the_export(demo_db: Path, tmp_path: Path) -> None:
    export, _ = _export(demo_db, tmp_path)
    code, _, err = _run(
        "audit", "replay", "--export", str(export), "--log-key", f"@{export / 'log.vkey'}"
    )
    assert code == 2
    assert "proves nothing" in err


def test_a_replay_names_the_first_entry_that_disagrees(demo_db: Path, tmp_path: Path) -> None:
    export, key = _export(demo_db, tmp_path)
    lines = (export / "entries.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    # An edited entry, not re-signed: the hashes already give it away, and so does the replay.
    entry = json.loads(rows[10]["entry"])
    entry["data"]["signature"] = None
    rows[10]["entry"] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    (export / "entries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, err = _run("audit", "replay", "--export", str(export), "--log-key", key)
    assert code == 7
    assert "FAIL replay: entry 10 (undertaking.signed)" in out
    assert "does not verify" in err


def test_a_bad_key_is_reported_as_a_bad_key_not_a_bad_export(demo_db: Path, tmp_path: Path) -> None:
    export, _ = _export(demo_db, tmp_path)
    code, _, err = _run("audit", "verify", "--export", str(export), "--log-key", "not-a-key")
    assert code == 2
    assert "field: log_key" in err
    assert "export" not in err.splitlines()[0]


def test_a_bad_key_for_a_server_is_bad_input_before_any_request() -> None:
    # Nothing listens on port 9: the key is refused before the server is asked anything.
    code, _, err = _run("audit", "verify", "--server", "http://127.0.0.1:9", "--log-key", "x")
    assert code == 2
    assert "[validation.invalid]" in err and "field: log_key" in err
    assert "server" not in err.splitlines()[0]


def test_replaying_a_server_that_cannot_be_reached_is_not_read_not_failed() -> None:
    """Nothing listens on port 9: nothing replayed, and nothing said against the log."""
    key = Signer.generate("log.example/l").verifier_key().to_text()
    code, _, err = _run("audit", "replay", "--server", "http://127.0.0.1:9/", "--log-key", key)
    assert code == 11, err
    assert "[ledger.not_read]" in err and "nothing was replayed" in err
    assert "http://127.0.0.1:9/api/v1/audit/checkpoint" in err  # one slash before audit
