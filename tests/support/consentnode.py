"""Two real Garante servers for onward-sharing (consent) tests: Colombia's store (the origin,
the November 2025 demo replayed) served over HTTP, and the DEA's node (its own replayed store)
with a source of kind ``garante`` on it, pulled through its CLI, as in
tests/taxii/test_partner_node.py. ``serving_consent_node`` starts them and pulls once; a test
module wraps it in a module-scoped fixture, so the origin is served once per module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from garante.client import GaranteClient
from garante.scenarios.keys import demo_key
from garante.service.onward import ServedAnswer
from tests.support import reach
from tests.support.stores import Store
from tests.taxii.test_partner_node import (
    NODE_AGENCY,
    Federation,
    _free_port,
    _ok,
    _serving,
)

ONWARD = "dipol"  # a domestic agency at the node: nothing but onward sharing withholds it
PURPOSE = "analysis"


@dataclass
class Node:
    federation: Federation
    url: str
    items: list[str]
    key: Path  # the DEA's private key, as the node's operator keeps it

    def cli(self, *args: str) -> Any:
        return self.federation.node.cli(*args)

    def request(self, item: str, to: str = ONWARD) -> dict[str, Any]:
        done: dict[str, Any] = json.loads(
            _ok(self.cli("--json", "request", item, "--to", to, "--purpose", PURPOSE))
        )
        return done

    def ask(self, item: str, to: str = ONWARD, consent_id: str | None = None) -> dict[str, Any]:
        chosen = ("--id", consent_id) if consent_id is not None else ()
        asked: dict[str, Any] = json.loads(
            _ok(self.cli("--json", "consents", "request", item, "--to", to,
                         "--purpose", PURPOSE, "--key", str(self.key), *chosen))
        )  # fmt: skip
        return asked

    def answer(self, consent: str, verb: str) -> None:
        _ok(self.federation.origin.cli("consents", verb, consent, "--reason", "test"))

    def fetch(self) -> list[dict[str, Any]]:
        fetched: list[dict[str, Any]] = json.loads(_ok(self.cli("--json", "consents", "fetch")))
        return fetched

    def served(self, consent: str) -> ServedAnswer:
        """The upstream's receipt of the answer to ``consent``, as the node fetches it."""
        with GaranteClient(self.url, self.federation.token) as upstream:
            answer = upstream.get_consent(consent)
            assert answer.answer_index is not None
            receipt = upstream.receipt(answer.answer_index)
        return ServedAnswer(index=receipt.index, entry=receipt.entry,
                            proof=tuple(receipt.proof), checkpoint=receipt.checkpoint)  # fmt: skip


@contextmanager
def serving_consent_node(base: Path) -> Iterator[Node]:
    """The origin served and the node's source on it pulled once (the two items the demo
    released to the DEA taken), in ``base``; stopped on leaving."""
    (base / "origin").mkdir()
    (base / "node").mkdir()
    origin = Store.sqlite(base / "origin" / "garante.db")
    origin.replay_demo()
    built = Store.sqlite(base / "node" / "garante.db")
    node_store = Store(db=built.db, env={**built.env, **reach.environ()})
    node_store.replay_demo()
    created = _ok(origin.cli("--json", "tokens", "create", "--role", "partner",
                             "--agency", NODE_AGENCY))  # fmt: skip
    federation = Federation(
        origin=origin, node=node_store, token=json.loads(created)["token"],
        log_key=_ok(origin.cli("audit", "key")).strip(), port=_free_port(),
    )  # fmt: skip
    key = base / "dea.pem"
    key.write_bytes(
        demo_key(NODE_AGENCY).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with _serving(origin, federation.port) as url:
        federation.add_source(url)
        pulled = json.loads(_ok(federation.pull()))["pulled"]
        assert len(pulled["items"]) == 2, pulled
        yield Node(federation=federation, url=url, items=sorted(pulled["items"]), key=key)
