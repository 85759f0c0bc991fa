"""Onward sharing from a partner node: what a node took from a Garante upstream it releases
onward only with the upstream's consent, asked signed, answered there, and taken at the node
only with the answer's log entry proven; a replayed or re-targeted answer is refused.

Two Garante stores, each the November 2025 demo replayed: Colombia's (the origin, served once
for the module) and the DEA's node, which pulls through its CLI over real HTTP, as in
test_partner_node.py (tests/support/consentnode.py starts them).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.domain.errors import GaranteError
from garante.service.onward import ServedAnswer
from tests.replay.conftest import Log
from tests.support.consentnode import PURPOSE, Node, serving_consent_node
from tests.taxii.test_partner_node import _ok


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with serving_consent_node(tmp_path_factory.mktemp("consent")) as served:
        yield served


def test_an_item_taken_upstream_is_held_onward_until_consent(node: Node) -> None:
    decided = node.request(node.items[0])
    assert decided["outcome"] == "held"
    assert [r["rule"] for r in decided["rules"]] == ["2.onward-consent-awaited"]


def test_a_granted_consent_proven_at_the_node_releases_the_held_request(node: Node) -> None:
    item = node.items[0]
    held = node.request(item, to="cti")
    asked = node.ask(item, to="cti")
    node.answer(asked["id"], "grant")
    fetched = {f["id"]: f for f in node.fetch()}
    assert fetched[asked["id"]]["status"] == "granted", fetched
    assert held["request"] in fetched[asked["id"]]["moved"]
    shown = json.loads(_ok(node.cli("--json", "releases", "show", str(held["request"]))))[-1]
    assert shown["outcome"] == "released", shown


def test_a_refused_consent_denies_the_onward_release(node: Node) -> None:
    item = node.items[1]
    held = node.request(item, to="dijin")
    asked = node.ask(item, to="dijin")
    node.answer(asked["id"], "refuse")
    fetched = {f["id"]: f for f in node.fetch()}
    assert fetched[asked["id"]]["status"] == "refused"
    shown = json.loads(_ok(node.cli("--json", "releases", "show", str(held["request"]))))[-1]
    assert shown["outcome"] == "denied", shown


def test_the_same_answer_taken_twice_is_refused(node: Node) -> None:
    asked = node.ask(node.items[1], to="cti")
    node.answer(asked["id"], "grant")
    node.fetch()
    served = node.served(asked["id"])
    with (
        node.federation.node.service("replay-attempt") as garante,
        pytest.raises(GaranteError) as refused,
    ):
        garante.take_consent(asked["id"], served)
    assert refused.value.code == "consent.already_taken"


def test_the_answer_of_another_request_is_refused(node: Node) -> None:
    granted = node.ask(node.items[0], to="dijin")
    node.answer(granted["id"], "grant")
    waiting = node.ask(node.items[0], to="dipol")
    served = node.served(granted["id"])
    with node.federation.node.service("replay-attempt") as garante:
        with pytest.raises(GaranteError) as refused:
            garante.take_consent(waiting["id"], served)
        assert refused.value.code == "consent.not_proven"
        assert [a.status for a in garante.asked_consents() if a.id == waiting["id"]] == ["asked"]


def test_an_answer_altered_for_another_recipient_is_refused(node: Node) -> None:
    asked = node.ask(node.items[1], to="dipol")
    node.answer(asked["id"], "grant")
    served = node.served(asked["id"])
    entry = json.loads(served.entry)
    entry["data"]["statement"]["recipient"] = "cti"
    altered = ServedAnswer(index=served.index, entry=json.dumps(entry), proof=served.proof,
                           checkpoint=served.checkpoint)  # fmt: skip
    with (
        node.federation.node.service("replay-attempt") as garante,
        pytest.raises(GaranteError) as refused,
    ):
        garante.take_consent(asked["id"], altered)
    assert refused.value.code == "consent.not_proven"
    assert "not proven" in str(refused.value)


def test_a_partner_cannot_read_the_receipt_of_anothers_consent_answer(node: Node) -> None:
    asked = node.ask(node.items[0], to="fbi")
    node.answer(asked["id"], "refuse")
    index = node.served(asked["id"]).index
    nca = _ok(node.federation.origin.cli("--json", "tokens", "create", "--role", "partner",
                                         "--agency", "nca"))  # fmt: skip
    got = httpx.get(
        f"{node.url}/api/v1/receipts/{index}",
        headers={"Authorization": f"Bearer {json.loads(nca)['token']}"},
        timeout=10,
    )
    assert got.status_code == 404


def test_a_consent_asked_with_an_id_of_the_callers_is_asked_and_answered_under_it(
    node: Node,
) -> None:
    asked = node.ask(node.items[1], to="dijin", consent_id="consent--dea-onward-7")
    node.answer("consent--dea-onward-7", "grant")
    fetched = {f["id"]: f for f in node.fetch()}
    assert asked["id"] == "consent--dea-onward-7"
    assert fetched["consent--dea-onward-7"]["status"] == "granted", fetched


def test_a_consent_id_the_node_asked_before_is_refused_as_taken_and_nothing_is_sent(
    node: Node,
) -> None:
    node.ask(node.items[0], to="cti", consent_id="consent--dea-onward-8")
    again = node.cli("consents", "request", node.items[1], "--to", "cti",
                     "--purpose", PURPOSE, "--key", str(node.key),
                     "--id", "consent--dea-onward-8")  # fmt: skip
    assert again.returncode == 4, again.stdout + again.stderr
    assert "consent.id_taken" in again.stderr and "asked before" in again.stderr
    origin = json.loads(_ok(node.federation.origin.cli("--json", "consents", "list")))
    assert [c["id"] for c in origin].count("consent--dea-onward-8") == 1


def test_both_logs_replay_with_no_disagreement(node: Node, tmp_path: Path) -> None:
    for name, store in (("origin", node.federation.origin), ("node", node.federation.node)):
        key = tmp_path / f"{name}.vkey"
        key.write_text(_ok(store.cli("audit", "key")))
        export = tmp_path / f"{name}-export"
        _ok(store.cli("--json", "audit", "export", str(export)))
        replay = store.cli("audit", "replay", "--export", str(export), "--log-key", f"@{key}")
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert replay.stdout.splitlines()[-1].endswith("0 disagreements."), replay.stdout


def _node_log(node: Node) -> Log:
    """The node's log as it stands, with the key that signs its checkpoints, so that an entry
    can be rewritten and re-signed: a rewrite no hash check sees, only a replay's own proof."""
    with node.federation.node.service("replay-check") as garante:
        return Log.of(garante, Path(f"{node.federation.node.db}.log-key"))


def test_replay_proves_each_consent_answer_the_node_took(node: Node) -> None:
    log = _node_log(node)
    assert log.indexes("consent.received"), "the tests above take answers"
    replayed = log.replayed()
    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]


def test_a_consent_answer_whose_proof_was_altered_is_named_by_replay(node: Node) -> None:
    log = _node_log(node)
    (taken, *_) = log.indexes("consent.received")

    def other_proof(entry: dict[str, Any]) -> None:
        proof = entry["data"]["proof"]
        proof[0] = base64.b64encode(bytes(32)).decode()

    forged = log.forged(taken, other_proof)

    messages = [str(d) for d in forged.replayed().replay.disagreements]
    assert any(f"entry {taken} " in m and "cannot prove" in m for m in messages), messages


def test_a_consent_answer_moved_to_another_upstream_index_is_named_by_replay(node: Node) -> None:
    log = _node_log(node)
    (taken, *_) = log.indexes("consent.received")

    def elsewhere(entry: dict[str, Any]) -> None:
        entry["data"]["upstream_index"] += 1

    forged = log.forged(taken, elsewhere)

    messages = [str(d) for d in forged.replayed().replay.disagreements]
    assert any(f"entry {taken} " in m and "not proven" in m for m in messages), messages
