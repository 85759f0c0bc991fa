"""What the crash tests share: a store to crash on, a server to kill, clients that keep score.

A run starts ``garante serve`` on the store, lets client threads write as fast as they can,
and kills something with SIGKILL at a random instant: the server, or PostgreSQL's postmaster.
The clients keep, as they go, only what the server acknowledged (a 2xx answer: committed) and
every signed checkpoint it published. After the restart, ``check`` compares that record with
the store, trusting nothing the restarted server says about itself:

- ``acknowledged``: every acknowledged write is there (a request, each decision the client was
  shown, an order version or lift, an event, a delivery, a published checkpoint);
- ``whole``: nothing half-written is visible: ledger indexes are 0..n-1 and every state change
  has its entry and every entry its state change, table by table (and ``garante.service.
  dbcheck``, the ``garante db check`` engine, agrees);
- ``log``: the log verifies against its signed checkpoints, and every checkpoint a client
  fetched before the crash opens with the log's key and is consistent with the log now;
- ``held``: every request a client last saw held is still held, or was decided again with a
  recorded decision; every request's outcome is its last decision's, and the restarted
  server's held queue is exactly the held requests in the tables.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, text

from garante.client import GaranteAPIError, GaranteClient, Scope
from garante.domain.timeutil import parse_time
from garante.ledger.checkpoint import open_checkpoint
from garante.ledger.merkle import leaf_hash, root_from_leaf_hashes
from garante.ledger.note import VerifierKey
from garante.ledger.verify import verify_consistency
from garante.records import Decided
from garante.scenarios import runner
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.dbcheck import check_store
from garante.store.database import create_store_engine, database_url, reader
from garante.taxii.app import collection_id
from garante.taxii.media import TAXII_JSON
from tests.support.servers import ServerDidNotStart, await_health, launch
from tests.support.stores import GARANTE, Store

P = ParamSpec("P")
T = TypeVar("T")

PARTNERS = ("dea", "nca", "fbi", "hsi")
PURPOSES = ("seizure", "arrest", "interdiction", "analysis")
AUTHORITY = "presidency"
HELD_PARTNER = "nca"  # the authority holds and releases this partner's queue, again and again
PROPERTIES = ("acknowledged", "whole", "log", "held")


# -- the store -----------------------------------------------------------------------------


@contextmanager
def store_environment(store: Store) -> Iterator[None]:
    """This process sees the store's key as the server does (GARANTE_LOG_KEY_FILE)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in store.env.items():
            patch.setenv(name, value)
        yield


@dataclass(frozen=True)
class Prepared:
    """A store holding the November 2025 scenario, with a token per client and its log key."""

    store: Store
    tokens: dict[str, str]
    items: list[str]
    log_key: str


def prepare(store: Store) -> Prepared:
    """Replay the demo scenario into ``store`` (in this process: faster than ``garante demo``)."""
    start = parse_time(runner.load().setup_at)
    clock = FixedClock(start)
    with store_environment(store):
        garante = Garante.open(store.db, clock=clock, actor="crash-setup")
    try:
        run = runner.replay(garante, clock, runner.NOVEMBER_2025)
        assert not run.mismatches, run.mismatches
        tokens = {
            "analyst": garante.create_token(role="analyst", agency_id="dipol")[1],
            "authority": garante.create_token(role="authority", authority_id=AUTHORITY)[1],
            "overseer": garante.create_token(role="overseer", agency_id="cti")[1],
            HELD_PARTNER: garante.create_token(role="partner", agency_id=HELD_PARTNER)[1],
        }
        items = [item.id for item in garante.items()]
        log_key = garante.log_verifier_key()
    finally:
        garante.close()
    return Prepared(store=store, tokens=tokens, items=items, log_key=log_key)


# -- the server ----------------------------------------------------------------------------


def _serve_args(store: Store, checkpoint_interval: float) -> list[str]:
    interval = str(checkpoint_interval)
    return ["--db", store.db, "serve", "--port", "0", "--checkpoint-interval", interval]


def _url(line: str) -> str:
    return line.split("listening on ", 1)[1].strip().removesuffix("/api/v1")


