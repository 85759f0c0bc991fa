"""A chain of Garante servers for federation tests: an origin, a partner node that takes the
origin's partner feed, and a node further down that takes the first node's, each its own store
(the November 2025 demo replayed) and ``garante serve`` on a loopback port of its own.

``Chain.build`` makes the stores; ``Chain.serve`` starts one (on the port it keeps, so a node
stopped and started again is found where its downstream expects it); ``Chain.add_source``
gives a node a source of kind ``garante`` on its upstream, with the node agency's signing key
so it acknowledges by itself. Everything goes through the ``garante`` CLI and real HTTP.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from garante.scenarios.keys import demo_key
from garante.signatures import private_key_pem
from tests.support import reach
from tests.support.scenario import own_bundle
from tests.support.servers import API, await_health, started
from tests.support.stores import GARANTE, Store

SERVE = ("--checkpoint-interval", "0.2", "--sources-check", "86400")  # pulls: by the tests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ok(result: Any) -> str:
    """What a CLI run printed, which must have succeeded."""
    assert result.returncode == 0, result.stdout + result.stderr
    out: str = result.stdout
    return out


@dataclass
class Node:
    """One Garante of the chain: its store, its agency (as its upstream knows it), its port."""

    name: str
    agency: str
    store: Store
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        return ok(self.store.cli(*args))

    def json(self, *args: str) -> Any:
        return json.loads(self.cli("--json", *args))

    def log_key(self) -> str:
        return self.cli("audit", "key").strip()

    def partner_token(self, agency: str) -> str:
        created = self.json("tokens", "create", "--role", "partner", "--agency", agency)
        token: str = created["token"]
        return token

    def entries(self, event_type: str) -> list[dict[str, Any]]:
        """The data of each log entry of ``event_type``, in log order."""
        with sqlite3.connect(self.store.db) as connection:
            rows = connection.execute(
                "SELECT entry FROM ledger_entries WHERE kind = ? ORDER BY idx", (event_type,)
            ).fetchall()
        connection.close()
        return [json.loads(entry)["data"] for (entry,) in rows]

    def replay(self, directory: Path) -> str:
        """``garante audit replay`` of this node's exported log; its last line."""
        key = directory / f"{self.name}.vkey"
        key.write_text(self.log_key() + "\n")
        export = directory / f"{self.name}-export"
        self.cli("--json", "audit", "export", str(export))
        replayed = self.store.cli(
            "audit", "replay", "--export", str(export), "--log-key", f"@{key}"
        )
        return ok(replayed).splitlines()[-1]


@contextmanager
def serving(node: Node) -> Iterator[str]:
    """``garante serve`` on the node's store at its port, until the block ends."""
    command = [GARANTE, "--db", node.store.db, "serve", "--init", "--port", str(node.port),
               *SERVE, *reach.serve_options()]  # fmt: skip
    with started(f"garante serve ({node.name})", command, env=node.store.environ()) as running:
        await_health(running.url)
        published(node)
        yield running.url


def published(node: Node, seconds: float = 30) -> None:
    """Until the server has signed a checkpoint over its whole log."""
    deadline = time.monotonic() + seconds
    while True:
        with sqlite3.connect(node.store.db) as connection:
            (size,) = connection.execute("SELECT count(*) FROM ledger_entries").fetchone()
        connection.close()
        served = httpx.get(f"{node.url}{API}/audit/checkpoint", timeout=10)
        if served.status_code == 200 and served.json()["size"] >= size:
            return
        assert time.monotonic() < deadline, f"{node.name}: no checkpoint over the whole log"
        time.sleep(0.2)


def collection(url: str, token: str) -> str:
    """The partner collection the token reads on the Garante at ``url``."""
    served = httpx.get(
        f"{url}/taxii2/api/collections/",
        headers={"Authorization": f"Bearer {token}",
                 "Accept": "application/taxii+json;version=2.1"},
        timeout=30,
    )  # fmt: skip
    found: str = next(c["id"] for c in served.json()["collections"] if c["can_read"])
    return found


def signing_key_pem(agency: str) -> str:
    """The demo agency's private key, whose public key every demo store registers."""
    return private_key_pem(demo_key(agency)).decode()


@dataclass
class Chain:
    """Origin, node, and the node's downstream node, in ``directory``."""

    origin: Node
    node: Node
    downstream: Node

    @classmethod
    def build(cls, directory: Path, *, node: str = "dea", downstream: str = "nca") -> Chain:
        made = []
        for name, agency in (("origin", "dijin"), ("node", node), ("downstream", downstream)):
            place = directory / name
            place.mkdir()
            built = Store.sqlite(place / "garante.db")
            # Nodes let their sources reach their upstreams, which listen on loopback.
            store = Store(db=built.db, env={**built.env, **reach.environ()})
            store.replay_demo()
            made.append(Node(name=name, agency=agency, store=store))
        return cls(origin=made[0], node=made[1], downstream=made[2])

    def add_source(
        self,
        node: Node,
        upstream: Node,
        source_id: str,
        *,
        signing_key: str | None = None,
        originator: str = "dijin",
    ) -> None:
        """A source of kind ``garante`` on ``upstream``'s partner feed for ``node.agency``,
        signing its acknowledgements with ``signing_key`` (the agency's demo key if None)."""
        token = upstream.partner_token(node.agency)
        env = {"UPSTREAM_TOKEN": token, "SIGNING_KEY": signing_key or signing_key_pem(node.agency)}
        store = Store(db=node.store.db, env={**node.store.env, **env})
        ok(store.cli(
            "sources", "add", source_id, "--kind", "garante", "--url", upstream.url,
            "--collection", collection(upstream.url, token), "--auth", "bearer",
            "--secret-env", "UPSTREAM_TOKEN", "--log-key", upstream.log_key(),
            "--signing-key-env", "SIGNING_KEY", "--originator", originator,
            "--category", "drug-trafficking", "--region", "andean", "--tlp", "amber",
        ))  # fmt: skip

    @staticmethod
    def release_new_item(node: Node, item_id: str, to: str, purpose: str, directory: Path) -> int:
        """A new item of ``node``'s own (a demo report with STIX ids of its own, so no object
        of it was released before), released to ``to``: the release's request id."""
        bundle = directory / f"{item_id}.json"
        bundle.write_text(json.dumps(own_bundle(item_id)))
        node.cli(
            "items", "add", item_id, "--bundle", str(bundle), "--title", f"Report {item_id}",
            "--category", "drug-trafficking", "--region", "andean", "--tlp", "amber",
            "--originator", "dijin",
        )  # fmt: skip
        decided = node.json("request", item_id, "--to", to, "--purpose", purpose)
        assert decided["outcome"] == "released", decided
        request: int = decided["request"]
        return request

    @staticmethod
    def pull(node: Node, source_id: str) -> dict[str, Any]:
        pulled: dict[str, Any] = node.json("sources", "pull", source_id)["pulled"]
        return pulled

    @staticmethod
    def unacknowledged(upstream: Node, agency: str) -> list[dict[str, Any]]:
        """The upstream's recalls the agency has not acknowledged (the upstream's operator)."""
        listed: list[dict[str, Any]] = upstream.json(
            "acknowledgements", "unacknowledged", "--agency", agency
        )
        return listed
