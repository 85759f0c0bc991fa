"""An inspector checks a running log over HTTP, with nothing but the key and its own state."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from garante.inspector import inspect
from garante.ledger.note import VerifierKey
from tests.support.servers import Server

runner = CliRunner()


def _key(server: Server) -> VerifierKey:
    return VerifierKey.parse(httpx.get(f"{server.api}/audit/key").json()["log_key"])


@pytest.fixture(scope="module")
def overseer(demo_server: Server) -> str:
    return demo_server.token("overseer", agency="cti")


def test_the_served_checkpoint_and_sampled_proofs_verify(
    demo_server: Server, overseer: str
) -> None:
    result = inspect(demo_server.url, _key(demo_server), token=overseer, sample=5)
    assert result.ok, result.problems
    assert len(result.sampled) == 5


def test_a_full_check_rebuilds_the_tree_from_served_entries(
    demo_server: Server, overseer: str
) -> None:
    result = inspect(demo_server.url, _key(demo_server), token=overseer, full=True)
    assert result.ok, result.problems
    assert result.entries_checked == result.checkpoint.size


def test_the_next_visit_proves_the_log_only_grew(
    demo_server: Server, overseer: str, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    first = inspect(demo_server.url, _key(demo_server), token=overseer, state_file=state)
    demo_server.token("partner", agency="nca")  # one more entry; the publisher signs it
    for _ in range(50):
        if httpx.get(f"{demo_server.api}/audit/checkpoint").json()["size"] > first.checkpoint.size:
            break
        time.sleep(0.1)
    second = inspect(demo_server.url, _key(demo_server), token=overseer, state_file=state)
    assert second.ok, second.problems
    assert second.previous_size == first.checkpoint.size
    assert second.checkpoint.size > first.checkpoint.size


def test_a_forged_earlier_root_is_reported_as_not_append_only(
    demo_server: Server, overseer: str, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    inspect(demo_server.url, _key(demo_server), token=overseer, state_file=state)
    remembered = json.loads(state.read_text())
    remembered["size"] -= 1
    remembered["root"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    state.write_text(json.dumps(remembered))
    result = inspect(demo_server.url, _key(demo_server), token=overseer, state_file=state)
    assert not result.ok
    assert "append-only" in result.problems[0]


def test_the_cli_checks_a_server_as_an_inspector_would(
    demo_server: Server, overseer: str, tmp_path: Path
) -> None:
    key = _key(demo_server).to_text()
    result = runner.invoke(
        app,
        [
            "audit",
            "verify",
            "--server",
            demo_server.url,
            "--log-key",
            key,
            "--token",
            overseer,
            "--state",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK checkpoint of size")


def test_the_cli_replays_a_running_servers_log_over_http(
    demo_server: Server, overseer: str
) -> None:
    key = _key(demo_server).to_text()
    result = runner.invoke(
        app,
        ["audit", "replay", "--server", demo_server.url, "--log-key", key, "--token", overseer],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("0 disagreements.")


def test_checking_a_server_without_a_token_says_which_token_it_needs(demo_server: Server) -> None:
    key = _key(demo_server).to_text()
    for command in ("verify", "replay"):
        result = runner.invoke(
            app,
            ["audit", command, "--server", demo_server.url, "--log-key", key],
            env={"GARANTE_TOKEN": ""},
        )
        assert result.exit_code == 11, (command, result.stderr)  # not read, not failed
        assert "[ledger.not_read]" in result.stderr, (command, result.stderr)
        assert "overseer token" in result.stderr, (command, result.stderr)
