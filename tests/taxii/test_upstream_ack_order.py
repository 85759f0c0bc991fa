"""A node sends the acknowledgements one pull queued in release order, the delivery before
the recall, so its upstream receives (and lists) them in one order every run.

Two Garante servers on loopback (tests/support/cascade.py): Colombia's (the origin) and the
DEA's node, whose source signs with a key Colombia does not know yet. Both clocks are pinned
(the demo's end), so every acknowledgement the node queues shares one instant and only the
release and the kind order them; their ids are random notes. The scenario runs once:

1. the node pulls: it takes Colombia's releases to the DEA, a new one among them, and queues
   a delivery acknowledgement for each, which Colombia refuses (the key is unknown), so they
   stay in the node's outbox;
2. the DEA registers the node's key with Colombia (signed with its current key), and Colombia
   recalls the new release;
3. the node pulls again: it withdraws the item and queues the recall's acknowledgement, then
   sends the whole outbox, in one pull: each delivery, by release, then the recall.

The outbox's own order, with ids chosen to sort against it, is checked on each store by
``tests/store/test_upstream_acks_order.py``; here, what the upstream received.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.signatures import private_key_pem, public_key_bytes
from tests.support import reach
from tests.support.cascade import Chain, Node, serving, signing_key_pem
from tests.support.stores import Store

SOURCE = "from-colombia"


@dataclass
class Observed:
    recalled: int  # the new release Colombia recalled
    first_pull: dict[str, Any]
    waiting: dict[str, Any]  # the node's source after the first pull
    second_pull: dict[str, Any]
    received: list[dict[str, Any]]  # Colombia's list of the DEA's acknowledgements


def _node(directory: Path, name: str, agency: str) -> Node:
    place = directory / name
    place.mkdir()
    built = Store.sqlite(place / "garante.db")
    store = Store(db=built.db, env={**built.env, **reach.environ()})
    store.replay_demo()
    return Node(name=name, agency=agency, store=store)


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    directory = tmp_path_factory.mktemp("ack-order")
    origin, node = _node(directory, "origin", "dijin"), _node(directory, "node", "dea")
    chain = Chain(origin=origin, node=node, downstream=node)  # no node further down here
    recalled = chain.release_new_item(origin, "co-2025-9101", "dea", "interdiction", directory)
    key = Ed25519PrivateKey.generate()
    with serving(origin):
        chain.add_source(node, origin, SOURCE, signing_key=private_key_pem(key).decode())
        first = chain.pull(node, SOURCE)
        waiting = node.json("sources", "show", SOURCE)
        current = directory / "dea.pem"
        current.write_text(signing_key_pem("dea"))
        new_key = base64.b64encode(public_key_bytes(key.public_key())).decode()
        origin.cli("agencies", "set-key", "dea", new_key, "--key", str(current))
        origin.cli("releases", "recall", str(recalled), "--reason", "source compromised")
        second = chain.pull(node, SOURCE)
    received: list[dict[str, Any]] = origin.json("acknowledgements", "list", "--agency", "dea")
    return Observed(
        recalled=recalled,
        first_pull=first,
        waiting=waiting,
        second_pull=second,
        received=received,
    )


def test_refused_acknowledgements_wait_in_the_outbox(observed: Observed) -> None:
    assert observed.first_pull["items"], observed.first_pull
    assert observed.waiting["acks_waiting"] >= 2, observed.waiting


def test_the_delivery_is_received_before_the_recall_of_the_same_release(
    observed: Observed,
) -> None:
    sent = [(a["of"], a["release"]) for a in observed.received]
    assert ("recall", observed.recalled) in sent
    assert sent.index(("delivery", observed.recalled)) < sent.index(("recall", observed.recalled))


def test_acknowledgements_queued_at_one_instant_are_received_in_release_order(
    observed: Observed,
) -> None:
    sent = [(a["of"], a["release"]) for a in observed.received]
    deliveries = [release for of, release in sent if of == "delivery"]
    assert len(deliveries) >= 3
    assert sent == [*[("delivery", r) for r in sorted(deliveries)], ("recall", observed.recalled)]
    # All of them were sent by the second pull, at one instant.
    assert len({a["received_at"] for a in observed.received}) == 1
