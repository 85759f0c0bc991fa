"""Issue 21 end to end: Colombia's Garante, the DEA's node and the NCA's node, three real
servers on loopback, real HTTP and the real CLI only (tests/support/cascade.py).

One story, told by the tests below in order, each a step that acts and checks what the step
must leave behind (a step fails when an earlier one did: read the first failure):

1. Colombia releases a fresh report to the DEA; the DEA's node pulls it, its receipt verified
   with Colombia's log key;
2. ``garante verify-delivery`` on the delivered objects passes at the DEA;
3. the DEA's delivery acknowledgement is logged at Colombia (``release.acknowledged``);
4. the DEA's onward release to the NCA is held: Colombia's consent is awaited;
5. the DEA asks consent, Colombia's liaison grants it, the DEA fetches the answer (proven by
   its entry in Colombia's log) and the held release is released;
6. the NCA's node pulls it from the DEA, verified against the DEA's log key;
7. Colombia recalls; the DEA's node withdraws the report, recalls its release to the NCA and
   acknowledges; the NCA's node withdraws its copy and acknowledges; both
   ``recall.acknowledged`` entries are in the upstream logs, no recall waits unacknowledged;
8. each upstream registers its downstream node's log key as a witness, the node's cosignature
   lands on the upstream's checkpoint, and ``garante audit verify --witness-key ...
   --min-witnesses 1`` passes on Colombia's and the DEA's logs;
9. the servers stopped, ``garante audit replay`` finds 0 disagreements on all three logs.

This is the executable walk-through of docs/federation.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cascade import (
    Chain,
    Node,
    collection,
    ok,
    published,
    serving,
    signing_key_pem,
)
from tests.support.scenario import own_bundle

FROM_COLOMBIA = "from-colombia"
FROM_DEA = "from-dea"
ITEM = "co-2025-9021"  # Colombia's fresh report, new to both nodes
PURPOSE = "interdiction"  # of Colombia's release to the DEA: not onward sharing
ONWARD_PURPOSE = "seizure"  # of the DEA's release to the NCA
TAXII = "application/taxii+json;version=2.1"


@dataclass
class Story:
    """The three nodes, served for the module, and what each step leaves for the next."""

    chain: Chain
    directory: Path
    servers: ExitStack
    released: int  # Colombia's release of ITEM to the DEA
    at: dict[str, Any] = field(default_factory=dict)

    @property
    def colombia(self) -> Node:
        return self.chain.origin

    @property
    def dea(self) -> Node:
        return self.chain.node

    @property
    def nca(self) -> Node:
        return self.chain.downstream

    def key_file(self, node: Node) -> Path:
        """``node``'s log key, as its operator hands it out of band."""
        path = self.directory / f"{node.name}.vkey"
        if not path.exists():
            path.write_text(node.log_key() + "\n")
        return path

    def overseer(self, node: Node) -> str:
        created = node.json("tokens", "create", "--role", "overseer", "--agency", "dijin")
        token: str = created["token"]
        return token


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    directory = tmp_path_factory.mktemp("three-nodes")
    chain = Chain.build(directory)
    released = chain.release_new_item(chain.origin, ITEM, "dea", PURPOSE, directory)
    with ExitStack() as servers:
        for node in (chain.origin, chain.node, chain.downstream):
            servers.enter_context(serving(node))
        chain.add_source(chain.node, chain.origin, FROM_COLOMBIA)
        chain.add_source(chain.downstream, chain.node, FROM_DEA)
        yield Story(chain=chain, directory=directory, servers=servers, released=released)


def _released_under(node: Node, items: list[str], request: int) -> str:
    """The one item of ``items`` that the upstream's release ``request`` brought ``node``."""
    found = [
        i for i in items if node.json("items", "show", i)["released_under"]["request"] == request
    ]
    assert len(found) == 1, f"{node.name}: release {request} brought {found} of {items}"
    return found[0]


def _of(entries: list[dict[str, Any]], agency: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["statement"]["agency"] == agency]


# -- 1-3: release, delivery, proof, acknowledgement --------------------------------------------


def test_1_the_dea_node_takes_colombias_release_its_receipt_verified(story: Story) -> None:
    pulled = Chain.pull(story.dea, FROM_COLOMBIA)
    assert pulled["rejected"] == [], f"step 1: the DEA's pull refused objects: {pulled}"
    item = _released_under(story.dea, pulled["items"], story.released)
    terms = story.dea.json("items", "show", item)["released_under"]
    assert terms["log_origin"] == story.colombia.log_key().split("+")[0], terms
    assert terms["released_to"] == "dea" and terms["purpose"] == PURPOSE, terms
    story.at["dea_item"] = item


def test_2_verify_delivery_passes_at_the_dea(story: Story) -> None:
    token = story.colombia.partner_token("dea")
    ids = ",".join(o["id"] for o in own_bundle(ITEM)["objects"])
    served = httpx.get(
        f"{story.colombia.url}/taxii2/api/collections/"
        f"{collection(story.colombia.url, token)}/objects/",
        params={"match[id]": ids},
        headers={"Authorization": f"Bearer {token}", "Accept": TAXII},
        timeout=30,
    )
    assert served.status_code == 200, f"step 2: the DEA's feed answered {served.text}"
    delivered = story.directory / "delivered.json"
    delivered.write_text(served.text)
    checked = story.dea.json(
        "verify-delivery", str(delivered), "--server", story.colombia.url,
        "--log-key", f"@{story.key_file(story.colombia)}", "--token", token,
    )  # fmt: skip
    assert {c["object_id"] for c in checked} == set(ids.split(",")), checked
    assert all(c["verified"] for c in checked), f"step 2: not verified at the DEA: {checked}"


