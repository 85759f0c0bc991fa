"""Two Garante logs witness each other: a node posts its cosignature of each upstream checkpoint
it verified, and the upstream takes it only from a witness its operator registered.

The stores and servers are those of ``test_partner_node``: Colombia's (the origin, served by
``garante serve`` on loopback) and the DEA's node, each the November 2025 demo replayed, the
node pulling through its CLI over real HTTP. The node cosigns with its own log key; the
origin's operator registers that key as a witness (``garante witnesses add``).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from garante.ledger.checkpoint import cosign, cosigners
from garante.ledger.note import SIG_COSIGNATURE_V1, Signer, VerifierKey, parse_note
from tests.support import reach
from tests.support.servers import API
from tests.support.stores import Store
from tests.taxii.test_partner_node import (
    NODE_AGENCY,
    SOURCE,
    Federation,
    _free_port,
    _ok,
    _serving,
    federation,
)

__all__ = ["federation"]  # the fixture, shared with the partner-node tests

REFUSED = "ledger.cosignature_refused"


def _cosigner(store: Store) -> VerifierKey:
    """The key a Garante cosigns with as a witness: its log key, as a type 0x04 key."""
    log = VerifierKey.parse(_ok(store.cli("audit", "key")).strip())
    return VerifierKey.from_public_key(log.name, log.public_key, SIG_COSIGNATURE_V1)


def _register(store: Store, witness: Store) -> None:
    _ok(store.cli("witnesses", "add", _ok(witness.cli("audit", "key")).strip()))


def _kept(store: Store, size: int) -> list[str]:
    """The cosignature lines ``store`` keeps with its checkpoint of ``size``."""
    with sqlite3.connect(store.db) as connection:
        (lines,) = connection.execute(
            "SELECT cosignatures FROM ledger_checkpoints WHERE size = ?", (size,)
        ).fetchone()
    connection.close()
    kept: list[str] = json.loads(lines)
    return kept


def _served(url: str) -> dict[str, Any]:
    served: dict[str, Any] = httpx.get(f"{url}{API}/audit/checkpoint", timeout=10).json()
    return served


def _post(url: str, note: str) -> httpx.Response:
    return httpx.post(f"{url}{API}/audit/cosignatures", json={"note": note}, timeout=10)


# -- the node's cosignature lands upstream -----------------------------------------------------


def test_the_node_cosignature_lands_on_the_origin_checkpoint(federation: Federation) -> None:
    _register(federation.origin, federation.node)
    with _serving(federation.origin, federation.port) as url:
        listed = httpx.get(f"{url}{API}/audit/witnesses", timeout=10).json()
        federation.add_source(url)
        _ok(federation.pull())
        state = federation.state()
        assert state is not None and state["posted"] is True, state
        served = _served(url)
    assert state["cosignature"] in _kept(federation.origin, state["size"])
    if served["size"] == state["size"]:  # the log did not grow since: served with it
        assert cosigners(served["note"], [_cosigner(federation.node)])
    assert [w["key"] for w in listed] == [_cosigner(federation.node).to_text()]
    shown = federation.source()["upstream_checkpoint"]
    assert shown["size"] == state["size"] and shown["cosignature_accepted"] is True


def test_a_cosignature_the_origin_refuses_fails_no_pull_and_is_posted_again(
    federation: Federation,
) -> None:
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        pulled = federation.pull()  # the node's key is not registered upstream yet
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        refused = federation.source()["upstream_checkpoint"]
        _register(federation.origin, federation.node)
        _ok(federation.pull())
        state = federation.state()
    assert refused["cosignature_accepted"] is False
    assert REFUSED in refused["cosignature_error"]
    assert "not by a witness this log registered" in refused["cosignature_error"]
    assert state is not None and state["posted"] is True
    assert state["cosignature"] in _kept(federation.origin, state["size"])


# -- what the log refuses ----------------------------------------------------------------------


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    body: dict[str, str] = response.json()
    assert body["code"] == REFUSED and body["hint"], body
    return body["message"]


def test_a_cosignature_by_an_unregistered_key_is_refused(federation: Federation) -> None:
    stranger = Signer.generate("stranger.example/w")
    with _serving(federation.origin, federation.port) as url:
        note = _served(url)["note"]
        text, _ = parse_note(note)
        message = _refusal(_post(url, note + cosign(text, stranger, 1_700_000_000)))
        latest = _served(url)
    assert "is not by a witness this log registered" in message
    assert "stranger.example/w" not in latest["note"]


def test_a_cosignature_over_a_checkpoint_the_log_never_signed_is_refused(
    federation: Federation, tmp_path: Path
) -> None:
    witness = Signer.generate("witness.example/w")
    key = witness.verifier_key(SIG_COSIGNATURE_V1).to_text()
    _ok(federation.origin.cli("witnesses", "add", key))
    with _serving(federation.origin, federation.port) as url:
        text, signatures = parse_note(_served(url)["note"])
        origin, size, _root = text.split("\n")[:3]
        forged = f"{origin}\n{size}\n{'A' * 43}=\n"
        own = "".join(s.to_line() for s in signatures)
        message = _refusal(_post(url, f"{forged}\n{own}{cosign(forged, witness, 1)}"))
    assert f"published no checkpoint of origin {origin}, size {size}" in message


def test_a_malformed_cosignature_is_refused(federation: Federation) -> None:
    witness = Signer.generate("witness.example/w")
    _ok(federation.origin.cli("witnesses", "add", witness.verifier_key().to_text()))
    with _serving(federation.origin, federation.port) as url:
        note = _served(url)["note"]
        text, _ = parse_note(note)
        name, blob = cosign(text, witness, 1).rstrip("\n").removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(blob)
        changed = base64.b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode()
        damaged = f"\u2014 {name} {changed}\n"  # the signature's last byte changed
        not_a_note = _refusal(_post(url, "not a signed checkpoint"))
        bad_signature = _refusal(_post(url, note + damaged))
        only_the_log = _refusal(_post(url, note))
    assert not_a_note.startswith("not a signed checkpoint")
    assert "does not verify over this checkpoint" in bad_signature
    assert "carries no cosignature" in only_the_log


# -- inspectors require cosignatures -----------------------------------------------------------


def test_audit_verify_requires_the_cosignatures_of_min_witnesses(
    federation: Federation, tmp_path: Path
) -> None:
    _register(federation.origin, federation.node)
    node_key = tmp_path / "node.vkey"
    node_key.write_text(_ok(federation.node.cli("audit", "key")))
    other = Signer.generate("other.example/w").verifier_key(SIG_COSIGNATURE_V1).to_text()
    created = _ok(federation.origin.cli("--json", "tokens", "create", "--role", "overseer",
                                        "--agency", "dijin"))  # fmt: skip
    overseer = json.loads(created)["token"]
    with _serving(federation.origin, federation.port) as url:
        federation.add_source(url)
        _ok(federation.pull())
        _ok(federation.pull())  # the checkpoint over the deliveries the first pull logged
        state = federation.state()
        assert state is not None and _served(url)["size"] == state["size"]
        verify = ["audit", "verify", "--server", url, "--log-key", federation.log_key,
                  "--token", overseer, "--witness-key", f"@{node_key}"]  # fmt: skip
        passed = federation.origin.cli(*verify, "--min-witnesses", "1")
        failed = federation.origin.cli(*verify, "--witness-key", other, "--min-witnesses", "2")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "cosigned by 1 of the 1 witness(es) given" in passed.stdout
    assert failed.returncode == 7, failed.stdout + failed.stderr
    assert "ledger.verification_failed" in failed.stderr
    assert "cosignatures of 1 of the 2 witness(es) given" in failed.stderr


# -- both directions ---------------------------------------------------------------------------


def test_two_logs_witness_each_other(federation: Federation) -> None:
    """The origin also takes the node's releases to the DEA (the same demo, on the node's
    store) and cosigns the node's log: each log then serves the other's cosignature."""
    _register(federation.origin, federation.node)
    _register(federation.node, federation.origin)
    origin = Store(db=federation.origin.db, env={**federation.origin.env, **reach.environ()})
    partner = _ok(federation.node.cli("--json", "tokens", "create", "--role", "partner",
                                      "--agency", NODE_AGENCY))  # fmt: skip
    back = Federation(
        origin=federation.node,
        node=origin,
        token=json.loads(partner)["token"],
        log_key=_ok(federation.node.cli("audit", "key")).strip(),
        port=_free_port(),
    )
    with (
        _serving(federation.origin, federation.port) as origin_url,
        _serving(federation.node, back.port) as node_url,
    ):
        federation.add_source(origin_url)
        _ok(federation.pull())
        back.add_source(node_url)
        _ok(back.pull())
        node_state, origin_state = federation.state(), back.state()
    # the whole state on failure: its post_error says why a cosignature was not taken
    assert node_state is not None and node_state["posted"] is True, node_state
    assert origin_state is not None and origin_state["posted"] is True, origin_state
    assert node_state["cosignature"] in _kept(federation.origin, node_state["size"])
    assert origin_state["cosignature"] in _kept(federation.node, origin_state["size"])
    assert SOURCE in federation.source()["id"] and back.source()["upstream_checkpoint"]
