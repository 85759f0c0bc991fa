"""``audit verify --tiles`` and ``witness cosign --tiles`` against a real server's /log."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from garante.ledger.tiles import bundles_for, tiles_for
from tests.support.servers import Server, running_server
from tests.support.stores import GARANTE, Store
from tests.support.tiled import grow_log


def _run(server: Server, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in another process, reaching the server over HTTP only."""
    return subprocess.run(
        [GARANTE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=server.store.environ(),
        cwd=cwd,
    )


@contextmanager
def _serve(directory: Path) -> Iterator[Server]:
    store = Store.sqlite(directory / "garante.db")
    grow_log(store, at_least=1000)
    with running_server(store) as server:
        (directory / "log.vkey").write_text(httpx.get(f"{server.api}/audit/key").json()["log_key"])
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with _serve(tmp_path_factory.mktemp("tiles")) as served:
        yield served


@pytest.fixture(scope="module")
def overseer(server: Server) -> str:
    return server.token("overseer", agency="cti")


def _key(server: Server) -> str:
    return "@" + str(Path(server.db).parent / "log.vkey")


def _size(server: Server) -> int:
    return int(httpx.get(f"{server.url}/log/checkpoint").text.splitlines()[1])


def _verify(server: Server, *extra: str) -> subprocess.CompletedProcess[str]:
    url = f"{server.url}/log"
    return _run(server, *extra, "audit", "verify", "--tiles", url, "--log-key", _key(server))


def test_a_served_tiled_log_verifies_and_says_how_many_requests_it_took(
    server: Server, overseer: str
) -> None:
    ran = _run(
        server, "--json", "audit", "verify", "--tiles", f"{server.url}/log", "--log-key",
        _key(server), "--token", overseer,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    size = report["latest_verified_size"]
    assert report["ok"] and report["entries"] == size <= _size(server)
    assert report["requests"] == 1 + len(bundles_for(size)) + len(tiles_for(size))


def test_the_plain_report_ends_with_the_request_count(server: Server, overseer: str) -> None:
    ran = _run(
        server, "audit", "verify", "--tiles", f"{server.url}/log", "--log-key", _key(server),
        "--token", overseer,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("OK ") and " requests." in ran.stdout


def test_without_a_token_the_bundles_are_refused_with_a_hint(server: Server) -> None:
    ran = _verify(server)
    assert ran.returncode == 11  # not read: nothing found wrong with the log
    assert "ledger.not_read" in ran.stderr
    assert "tile/entries/000 answered 401" in ran.stderr
    assert "--token" in ran.stderr


def test_without_the_logs_key_nothing_is_fetched(server: Server) -> None:
    ran = _run(server, "audit", "verify", "--tiles", "http://127.0.0.1:9/log")
    assert ran.returncode == 2
    assert "needs the log's key" in ran.stderr


@pytest.mark.parametrize("flag", ["--tiles", "--server"])
def test_a_log_that_cannot_be_reached_is_not_read_not_failed(server: Server, flag: str) -> None:
    """Nothing listens on port 9: an inspector's script must not take that for tampering."""
    ran = _run(server, "audit", "verify", flag, "http://127.0.0.1:9", "--log-key", _key(server))
    assert ran.returncode == 11, ran.stderr
    assert "[ledger.not_read]" in ran.stderr and "nothing was verified" in ran.stderr
    assert "ledger.verification_failed" not in ran.stderr


def test_tiles_are_one_copy_of_the_log_to_verify_not_one_more(server: Server) -> None:
    ran = _run(
        server, "audit", "verify", "--tiles", f"{server.url}/log", "--server", server.url,
        "--log-key", _key(server),
    )  # fmt: skip
    assert ran.returncode == 2
    assert "give --tiles, --server or --export" in ran.stderr


def test_a_tampered_tile_is_found_and_named(tmp_path: Path) -> None:
    """A leaf hash changed in the store is served in its tile, and verification names it."""
    with _serve(tmp_path) as tampered:
        token = tampered.token("overseer", agency="cti")
        with sqlite3.connect(tampered.db) as db:
            db.execute(
                "UPDATE ledger_subtrees SET hash = ? WHERE level = 0 AND idx = 300", (bytes(32),)
            )
        db.close()
        ran = _run(
            tampered, "audit", "verify", "--tiles", f"{tampered.url}/log", "--log-key",
            _key(tampered), "--token", token,
        )  # fmt: skip
        assert ran.returncode == 7
        assert ran.stdout.startswith(
            "FAIL entry 300: the entry does not hash to its leaf hash in tile/0/001\n"
        )
        assert "the log does not verify (first bad index 300)" in ran.stderr


def test_a_witness_cosigns_as_the_log_grows_with_proofs_from_its_tiles(
    server: Server, tmp_path: Path
) -> None:
    witness = str(tmp_path / "witness")
    assert _run(server, "witness", "init", "w.example/w1", "--dir", witness).returncode == 0
    cosign = ("--json", "witness", "cosign", "--dir", witness, "--log-key", _key(server))
    first = _run(server, *cosign, "--tiles", f"{server.url}/log")
    assert first.returncode == 0, first.stderr
    old = json.loads(first.stdout)["size"]
    server.token("analyst", agency="dipol")  # an entry more, published within a second
    deadline = time.monotonic() + 30
    while _size(server) == old:
        assert time.monotonic() < deadline, "the server published no new checkpoint"
        time.sleep(0.1)
    second = _run(server, *cosign, "--tiles", f"{server.url}/log")
    assert second.returncode == 0, second.stderr
    grown = json.loads(second.stdout)
    assert grown["previous_size"] == old and grown["size"] > old
    assert 1 < grown["requests"] <= 1 + 3  # the checkpoint and the tiles the proof reads


def test_a_witness_takes_a_proof_or_the_tiles_not_both(server: Server, tmp_path: Path) -> None:
    (tmp_path / "proof.json").write_text("{}")
    ran = _run(
        server, "witness", "cosign", "--dir", str(tmp_path), "--log-key", _key(server),
        "--tiles", f"{server.url}/log", "--proof", str(tmp_path / "proof.json"),
    )  # fmt: skip
    assert ran.returncode == 2
    assert "give --proof or --tiles, not both" in ran.stderr