def test_3_the_dea_acknowledgement_of_the_delivery_is_logged_at_colombia(story: Story) -> None:
    acknowledged = _of(story.colombia.entries("release.acknowledged"), "dea")
    releases = [e["statement"]["release"] for e in acknowledged]
    assert releases.count(story.released) == 1, f"step 3: Colombia logged {releases}"


# -- 4-5: onward sharing, consent ----------------------------------------------------------------


def test_4_the_dea_onward_release_to_the_nca_awaits_colombias_consent(story: Story) -> None:
    decided = story.dea.json(
        "request", story.at["dea_item"], "--to", "nca", "--purpose", ONWARD_PURPOSE
    )
    assert decided["outcome"] == "held", f"step 4: not held: {decided}"
    assert [r["rule"] for r in decided["rules"]] == ["2.onward-consent-awaited"], decided
    story.at["onward"] = decided["request"]


def test_5_consent_asked_granted_and_fetched_proven_releases_it(story: Story) -> None:
    key = story.directory / "dea.pem"
    key.write_text(signing_key_pem("dea"))
    asked = story.dea.json(
        "consents", "request", story.at["dea_item"], "--to", "nca",
        "--purpose", ONWARD_PURPOSE, "--key", str(key),
    )  # fmt: skip
    pending = story.colombia.json("consents", "list", "--status", "pending")
    assert [(p["id"], p["release"]) for p in pending] == [(asked["id"], story.released)], pending
    story.colombia.cli("consents", "grant", asked["id"], "--reason", "seizure by the NCA")
    fetched = {f["id"]: f for f in story.dea.json("consents", "fetch")}
    taken = fetched[asked["id"]]
    assert taken["status"] == "granted" and taken["problem"] is None, f"step 5: {taken}"
    assert story.at["onward"] in taken["moved"], taken
    received = story.dea.entries("consent.received")
    assert len(received) == 1, f"step 5: the DEA logged {received}"
    shown = story.dea.json("releases", "show", str(story.at["onward"]))[-1]
    assert shown["outcome"] == "released", f"step 5: the onward release is {shown}"


# -- 6: the NCA's node --------------------------------------------------------------------------


def test_6_the_nca_node_takes_the_onward_release_verified_with_the_dea_log_key(
    story: Story,
) -> None:
    pulled = Chain.pull(story.nca, FROM_DEA)
    assert pulled["rejected"] == [], f"step 6: the NCA's pull refused objects: {pulled}"
    item = _released_under(story.nca, pulled["items"], story.at["onward"])
    terms = story.nca.json("items", "show", item)["released_under"]
    assert terms["log_origin"] == story.dea.log_key().split("+")[0], terms
    acknowledged = _of(story.dea.entries("release.acknowledged"), "nca")
    assert story.at["onward"] in [e["statement"]["release"] for e in acknowledged]
    story.at["nca_item"] = item


# -- 7: the recall, down the chain ----------------------------------------------------------------


def test_7a_the_dea_node_withdraws_recalls_onward_and_acknowledges(story: Story) -> None:
    story.colombia.cli("releases", "recall", str(story.released), "--reason", "source burned")
    pulled = Chain.pull(story.dea, FROM_COLOMBIA)
    assert pulled["revoked"] == [story.at["dea_item"]], f"step 7a: {pulled}"
    assert pulled["recalled"] == [story.at["onward"]], f"step 7a: {pulled}"
    acknowledged = _of(story.colombia.entries("recall.acknowledged"), "dea")
    assert [e["statement"]["release"] for e in acknowledged] == [story.released], acknowledged
    assert Chain.unacknowledged(story.colombia, "dea") == []


def test_7b_the_nca_node_withdraws_its_copy_and_acknowledges(story: Story) -> None:
    pulled = Chain.pull(story.nca, FROM_DEA)
    assert pulled["revoked"] == [story.at["nca_item"]], f"step 7b: {pulled}"
    acknowledged = _of(story.dea.entries("recall.acknowledged"), "nca")
    assert [e["statement"]["release"] for e in acknowledged] == [story.at["onward"]], acknowledged
    assert Chain.unacknowledged(story.dea, "nca") == []


# -- 8: cross-witnessed checkpoints ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("upstream", "downstream", "source"),
    [("colombia", "dea", FROM_COLOMBIA), ("dea", "nca", FROM_DEA)],
)
def test_8_the_downstream_node_witnesses_the_upstream_log(
    story: Story, upstream: str, downstream: str, source: str
) -> None:
    above: Node = getattr(story, upstream)
    below: Node = getattr(story, downstream)
    overseer = story.overseer(above)  # logged: made before the checkpoint to be cosigned
    above.cli("witnesses", "add", f"@{story.key_file(below)}")
    published(above)  # a checkpoint over the whole log, for the node to cosign
    Chain.pull(below, source)
    state = below.json("sources", "show", source)["upstream_checkpoint"]
    assert state["cosignature_accepted"] is True, f"step 8: {downstream} on {upstream}: {state}"
    verified = above.store.cli(
        "audit", "verify", "--server", above.url, "--log-key", f"@{story.key_file(above)}",
        "--token", overseer, "--witness-key", f"@{story.key_file(below)}",
        "--min-witnesses", "1",
    )  # fmt: skip
    assert "cosigned by 1 of the 1 witness(es) given" in ok(verified), verified.stdout


# -- 9: every log replays -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["colombia", "dea", "nca"])
def test_9_every_log_replays_with_no_disagreement(story: Story, name: str) -> None:
    story.servers.close()  # the story is told: the logs are final
    node: Node = getattr(story, name)
    replayed = node.replay(story.directory)
    assert replayed.endswith("0 disagreements."), f"step 9: {name}: {replayed}"
