"""A Garante as a partner node of another Garante: it takes what it can prove, and nothing of
an upstream whose log forked.

Two Garante stores, each the November 2025 demo replayed: Colombia's (the origin, served by
``garante serve`` on loopback) and the DEA's (the node, pulling through its CLI, over real
HTTP). The node's source is of kind ``garante``: it reads the DEA's partner collection on the
origin and verifies each delivered object's receipt with the origin's log key before taking
it, and each checkpoint's consistency with the last it verified. The fork is a real one: a
copy of the origin's store taken before either was written again, each then given a different
entry, served one after the other on the same address.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.ledger.checkpoint import Checkpoint, verify_cosignature
from garante.ledger.note import SIG_COSIGNATURE_V1, VerifierKey, open_note
from tests.support import reach
from tests.support.servers import API, await_health, started
from tests.support.stores import GARANTE, Store

SOURCE = "from-colombia"
NODE_AGENCY = "dea"
ORIGINATOR = "dijin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _serving(store: Store, port: int) -> Iterator[str]:
    """``garante serve`` on ``store`` at a given port (a fork is served where the log was)."""
    command = [GARANTE, "--db", store.db, "serve", "--init", "--port", str(port),
               "--checkpoint-interval", "0.2"]  # fmt: skip
    with started("garante serve", command, env=store.environ()) as running:
        await_health(running.url)
        _published(running.url, store)
        yield running.url


def _published(url: str, store: Store, seconds: float = 30) -> None:
    """Until the server has signed a checkpoint over its whole log."""
    deadline = time.monotonic() + seconds
    while True:
        with sqlite3.connect(store.db) as connection:
            (size,) = connection.execute("SELECT count(*) FROM ledger_entries").fetchone()
        connection.close()
        served = httpx.get(f"{url}{API}/audit/checkpoint", timeout=10)
        if served.status_code == 200 and served.json()["size"] == size:
            return
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.2)


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    out: str = result.stdout
    return out


@dataclass
class Federation:
    origin: Store
    node: Store
    token: str  # the DEA's partner token on the origin
    log_key: str  # the origin log's verifier key
    port: int

    def collection(self, url: str) -> str:
        served = httpx.get(
            f"{url}/taxii2/api/collections/",
            headers={"Authorization": f"Bearer {self.token}",
                     "Accept": "application/taxii+json;version=2.1"},
            timeout=30,
        )  # fmt: skip
        found: str = next(c["id"] for c in served.json()["collections"] if c["can_read"])
        return found

    def add_source(self, url: str) -> None:
        env_name = "UPSTREAM_TOKEN"
        node = Store(db=self.node.db, env={**self.node.env, env_name: self.token})
        arguments = [
            "sources", "add", SOURCE, "--kind", "garante", "--url", url,
            "--collection", self.collection(url), "--auth", "bearer", "--secret-env", env_name,
            "--log-key", self.log_key, "--originator", ORIGINATOR,
            "--category", "drug-trafficking", "--region", "andean", "--tlp", "amber",
        ]  # fmt: skip
        _ok(node.cli(*arguments))

    def pull(self) -> Any:
        return self.node.cli("--json", "sources", "pull", SOURCE)

    def source(self) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(_ok(self.node.cli("--json", "sources", "show", SOURCE)))
        return shown

    def state(self) -> dict[str, Any] | None:
        with sqlite3.connect(self.node.db) as connection:
            (state,) = connection.execute(
                "SELECT upstream_checkpoint FROM sources WHERE id = ?", (SOURCE,)
            ).fetchone()
        connection.close()
        return json.loads(state) if state else None

    def items(self) -> list[str]:
        with sqlite3.connect(self.node.db) as connection:
            rows = connection.execute(
                "SELECT id FROM items WHERE id LIKE ?", (f"{SOURCE}-%",)
            ).fetchall()
        connection.close()
        return [row[0] for row in rows]


@pytest.fixture
def federation(tmp_path: Path) -> Federation:
    origin = Store.sqlite(_directory(tmp_path, "origin") / "garante.db")
    origin.replay_demo()
    built = Store.sqlite(_directory(tmp_path, "node") / "garante.db")
    # The node's operator lets its sources reach the origin, which listens on loopback.
    node = Store(db=built.db, env={**built.env, **reach.environ()})
    node.replay_demo()
    created = _ok(origin.cli("--json", "tokens", "create", "--role", "partner",
                             "--agency", NODE_AGENCY))  # fmt: skip
    key = _ok(origin.cli("audit", "key")).strip()
    return Federation(
        origin=origin, node=node, token=json.loads(created)["token"], log_key=key,
        port=_free_port(),
    )  # fmt: skip


def _directory(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


# -- what verifies is taken ------------------------------------------------------------------


def test_a_node_takes_each_delivered_release_whose_receipt_verifies(
    federation: Federation,
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        pulled = json.loads(_ok(federation.pull()))["pulled"]
    assert len(pulled["items"]) == 2 and pulled["rejected"] == [], pulled
    assert sorted(pulled["items"]) == sorted(federation.items())


def test_each_item_taken_keeps_the_terms_it_was_released_under_upstream(
    federation: Federation,
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        pulled = json.loads(_ok(federation.pull()))["pulled"]
        origin = httpx.get(f"{url}{API}/audit/checkpoint", timeout=10).json()["note"]
    for item_id in pulled["items"]:
        shown = json.loads(_ok(federation.node.cli("--json", "items", "show", item_id)))
        terms = shown["released_under"]
        assert terms["log_origin"] == origin.split("\n")[0]
        assert terms["released_to"] == NODE_AGENCY and terms["purpose"]
        assert terms["undertaking"] and terms["undertaking"] in terms["statement"]
        assert terms["tlp"] == shown["tlp"]
        entry = _ok(federation.origin.cli("audit", "entries", "--start",
                                          str(terms["log_index"]), "--limit", "1"))  # fmt: skip
        assert '"release.marked"' in entry and f'"request":{terms["request"]}' in entry


def test_a_node_cosigns_the_upstream_checkpoint_it_verified_and_keeps_it(
    federation: Federation,
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        _ok(federation.pull())
        latest = httpx.get(f"{url}{API}/audit/checkpoint", timeout=10).json()
    state = federation.state()
    assert state is not None and 0 < state["size"] <= latest["size"]
    opened, _ = open_note(state["note"], [VerifierKey.parse(federation.log_key)])
    assert Checkpoint.parse(opened).size == state["size"]  # signed by the upstream's log
    node_log = VerifierKey.parse(_ok(federation.node.cli("audit", "key")).strip())
    node_key = VerifierKey.from_public_key(node_log.name, node_log.public_key, SIG_COSIGNATURE_V1)
    text = state["note"].split("\n\n")[0] + "\n"
    assert verify_cosignature(text, state["cosignature"].rstrip("\n"), node_key) > 0


def test_a_tampered_delivered_object_is_not_taken_and_the_pull_says_why(
    federation: Federation,
) -> None:
    with _serving(federation.origin, federation.port) as url:
        with sqlite3.connect(federation.origin.db) as connection:
            seq, body = connection.execute(
                "SELECT seq, body FROM feed_objects WHERE partner_id = ? AND object_type = "
                "'report' ORDER BY seq LIMIT 1",
                (NODE_AGENCY,),
            ).fetchone()
            changed = json.loads(body)
            changed["name"] = "Something else entirely"
            connection.execute(
                "UPDATE feed_objects SET body = ? WHERE seq = ?", (json.dumps(changed), seq)
            )
        connection.close()
        federation.add_source(url)
        pulled = json.loads(_ok(federation.pull()))["pulled"]
    refused = [line for line in pulled["rejected"] if changed["id"] in line]
    assert refused and "its content differs" in refused[0], pulled["rejected"]
    assert len(pulled["items"]) == 1  # the other release, untouched, is taken
    assert "not taken" in (federation.source()["last_error"] or "")


# -- a forked upstream is refused ------------------------------------------------------------


def test_an_upstream_whose_log_forked_is_refused_and_the_source_says_so(
    federation: Federation, tmp_path: Path
) -> None:
    fork = federation.origin.copy(_directory(tmp_path, "fork"))
    # The two logs diverge: each gets entries the other has not, the fork more of them (a
    # longer log whose consistency proof from the checkpoint the node verified cannot hold).
    _ok(federation.origin.cli("tokens", "create", "--role", "analyst", "--agency", ORIGINATOR))
    for _ in range(6):
        _ok(fork.cli("tokens", "create", "--role", "overseer", "--agency", ORIGINATOR))
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        _ok(federation.pull())
    before = federation.state()
    taken = federation.items()
    assert before is not None
    with _serving(fork, federation.port):
        refused = federation.pull()
    assert refused.returncode == 11, refused.stdout + refused.stderr
    text = refused.stdout + refused.stderr
    assert "source.upstream_forked" in text and "the upstream log forked" in text
    assert f"size {before['size']}" in text and before["root_hash"] in text
    assert federation.state() == before  # the fork's checkpoint is not kept
    assert federation.items() == taken  # nothing of that pull was taken
    assert "the upstream log forked" in (federation.source()["last_error"] or "")


# -- both logs replay --------------------------------------------------------------------------


def test_both_logs_replay_with_no_disagreement_after_a_node_pulled(
    federation: Federation, tmp_path: Path
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        _ok(federation.pull())
    for name, store in (("origin", federation.origin), ("node", federation.node)):
        key = tmp_path / f"{name}.vkey"
        key.write_text(_ok(store.cli("audit", "key")))
        export = tmp_path / f"{name}-export"
        _ok(store.cli("--json", "audit", "export", str(export)))
        replay = store.cli("audit", "replay", "--export", str(export), "--log-key", f"@{key}")
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert replay.stdout.splitlines()[-1].endswith("0 disagreements."), replay.stdout


def test_db_check_names_terms_and_a_log_key_edited_behind_the_nodes_log(
    federation: Federation, tmp_path: Path
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        _ok(federation.pull())
    key = tmp_path / "node.vkey"
    key.write_text(_ok(federation.node.cli("audit", "key")))
    _ok(federation.node.cli("audit", "checkpoint"))
    check = ("--json", "db", "check", "--log-key", f"@{key}")
    untouched = federation.node.cli(*check)
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    with sqlite3.connect(federation.node.db) as connection:
        connection.execute(
            "UPDATE source_ingests SET terms = json_set(terms, '$.purpose', 'onward-sharing') "
            "WHERE terms IS NOT NULL"
        )
        connection.execute("UPDATE sources SET log_key = NULL WHERE id = ?", (SOURCE,))
    connection.close()
    edited = federation.node.cli(*check)
    assert edited.returncode == 8, edited.stdout + edited.stderr
    differences = json.loads(edited.stdout)["replay"]["differences"]
    assert any(f"sources row {SOURCE}: log_key" in d for d in differences), differences
    assert any("source_ingests row" in d and ": terms is" in d for d in differences), differences
