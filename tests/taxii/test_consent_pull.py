"""Onward sharing from a partner node, hands off: a pull of the Garante source takes the
answers to the node's consent requests (no `consents fetch`), and what the upstream released
for onward sharing is shared onward with no consent asked.

The two real servers test_consent_node.py uses (tests/support/consentnode.py: Colombia's store
served, the DEA's node pulling through its CLI), set up once for this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.consentnode import Node, serving_consent_node
from tests.support.scenario import own_bundle
from tests.taxii.test_partner_node import NODE_AGENCY, _ok


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with serving_consent_node(tmp_path_factory.mktemp("consent")) as served:
        yield served


def _pull(node: Node) -> dict[str, object]:
    pulled: dict[str, object] = json.loads(_ok(node.federation.pull()))["pulled"]
    return pulled


def _outcome(node: Node, request: int) -> str:
    shown = json.loads(_ok(node.cli("--json", "releases", "show", str(request))))[-1]
    outcome: str = shown["outcome"]
    return outcome


def test_a_pull_takes_a_granted_consent_and_releases_the_held_request(node: Node) -> None:
    item = node.items[0]
    held = node.request(item, to="cti")
    asked = node.ask(item, to="cti")
    node.answer(asked["id"], "grant")
    _pull(node)
    listed = json.loads(_ok(node.cli("--json", "consents", "asked")))
    assert [a["status"] for a in listed if a["id"] == asked["id"]] == ["granted"], listed
    assert _outcome(node, held["request"]) == "released"


def test_a_pull_leaves_a_pending_consent_asked(node: Node) -> None:
    item = node.items[1]
    held = node.request(item, to="dijin")
    asked = node.ask(item, to="dijin")
    pulled = _pull(node)
    assert pulled["rejected"] == [], pulled
    listed = json.loads(_ok(node.cli("--json", "consents", "asked")))
    assert [a["status"] for a in listed if a["id"] == asked["id"]] == ["asked"], listed
    assert _outcome(node, held["request"]) == "held"


def test_a_release_made_for_onward_sharing_is_shared_onward_with_no_consent(
    node: Node,
    tmp_path: Path,
) -> None:
    origin = node.federation.origin
    _ok(origin.cli("undertakings", "sign", NODE_AGENCY, "--permits",
                   "analysis,seizure,onward-sharing", "--prohibits", "lethal-force",
                   "--protections", "human-rights,protection-of-life",
                   "--key", str(node.key)))  # fmt: skip
    bundle = tmp_path / "onward.json"
    bundle.write_text(json.dumps(own_bundle("co-onward-1")))
    _ok(origin.cli(
        "items", "add", "co-onward-1", "--bundle", str(bundle), "--title", "Report onward",
        "--category", "drug-trafficking", "--region", "andean", "--tlp", "amber",
        "--originator", "dijin",
    ))  # fmt: skip
    upstream = json.loads(_ok(origin.cli("--json", "request", "co-onward-1", "--to",
                                         NODE_AGENCY, "--purpose", "onward-sharing")))  # fmt: skip
    assert upstream["outcome"] == "released", upstream["rules"]
    pulled = _pull(node)
    items = pulled["items"]
    assert isinstance(items, list) and len(items) == 1, pulled
    onward = node.request(items[0], to="dipol")
    assert onward["outcome"] == "released", onward
    assert "2.onward-consent-awaited" not in [r["rule"] for r in onward["rules"]]