class ServerProcess:
    """``garante serve`` (the console script) on a store, to be killed with SIGKILL."""

    def __init__(self, store: Store, *, checkpoint_interval: float = 0.1) -> None:
        command = [GARANTE, *_serve_args(store, checkpoint_interval)]
        self._running = launch("garante serve", command, env=store.environ())
        self.process = self._running.process
        self.output = self._running.output
        self.url = self._running.url
        if not await_health(self.url, tries=200, timeout=5):
            self.kill()
            raise ServerDidNotStart("garante serve never answered:\n" + self._running.printed())

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is rolled back, no connection is closed."""
        self._running.kill()


class Zygote:
    """tests/crash/zygote.py: forks ``garante serve`` processes that need not import anything."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("zygote.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        ready = self.stdout.readline()
        if ready.strip() != "ready":
            self.close()
            raise RuntimeError(f"the zygote did not start: {ready!r}")

    def fork(self, args: list[str], env: dict[str, str], log: Path) -> int:
        self.stdin.write(json.dumps({"args": args, "env": env, "log": str(log)}) + "\n")
        self.stdin.flush()
        return int(self.stdout.readline())

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)
        self.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ForkedServer:
    """``garante serve`` forked by the zygote on a store, to be killed with SIGKILL."""

    def __init__(
        self, zygote: Zygote, store: Store, log: Path, *, checkpoint_interval: float = 0.1
    ) -> None:
        self.log = log
        log.unlink(missing_ok=True)  # so the line read below is this server's
        self.pid = zygote.fork(_serve_args(store, checkpoint_interval), store.environ(), log)
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline and _alive(self.pid):
            lines = [ln for ln in self.output().splitlines() if "listening on " in ln]
            if lines:
                url = _url(lines[0])
            else:
                time.sleep(0.02)
        if url is None or not await_health(url, tries=200, timeout=5):
            self.kill()
            raise ServerDidNotStart("garante serve did not start:\n" + self.output())
        self.url = url

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is rolled back, no connection is closed."""
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        while _alive(self.pid):  # the zygote reaps it
            time.sleep(0.01)


# -- the clients ---------------------------------------------------------------------------

Decision = tuple[int, str, int, str]  # request, outcome, state_version, trigger


@dataclass
class Seen:
    """What the clients were told, kept only when the server said it was done (2xx)."""

    requests: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    order_versions: set[tuple[str, int]] = field(default_factory=set)
    lifted: set[str] = field(default_factory=set)
    events: set[int] = field(default_factory=set)
    received: set[str] = field(default_factory=set)  # STIX ids the partner's feed served
    checkpoints: dict[int, str] = field(default_factory=dict)  # size -> signed note
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def decided(self, answers: Sequence[Decided]) -> None:
        with self.lock:
            self.decisions += [
                (a.request, a.outcome.value, a.state_version, a.trigger) for a in answers
            ]


def _attempt(
    seen: Seen, what: str, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """One call: an answer is kept; a refusal, a dead server or a dead database is not."""
    try:
        result = call(*args, **kwargs)
    except (GaranteAPIError, httpx.HTTPError) as exc:
        with seen.lock:
            seen.counts[f"{what} failed: {type(exc).__name__}"] += 1
        time.sleep(0.01)  # a dead server refuses at once: do not spin
        return None
    with seen.lock:
        seen.counts[what] += 1
    return result


class Load:
    """Client threads writing as fast as they can until ``stop``; what they saw is ``seen``."""

    def __init__(self, prepared: Prepared, url: str, *, seed: int, analysts: int = 2) -> None:
        self.prepared = prepared
        self.url = url
        self.seen = Seen()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._analyst, args=(seed * 100 + n,), daemon=True)
            for n in range(analysts)
        ]
        self.threads += [
            threading.Thread(target=self._authority, args=(seed * 100 + 50,), daemon=True),
            threading.Thread(target=self._partner, daemon=True),
            threading.Thread(target=self._checkpoints, daemon=True),
        ]

    def __enter__(self) -> Load:
        """One write first, alone: a restarted server must take it (no stale lock, no damage)."""
        with self._client("analyst") as client:
            item, recipient, purpose = self.prepared.items[0], HELD_PARTNER, PURPOSES[0]
            decided = _attempt(
                self.seen, "release.requested", client.request_release, item,
                recipient=recipient, purpose=purpose,
            )  # fmt: skip
        self.took_first_write = decided is not None
        if decided is not None:
            self.seen.requests[int(decided.request)] = (item, recipient, purpose)
            self.seen.decided([decided])
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self.threads), "a client thread did not finish"

    def _client(self, role: str) -> GaranteClient:
        return GaranteClient(self.url, self.prepared.tokens[role], timeout=20)

    def _analyst(self, seed: int) -> None:
        rng = random.Random(seed)
        seen = self.seen
        with self._client("analyst") as client:
            while not self.stopping.is_set():
                item = rng.choice(self.prepared.items)
                recipient = rng.choice(PARTNERS)
                purpose = rng.choice(PURPOSES)
                decided = _attempt(
                    seen,
                    "release.requested",
                    client.request_release,
                    item,
                    recipient=recipient,
                    purpose=purpose,
                )
                if decided is not None:
                    with seen.lock:
                        seen.requests[int(decided.request)] = (item, recipient, purpose)
                    seen.decided([decided])

    def _authority(self, seed: int) -> None:
        """Hold the partner's queue, lift the hold, again; record an event now and then."""
        rng = random.Random(seed)
        seen = self.seen
        key = demo_key(AUTHORITY)
        with self._client("authority") as client:
            number = 0
            while not self.stopping.is_set():
                number += 1
                issued = _attempt(
                    seen,
                    "order.issued",
                    client.issue_order,
                    "hold",
                    reason=f"crash test hold {number}",
                    scope=Scope(agencies=[HELD_PARTNER]),
                    key=key,
                )
                if issued is not None:
                    order = issued.order
                    with seen.lock:
                        seen.order_versions.add((order.id, int(order.version)))
                    seen.decided(issued.moved)
                    time.sleep(rng.uniform(0.0, 0.05))
                    lifted = _attempt(
                        seen,
                        "order.lifted",
                        client.lift_order,
                        order.id,
                        reason="crash test lift",
                        key=key,
                    )
                    if lifted is not None:
                        with seen.lock:
                            seen.order_versions.add((lifted.order.id, int(lifted.order.version)))
                            seen.lifted.add(lifted.order.id)
                        seen.decided(lifted.moved)
                # A strike far from the one condition's region: an entry, no re-decision.
                event = _attempt(
                    seen,
                    "event.recorded",
                    client.record_event,
                    "vessel-strike",
                    region="pacific",
                    source="crash test",
                    agency="dijin",  # no key: reported unsigned
                )
                if event is not None:
                    with seen.lock:
                        seen.events.add(int(event.event.id))
                    seen.decided(event.moved)

    def _partner(self) -> None:
        """Pull the held partner's TAXII feed from the start, again and again (deliveries)."""
        seen = self.seen
        collection = f"{self.url}/taxii2/api/collections/{collection_id(HELD_PARTNER)}/objects/"
        headers = {
            "Authorization": f"Bearer {self.prepared.tokens[HELD_PARTNER]}",
            "Accept": TAXII_JSON,
        }
        with httpx.Client(headers=headers, timeout=20) as http:
            while not self.stopping.is_set():
                params: dict[str, Any] = {"limit": 50}
                while not self.stopping.is_set():
                    try:
                        response = http.get(collection, params=params)
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        break
                    if response.status_code != 200:
                        time.sleep(0.05)
                        break
                    envelope = response.json()
                    with seen.lock:
                        seen.counts["feed page"] += 1
                        seen.received.update(o["id"] for o in envelope.get("objects", []))
                    if not envelope.get("more"):
                        break
                    params = {"limit": 50, "next": envelope["next"]}
                self.stopping.wait(0.2)

    def _checkpoints(self) -> None:
        seen = self.seen
        with httpx.Client(timeout=20) as http:
            while not self.stopping.is_set():
                try:
                    response = http.get(f"{self.url}/api/v1/audit/checkpoint")
                except httpx.HTTPError:
                    time.sleep(0.02)
                    continue
                if response.status_code == 200:
                    body = response.json()
                    with seen.lock:
                        seen.checkpoints[int(body["size"])] = body["note"]
                        seen.counts["checkpoint fetched"] += 1
                self.stopping.wait(0.03)


