"""Four servers on one PostgreSQL, behind nginx, under load while orders change.

While one authority issues, amends and lifts orders in a loop and records vessel strikes,
analysts request releases, one by one and in batches, and add items that fan out through the
partners' standing agreements, partners pull their TAXII feeds and report outcomes, every
request going through nginx to whichever server it reaches. Afterwards, checks that trust
nothing the servers said about themselves:

- the log replays (``garante audit replay``'s engine, ``garante.replay``): every stored
  decision equals ``decide`` on the state version it cites, no partner received anything at a
  moment when ``decide``, on the state the log describes, would not release it, and every act
  was signed and entitled;
- ledger indexes are 0..n-1, the log verifies against its signed checkpoints;
- one entry per state change and one state change per entry, table by table;
- every object a partner's client received belongs to a release delivered to that partner;
- no server answered 5xx.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text

from garante.client import GaranteAPIError, GaranteClient, Scope
from garante.replay import LoggedEntry, Replayer
from garante.scenarios.keys import demo_key
from garante.taxii.app import collection_id
from garante.taxii.media import TAXII_JSON
from tests.support import nginx
from tests.support.postgres import Cluster
from tests.support.scenario import own_bundle
from tests.support.servers import Server, running_server
from tests.support.stores import Store
from tests.support.unavailable import unavailable

T = TypeVar("T")

SERVERS = 4
DURATION = 20.0  # seconds of load
PARTNERS = ("dea", "nca", "fbi", "hsi")
PURPOSES = ("seizure", "arrest", "interdiction", "analysis")
AUTHORITY = "presidency"

if nginx.binary() is None:
    unavailable("nginx is not installed (apt-get install nginx)", module_level=True)


@dataclass
class Deployment:
    url: str  # nginx
    store: Store
    servers: list[Server]
    tokens: dict[str, str]
    items: list[str]


@pytest.fixture(scope="module")
def deployment(
    pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("race")
    store = Store.postgresql(pg_cluster, directory)
    store.replay_demo()
    with store.service("race-setup") as garante:
        garante.pin_clock(None)  # the servers run on the system clock, as deployed
        tokens = {a: garante.create_token(role="partner", agency_id=a)[1] for a in PARTNERS}
        tokens["analyst"] = garante.create_token(role="analyst", agency_id="dipol")[1]
        tokens["authority"] = garante.create_token(role="authority", authority_id=AUTHORITY)[1]
        items = [i.id for i in garante.items()]
        for agency in PARTNERS:  # each added item fans out to every partner, for seizure
            terms = garante.draft_agreement(agency, purposes=["seizure"], tlp_ceiling="amber")
            garante.make_agreement(terms)
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(store)) for _ in range(SERVERS)]
        url = stack.enter_context(nginx.running_nginx([s.url for s in servers]))
        yield Deployment(url=url, store=store, servers=servers, tokens=tokens, items=items)


@dataclass
class Load:
    """What the clients did and saw, recorded as they went."""

    stop: threading.Event = field(default_factory=threading.Event)
    counts: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    received: list[tuple[str, str, str]] = field(default_factory=list)  # partner, id, version
    released: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def guard(self, what: str, call: Callable[[], T]) -> T | None:
        """Run one client call; 4xx refusals are part of the game, 5xx never."""
        try:
            result = call()
        except GaranteAPIError as exc:
            if exc.status >= 500:
                self.server_errors.append(f"{what}: {exc.status} {exc.code} {exc}")
            self.note(f"{what} refused {exc.code}")
            return None
        self.note(what)
        return result


def _authority(deployment: Deployment, load: Load, seed: int) -> None:
    rng = random.Random(seed)
    key = demo_key(AUTHORITY)
    with GaranteClient(deployment.url, deployment.tokens["authority"]) as client:
        number = 0
        while not load.stop.is_set():
            number += 1
            scope = rng.choice(
                [
                    Scope(countries=["US"]),
                    Scope(agencies=[rng.choice(PARTNERS)]),
                    Scope(categories=["maritime-interdiction"]),
                    Scope(regions=["caribbean"]),
                ]
            )
            conditional = rng.random() < 0.3
            reason = f"race order {number}"
            issued = load.guard(
                "order.issued",
                partial(
                    client.issue_order,
                    rng.choice(["hold", "deny"]),
                    reason=reason,
                    scope=scope,
                    while_condition="caribbean-vessel-strikes" if conditional else None,
                    key=key,
                ),
            )
            if issued is None:
                continue
            order_id = issued.order.id
            time.sleep(rng.uniform(0.05, 0.4))
            load.guard(
                "order.amended",
                partial(
                    client.amend_order,
                    order_id,
                    effect=rng.choice(["hold", "deny"]),
                    scope=Scope(agencies=[rng.choice(PARTNERS)]),
                    key=key,
                ),
            )
            time.sleep(rng.uniform(0.05, 0.4))
            load.guard(
                "order.lifted",
                partial(client.lift_order, order_id, reason="race lift", key=key),
            )
            if number % 3 == 0:
                load.guard(
                    "event.recorded",
                    lambda: client.record_event(  # DIJIN has no key: reported unsigned
                        "vessel-strike", region="caribbean", source="race test", agency="dijin"
                    ),
                )


def _analyst(deployment: Deployment, load: Load, seed: int) -> None:
    rng = random.Random(seed)
    with GaranteClient(deployment.url, deployment.tokens["analyst"]) as client:
        while not load.stop.is_set():
            decided = load.guard(
                "release.requested",
                lambda: client.request_release(
                    rng.choice(deployment.items),
                    recipient=rng.choice(PARTNERS),
                    purpose=rng.choice(PURPOSES),
                ),
            )
            if decided is not None:
                load.note(f"decided {decided.outcome}")


def _originator(deployment: Deployment, load: Load, seed: int) -> None:
    """Add items, each fanning out through the partners' agreements, and ask for batches of
    releases: the volume paths, racing the orders like the single requests."""
    rng = random.Random(seed)
    with GaranteClient(deployment.url, deployment.tokens["analyst"]) as client:
        number = 0
        while not load.stop.is_set():
            number += 1
            item_id = f"race-{seed}-{number}"
            load.guard(
                "item.added",
                partial(
                    client.add_item,
                    item_id,
                    title=f"Race item {number}",
                    category=rng.choice(["maritime-interdiction", "drug-trafficking"]),
                    region=rng.choice(["caribbean", "pacific"]),
                    tlp="amber",
                    bundle=own_bundle(item_id),
                ),
            )
            triples = [
                (rng.choice(deployment.items), rng.choice(PARTNERS), rng.choice(PURPOSES))
                for _ in range(rng.randint(2, 8))
            ]
            load.guard("releases.batch", partial(client.request_releases, triples))


def _partner(deployment: Deployment, load: Load, agency: str, seed: int) -> None:
    """Pull the feed from the start, page by page, again and again; report some outcomes."""
    rng = random.Random(seed)
    collection = f"{deployment.url}/taxii2/api/collections/{collection_id(agency)}/objects/"
    headers = {"Authorization": f"Bearer {deployment.tokens[agency]}", "Accept": TAXII_JSON}
    key = demo_key(agency)
    with (
        httpx.Client(headers=headers, timeout=30) as http,
        GaranteClient(deployment.url, deployment.tokens[agency]) as client,
    ):
        while not load.stop.is_set():
            params: dict[str, Any] = {"limit": 50}
            while not load.stop.is_set():
                response = http.get(collection, params=params)
                if response.status_code >= 500:
                    load.server_errors.append(f"taxii {response.status_code} {response.text}")
                    break
                load.note(f"taxii {response.status_code}")
                if response.status_code != 200:
                    break
                envelope = response.json()
                with load.lock:
                    load.received.extend(
                        (agency, o["id"], o.get("modified", o.get("created", "")))
                        for o in envelope.get("objects", [])
                    )
                if not envelope.get("more"):
                    break
                params = {"limit": 50, "next": envelope["next"]}
            released = load.guard("releases.listed", lambda: client.list_releases(limit=20).items)
            if released and rng.random() < 0.3:
                release = rng.choice(released)
                load.guard(
                    "outcome.reported",
                    partial(
                        client.report_outcome,
                        release.id,
                        agency=agency,
                        kind="seizure",
                        persons=1,
                        key=key,
                    ),
                )


def test_four_servers_under_load_keep_every_rule_and_every_record(
    deployment: Deployment,
) -> None:
    load = Load()
    workers = [threading.Thread(target=_authority, args=(deployment, load, 1))]
    workers += [threading.Thread(target=_analyst, args=(deployment, load, s)) for s in (2, 3)]
    workers += [threading.Thread(target=_originator, args=(deployment, load, 4))]
    workers += [
        threading.Thread(target=_partner, args=(deployment, load, a, 10 + n))
        for n, a in enumerate(PARTNERS)
    ]
    for worker in workers:
        worker.start()
    time.sleep(DURATION)
    load.stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a client did not finish"

    assert load.server_errors == []
    # The load did what it is for: orders changed while releases and deliveries went on.
    for what in (
        "order.issued",
        "order.amended",
        "order.lifted",
        "release.requested",
        "item.added",
        "releases.batch",
    ):
        assert load.counts[what] >= 3, load.counts

    engine = create_engine(deployment.store.db)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT idx, entry FROM ledger_entries ORDER BY idx")
            ).all()
            tables = _table_counts(connection)
            delivered = {
                (partner, int(request)): item
                for partner, request, item in connection.execute(
                    text(
                        "SELECT f.partner_id, f.request_id, r.item_id FROM feed_releases f "
                        "JOIN release_requests r ON r.id = f.request_id "
                        "WHERE f.delivered_at IS NOT NULL"
                    )
                )
            }
            delivered_objects = {
                (partner, object_id)
                for partner, object_id in connection.execute(
                    text(
                        "SELECT o.partner_id, o.object_id FROM feed_objects o "
                        "JOIN feed_releases f ON f.request_id = o.request_id "
                        "WHERE f.delivered_at IS NOT NULL"
                    )
                )
            }
            shared = {
                (partner, object_id)
                for partner, object_id in connection.execute(
                    text("SELECT partner_id, object_id FROM feed_objects WHERE request_id IS NULL")
                )
            }
    finally:
        engine.dispose()

    report = Replayer().replay(LoggedEntry.read(int(idx), bytes(entry)) for idx, entry in rows)
    entries = [json.loads(entry) for _, entry in rows]
    assert report.disagreements == [], [str(d) for d in report.disagreements[:5]]
    assert report.decisions_rederived >= load.counts["release.requested"]
    assert report.kinds["release.delivered"] > 0

    kinds = Counter(entry["kind"] for entry in entries)
    assert tables["release_requests"] == kinds["release.requested"]
    started = [e for e in entries if e["kind"] == "release.requested" and "agreement" in e["data"]]
    assert tables["started_by_agreements"] == len(started) >= load.counts["item.added"]
    assert tables["decisions"] == kinds["release.decided"] + kinds["release.redecided"]
    assert tables["order_versions"] == (
        kinds["order.issued"] + kinds["order.amended"] + kinds["order.lifted"]
    )
    assert tables["outcomes"] == kinds["outcome.reported"]
    assert tables["events"] == kinds["event.recorded"]
    # A release is delivered by its own entry, or (a second release of an item the partner
    # already holds) marked delivered when the objects it shares were.
    by_entry = {
        (entry["data"]["partner"], int(entry["data"]["request"]))
        for entry in entries
        if entry["kind"] == "release.delivered"
    }
    assert len(by_entry) == kinds["release.delivered"]
    items_by_entry = {(partner, delivered[(partner, r)]) for partner, r in by_entry}
    assert by_entry <= set(delivered)
    for (partner, request), item in delivered.items():
        if (partner, request) not in by_entry:
            assert (partner, item) in items_by_entry, (partner, request, item)
    assert tables["api_tokens"] == kinds["token.created"]

    may_have = delivered_objects | shared
    stray = {
        (partner, object_id)
        for partner, object_id, _version in load.received
        if (partner, object_id) not in may_have
    }
    assert stray == set(), sorted(stray)[:5]

    with deployment.store.service("race-check") as garante:
        verified = garante.verify_log()
    assert verified.ok, verified.findings


def _table_counts(connection: Any) -> dict[str, int]:
    queries = {
        "release_requests": "SELECT count(*) FROM release_requests",
        "started_by_agreements": (
            "SELECT count(*) FROM release_requests WHERE agreement_id IS NOT NULL"
        ),
        "decisions": "SELECT count(*) FROM decisions",
        "order_versions": "SELECT count(*) FROM order_versions",
        "outcomes": "SELECT count(*) FROM outcomes",
        "events": "SELECT count(*) FROM events",
        "api_tokens": "SELECT count(*) FROM api_tokens",
    }
    return {name: int(connection.execute(text(sql)).scalar_one()) for name, sql in queries.items()}
