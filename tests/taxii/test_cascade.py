"""A recall cascades down a chain of Garante nodes, each acknowledging upstream by itself.

Three Garante servers on loopback (tests/support/cascade.py): Colombia's (the origin), the
DEA's node, which takes the DEA's partner feed on the origin, and the NCA's node, which takes
the NCA's partner feed on the DEA's node (the DEA released onward what it took). Each node's
source holds its agency's signing key. The scenario runs once (three servers are costly on a
small machine) and each test checks one thing it left behind:

1. the DEA's node pulls: it takes Colombia's releases and acknowledges each delivery;
2. the DEA releases them onward to the NCA once Colombia consented (asked, granted, fetched
   proven), and the NCA's node pulls and acknowledges in turn;
3. the DEA's node is stopped; Colombia recalls a release it delivered to the DEA: the recall
   stays unacknowledged while the node is down;
4. the node comes back and pulls: it withdraws the item (revoked, its onward release to the NCA
   recalled), then acknowledges the recall; a second pull acknowledges nothing again;
5. the NCA's node pulls: it withdraws its copy and acknowledges the DEA's recall;
6. a source whose acknowledgements the upstream refuses (a key the upstream does not know)
   keeps them in its outbox, shown in its state, and tries them again at the next pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.signatures import private_key_pem
from tests.support.cascade import Chain, serving, signing_key_pem

FROM_ORIGIN = "from-colombia"
FROM_NODE = "from-dea"
REFUSED = "from-colombia-unknown-key"


@dataclass
class Observed:
    chain: Chain
    first_pull: dict[str, Any]
    downstream_pull: dict[str, Any]
    recalled: int  # the origin's release to the DEA that it recalled
    withdrawn_item: str  # the DEA node's item that release brought
    onward: int  # the DEA node's release of that item to the NCA
    while_down: list[dict[str, Any]]  # the origin's unacknowledged recalls, the node down
    back_pull: dict[str, Any]
    after_back: list[dict[str, Any]]
    recall_acks_after_second_pull: list[dict[str, Any]]
    downstream_recall_pull: dict[str, Any]
    node_unacknowledged_after: list[dict[str, Any]]
    refused_first: dict[str, Any]
    refused_again: dict[str, Any]
    replays: dict[str, str]


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    directory = tmp_path_factory.mktemp("cascade")
    chain = Chain.build(directory)
    origin, node, downstream = chain.origin, chain.node, chain.downstream
    # A report of Colombia's own, new to both nodes (the demo's items are in every store).
    recalled = chain.release_new_item(origin, "co-2025-9001", "dea", "interdiction", directory)
    with serving(origin):
        chain.add_source(node, origin, FROM_ORIGIN)
        first = chain.pull(node, FROM_ORIGIN)
        withdrawn = next(
            item
            for item in first["items"]
            if node.json("items", "show", item)["released_under"]["request"] == recalled
        )
        decided = node.json("request", withdrawn, "--to", "nca", "--purpose", "seizure")
        assert decided["outcome"] == "held", decided  # Colombia's consent is awaited
        onward: int = decided["request"]
        key = directory / "dea.pem"
        key.write_text(signing_key_pem("dea"))
        asked = node.json(
            "consents", "request", withdrawn, "--to", "nca", "--purpose", "seizure",
            "--key", str(key),
        )  # fmt: skip
        origin.cli("consents", "grant", asked["id"], "--reason", "seizure by the NCA")
        node.json("consents", "fetch")
        shown = node.json("releases", "show", str(onward))[-1]
        assert shown["outcome"] == "released", shown
        with serving(node):
            chain.add_source(downstream, node, FROM_NODE)
            downstream_pull = chain.pull(downstream, FROM_NODE)
        # The DEA's node is down: Colombia recalls a release it delivered to the DEA.
        origin.cli("releases", "recall", str(recalled), "--reason", "source compromised")
        while_down = chain.unacknowledged(origin, node.agency)
        with serving(node):
            back = chain.pull(node, FROM_ORIGIN)
            after_back = chain.unacknowledged(origin, node.agency)
            chain.pull(node, FROM_ORIGIN)
            recall_acks = origin.entries("recall.acknowledged")
            downstream_recall = chain.pull(downstream, FROM_NODE)
            node_after = chain.unacknowledged(node, downstream.agency)
        # The NCA's node on Colombia's feed, with a key Colombia does not know for the NCA.
        unknown = private_key_pem(Ed25519PrivateKey.generate()).decode()
        chain.add_source(downstream, origin, REFUSED, signing_key=unknown)
        chain.pull(downstream, REFUSED)
        refused_first = downstream.json("sources", "show", REFUSED)
        chain.pull(downstream, REFUSED)
        refused_again = downstream.json("sources", "show", REFUSED)
    replays = {each.name: each.replay(directory) for each in (origin, node, downstream)}
    return Observed(
        chain=chain, first_pull=first, downstream_pull=downstream_pull, recalled=recalled,
        withdrawn_item=withdrawn, onward=onward, while_down=while_down, back_pull=back,
        after_back=after_back, recall_acks_after_second_pull=recall_acks,
        downstream_recall_pull=downstream_recall, node_unacknowledged_after=node_after,
        refused_first=refused_first, refused_again=refused_again, replays=replays,
    )  # fmt: skip


def _of(entries: list[dict[str, Any]], agency: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["statement"]["agency"] == agency]


# -- deliveries --------------------------------------------------------------------------------


def test_the_node_acknowledges_each_release_it_took_at_the_origin(observed: Observed) -> None:
    taken = {
        observed.chain.node.json("items", "show", item)["released_under"]["request"]
        for item in observed.first_pull["items"]
    }
    acknowledged = _of(observed.chain.origin.entries("release.acknowledged"), "dea")
    assert taken and {e["statement"]["release"] for e in acknowledged} == taken
    assert len(acknowledged) == len(taken)  # once each


def test_the_downstream_node_acknowledges_each_release_it_took_at_the_node(
    observed: Observed,
) -> None:
    assert observed.downstream_pull["items"], observed.downstream_pull
    acknowledged = _of(observed.chain.node.entries("release.acknowledged"), "nca")
    assert len(acknowledged) == len(observed.downstream_pull["items"])


# -- a recall while the node is down, then the cascade --------------------------------------


def test_a_recall_stays_unacknowledged_while_the_node_is_down(observed: Observed) -> None:
    assert [r["release"] for r in observed.while_down] == [observed.recalled]


def test_the_node_back_withdraws_the_item_and_recalls_its_onward_release(
    observed: Observed,
) -> None:
    assert observed.back_pull["revoked"] == [observed.withdrawn_item]
    assert observed.back_pull["recalled"] == [observed.onward]


def test_the_origin_has_the_recall_acknowledged_once(observed: Observed) -> None:
    assert observed.after_back == []
    acknowledged = _of(observed.recall_acks_after_second_pull, "dea")
    assert [e["statement"]["release"] for e in acknowledged] == [observed.recalled]
    assert _of(observed.chain.origin.entries("recall.acknowledged"), "dea") == acknowledged


def test_the_node_logs_its_withdrawal_and_its_onward_recall(observed: Observed) -> None:
    revoked = observed.chain.node.entries("item.revoked")
    assert [e["item"] for e in revoked] == [observed.withdrawn_item]
    recalls = observed.chain.node.entries("release.recalled")
    assert observed.onward in [e["request"] for e in recalls]


def test_the_downstream_node_withdraws_and_acknowledges_the_onward_recall(
    observed: Observed,
) -> None:
    assert len(observed.downstream_recall_pull["revoked"]) == 1, observed.downstream_recall_pull
    assert observed.node_unacknowledged_after == []
    acknowledged = _of(observed.chain.node.entries("recall.acknowledged"), "nca")
    assert [e["statement"]["release"] for e in acknowledged] == [observed.onward]


# -- the outbox ------------------------------------------------------------------------------


def test_a_refused_acknowledgement_stays_in_the_outbox_shown_in_the_state(
    observed: Observed,
) -> None:
    shown = observed.refused_first
    assert shown["acknowledges"] is True and shown["acks_waiting"] > 0, shown
    assert "the upstream refused it" in (shown["ack_error"] or ""), shown
    assert "signing_key" not in shown and "BEGIN" not in str(shown)


def test_a_refused_acknowledgement_is_sent_again_at_the_next_pull_and_logged_nowhere(
    observed: Observed,
) -> None:
    assert observed.refused_again["acks_waiting"] == observed.refused_first["acks_waiting"]
    assert _of(observed.chain.origin.entries("release.acknowledged"), "nca") == []


# -- every log replays -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["origin", "node", "downstream"])
def test_every_log_replays_with_no_disagreement(observed: Observed, name: str) -> None:
    assert observed.replays[name].endswith("0 disagreements."), observed.replays[name]