@dataclass
class Record(Seen):
    """Everything acknowledged on one store, over every run so far: each run's ``Seen`` added."""

    def add(self, seen: Seen) -> None:
        self.requests |= seen.requests
        self.decisions += seen.decisions
        self.order_versions |= seen.order_versions
        self.lifted |= seen.lifted
        self.events |= seen.events
        self.received |= seen.received
        for size, note in seen.checkpoints.items():
            self.checkpoints.setdefault(size, note)
        self.counts += seen.counts


# -- the checks ----------------------------------------------------------------------------


@dataclass
class Findings:
    """What did not hold, by property, each message naming the run it was seen after."""

    by_property: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in PROPERTIES}
    )

    def add(self, prop: str, run: str, messages: list[str]) -> None:
        self.by_property[prop] += [f"after {run}: {m}" for m in messages[:10]]


def check(prepared: Prepared, record: Record, url: str, run: str, findings: Findings) -> None:
    """Compare the store, after the crash and the restart, with what the clients saw."""
    engine = create_store_engine(database_url(prepared.store.db))
    try:
        with reader(engine).connect() as connection:
            tables = _Tables.read(connection)
        findings.add("acknowledged", run, _acknowledged(tables, record))
        findings.add("whole", run, _whole(tables) + _dbcheck(engine, prepared.log_key))
        findings.add("log", run, _log(engine, tables, record, prepared.log_key))
        findings.add("held", run, _held(tables, record, url, prepared.tokens["overseer"]))
    finally:
        engine.dispose()


@dataclass
class _Tables:
    """The rows the checks compare, read in one snapshot."""

    entries: list[tuple[int, bytes, bytes]]  # idx, entry, stored leaf hash
    level0: int
    requests: dict[int, tuple[str, str, str, str]]  # id -> item, recipient, purpose, outcome
    decisions: list[tuple[int, int, str, int, str]]  # id, request, outcome, version, trigger
    order_versions: list[tuple[str, int]]
    lifted: set[str]
    events: list[int]
    delivered: set[int]  # request ids
    objects: dict[str, set[int | None]]  # the held partner's STIX id -> its requests
    checkpoints: dict[int, str]

    @classmethod
    def read(cls, connection: Any) -> _Tables:
        def rows(sql: str) -> list[Any]:
            return list(connection.execute(text(sql)).all())

        with connection.begin():  # a snapshot: ``reader`` is REPEATABLE READ on PostgreSQL
            objects: dict[str, set[int | None]] = {}
            for object_id, request in rows(
                "SELECT object_id, request_id FROM feed_objects "
                f"WHERE partner_id = '{HELD_PARTNER}'"
            ):
                objects.setdefault(object_id, set()).add(request)
            return cls(
                entries=[
                    (int(i), bytes(e), bytes(h))
                    for i, e, h in rows(
                        "SELECT idx, entry, leaf_hash FROM ledger_entries ORDER BY idx"
                    )
                ],
                level0=int(
                    connection.execute(
                        text("SELECT count(*) FROM ledger_subtrees WHERE level = 0")
                    ).scalar_one()
                ),
                requests={
                    int(i): (item, recipient, purpose, outcome)
                    for i, item, recipient, purpose, outcome in rows(
                        "SELECT id, item_id, recipient_id, purpose, outcome FROM release_requests"
                    )
                },
                decisions=[
                    (int(i), int(r), o, int(v), t)
                    for i, r, o, v, t in rows(
                        "SELECT id, request_id, outcome, state_version, trigger FROM decisions "
                        "ORDER BY id"
                    )
                ],
                order_versions=[
                    (o, int(v)) for o, v in rows("SELECT order_id, version FROM order_versions")
                ],
                lifted={o for (o,) in rows("SELECT id FROM orders WHERE lifted_at IS NOT NULL")},
                events=[int(i) for (i,) in rows("SELECT id FROM events")],
                delivered={
                    int(r)
                    for (r,) in rows(
                        "SELECT request_id FROM feed_releases WHERE delivered_at IS NOT NULL"
                    )
                },
                objects=objects,
                checkpoints={
                    int(s): n for s, n in rows("SELECT size, note FROM ledger_checkpoints")
                },
            )

    def parsed(self) -> list[tuple[int, dict[str, Any]]]:
        return [(idx, json.loads(entry)) for idx, entry, _ in self.entries]


def _missing(what: str, wanted: Any, present: Any) -> list[str]:
    lost = sorted(set(wanted) - set(present), key=str)
    return [f"{len(lost)} acknowledged {what} missing, e.g. {lost[:5]}"] if lost else []


def _acknowledged(tables: _Tables, record: Record) -> list[str]:
    problems: list[str] = []
    problems += _missing("requests", record.requests, tables.requests)
    problems += [
        f"request {r} is stored as {tables.requests[r][:3]}, acknowledged as {terms}"
        for r, terms in record.requests.items()
        if r in tables.requests and tables.requests[r][:3] != terms
    ]
    stored = Counter((r, o, v, t) for _, r, o, v, t in tables.decisions)
    problems += _missing("decisions", Counter(record.decisions), stored)
    problems += _missing("order versions", record.order_versions, tables.order_versions)
    problems += _missing("lifts", record.lifted, tables.lifted)
    problems += _missing("events", record.events, tables.events)
    problems += _missing("checkpoints", record.checkpoints, tables.checkpoints)
    problems += [
        f"checkpoint {size} is stored with another note than the one published"
        for size, note in record.checkpoints.items()
        if size in tables.checkpoints and not note.startswith(tables.checkpoints[size])
    ]
    # What the feed served was delivered: its release is marked so (or it is shared).
    undelivered = [
        object_id
        for object_id in record.received
        if not any(r is None or r in tables.delivered for r in tables.objects.get(object_id, {0}))
    ]
    if undelivered:
        problems.append(f"{len(undelivered)} served objects not delivered: {undelivered[:3]}")
    return problems


def _whole(tables: _Tables) -> list[str]:
    """No state change without its entry, no entry without its state change."""
    problems: list[str] = []
    indexes = [idx for idx, _, _ in tables.entries]
    if indexes != list(range(len(indexes))):
        problems.append(f"ledger indexes are not 0..{len(indexes) - 1}")
    if tables.level0 != len(indexes):
        problems.append(f"{len(indexes)} entries but {tables.level0} stored leaf hashes")
    kinds: dict[str, list[dict[str, Any]]] = {}
    for _, entry in tables.parsed():
        kinds.setdefault(entry["kind"], []).append(entry["data"])

    def compare(what: str, rows: Counter[Any], logged: Counter[Any]) -> None:
        if rows != logged:
            unlogged = sorted((rows - logged).elements(), key=str)[:3]
            stateless = sorted((logged - rows).elements(), key=str)[:3]
            problems.append(
                f"{what}: rows without entry {unlogged}, entries without row {stateless}"
            )

    compare(
        "requests",
        Counter(tables.requests.keys()),
        Counter(int(d["request"]) for d in kinds.get("release.requested", [])),
    )
    compare(
        "decisions",
        Counter((r, o, v, t) for _, r, o, v, t in tables.decisions),
        Counter(
            (int(d["request"]), d["outcome"], int(d["state_version"]), d["trigger"])
            for kind in ("release.decided", "release.redecided")
            for d in kinds.get(kind, [])
        ),
    )
    compare(
        "order versions",
        Counter(tables.order_versions),
        Counter(
            (d["statement"]["id"], int(d["statement"]["version"]))
            for kind in ("order.issued", "order.amended", "order.lifted")
            for d in kinds.get(kind, [])
        ),
    )
    compare(
        "lifts",
        Counter(tables.lifted),
        Counter(d["statement"]["id"] for d in kinds.get("order.lifted", [])),
    )
    compare(
        "events",
        Counter(tables.events),
        Counter(int(d["event"]) for d in kinds.get("event.recorded", [])),
    )
    logged_deliveries = {int(d["request"]) for d in kinds.get("release.delivered", [])}
    if logged_deliveries - tables.delivered:
        problems.append(
            f"deliveries logged but not stored: {sorted(logged_deliveries - tables.delivered)[:5]}"
        )
    requests_decided = {r for _, r, _, _, _ in tables.decisions}
    undecided = sorted(set(tables.requests) - requests_decided)
    if undecided:
        problems.append(f"requests with no decision: {undecided[:5]}")
    return problems


def _dbcheck(engine: Engine, log_key: str) -> list[str]:
    """``garante db check --log-key``'s engine agrees: schema current, log verified, no
    orphan, the log replays with no disagreement and every row is as the replay says."""
    report = check_store(engine, log_key=VerifierKey.parse(log_key))
    return [] if report.ok else [f"garante db check: {json.dumps(report.to_dict())[:2000]}"]


def _log(engine: Engine, tables: _Tables, record: Record, log_key: str) -> list[str]:
    """The log verifies, and extends every checkpoint a client was shown before the crash."""
    problems: list[str] = []
    verifier = VerifierKey.parse(log_key)
    garante = Garante(engine)
    report = garante.verify_log(log_key)
    if not report.ok:
        problems.append(f"the log does not verify: {[str(f) for f in report.findings[:3]]}")
    size = len(tables.entries)
    leaves = [leaf_hash(entry) for _, entry, _ in tables.entries]
    root = root_from_leaf_hashes(leaves)
    for old_size, note in sorted(record.checkpoints.items()):
        try:
            checkpoint, _ = open_checkpoint(note, [verifier])
        except Exception as exc:
            problems.append(f"checkpoint {old_size} does not open with the log's key: {exc}")
            continue
        if checkpoint.size > size:
            problems.append(f"a checkpoint signed size {checkpoint.size}; the log has {size}")
            continue
        if checkpoint.size == 0:
            continue
        proof = garante.consistency_proof(checkpoint.size, size).proof
        try:
            verify_consistency(checkpoint.size, size, checkpoint.root_hash, root, proof)
        except Exception as exc:
            problems.append(f"the log is not consistent with checkpoint {checkpoint.size}: {exc}")
    return problems


def _held(tables: _Tables, record: Record, url: str, overseer: str) -> list[str]:
    problems: list[str] = []
    last: dict[int, tuple[str, int]] = {}
    for _, request, outcome, version, _ in tables.decisions:  # by id: the order they were made
        if request in last and version <= last[request][1]:
            problems.append(f"request {request}: decisions out of order at version {version}")
        last[request] = (outcome, version)
    problems += [
        f"request {r} is {row[3]} but its last decision says {last[r][0]}"
        for r, row in tables.requests.items()
        if r in last and row[3] != last[r][0]
    ]
    seen_last: dict[int, tuple[str, int]] = {}
    for request, outcome, version, _ in record.decisions:
        if request not in seen_last or version > seen_last[request][1]:
            seen_last[request] = (outcome, version)
    for request, (outcome, version) in seen_last.items():
        if outcome != "held" or request not in tables.requests:
            continue
        stored = tables.requests[request][3]
        if stored != "held" and not last[request][1] > version:
            problems.append(
                f"request {request}, seen held at version {version}, is {stored} "
                "with no later decision recorded"
            )
    with GaranteClient(url, overseer, timeout=60) as client:
        served = {int(h.id) for h in client.iter_held(limit=1000)}
    stored_held = {r for r, row in tables.requests.items() if row[3] == "held"}
    if served != stored_held:
        problems.append(
            f"the restarted server's held queue differs from the tables: "
            f"{sorted(served ^ stored_held)[:5]}"
        )
    return problems


# -- the runs ------------------------------------------------------------------------------


@dataclass
class Crashes:
    """Runs of crash and restart on one store: what was acknowledged, what did not hold."""

    prepared: Prepared
    record: Record = field(default_factory=Record)
    findings: Findings = field(default_factory=Findings)
    runs: int = 0
    restart_failures: list[str] = field(default_factory=list)
    refused_first_writes: list[str] = field(default_factory=list)


def crash_runs(
    prepared: Prepared,
    zygote: Zygote,
    logs: Path,
    *,
    runs: int,
    seed: int,
    delay: tuple[float, float],
    crash: Callable[[ForkedServer], None],
) -> Crashes:
    """Start, load, crash, restart and check, ``runs`` times over one store.

    Each run waits a delay drawn from ``random.Random(seed)`` after the server took its first
    write, with the clients writing, then calls ``crash``, which leaves the server dead and
    the database up. The restarts are forked by the zygote; the last one runs the ``garante``
    console script, as an operator would after a crash.
    """
    crashes = Crashes(prepared=prepared)
    rng = random.Random(seed)
    for run in range(1, runs + 2):
        label = f"crash {run - 1}" if run > 1 else "the first start"
        try:
            if run <= runs:
                server: ForkedServer | ServerProcess = ForkedServer(
                    zygote, prepared.store, logs / f"server-{run}.log"
                )
            else:
                server = ServerProcess(prepared.store)
        except ServerDidNotStart as exc:
            crashes.restart_failures.append(f"after {label}: {exc}")
            return crashes
        try:
            if run > 1:
                check(prepared, crashes.record, server.url, label, crashes.findings)
            if run > runs:
                break
            assert isinstance(server, ForkedServer)
            with Load(prepared, server.url, seed=seed * 1000 + run) as load:
                if not load.took_first_write:
                    crashes.refused_first_writes.append(f"after {label}: {load.seen.counts}")
                load.stopping.wait(rng.uniform(*delay))
                crash(server)
            crashes.record.add(load.seen)
            crashes.runs += 1
        finally:
            server.kill()
    return crashes
