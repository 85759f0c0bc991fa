"""``kill -9`` of a ``garante serve`` process while an item fans out to standing agreements.

An item added fans out in its own transaction (``service/fanout.py``): the item, every
request its agreements start and each one's decision and log entries commit together, or
nothing does. One store per backend, with PARTNERS agreements that each take the item for
six purposes; an analyst adds an item through the API and, once the server holds the item's
write transaction open (SQLite's write lock taken, PostgreSQL's policy lock held exclusively),
the server is killed with SIGKILL at an instant drawn from a fixed-seed generator across the
length of that transaction as an unkilled fan-out's measured it, RUNS times.
After each restart the item is there with all its requests or not at all, and added again
through the restarted server it fans out whole; at the end the log verifies against the
published key and replays with no disagreement, every row as the replay says (the engine of
``garante db check --log-key``), and ``garante db check`` itself passes.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import Connection, Engine, func, select, text

from garante.client import GaranteAPIError, GaranteClient
from garante.ledger.note import VerifierKey
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.store.database import POLICY_LOCK, create_store_engine, database_url
from garante.store.schema import DecisionRow, ItemRow, LedgerEntryRow, RequestRow
from tests.crash.harness import ForkedServer, ServerProcess, Zygote, store_environment
from tests.support.postgres import Cluster
from tests.support.scenario import own_bundle
from tests.support.stores import BACKENDS, GARANTE, Store, store_for

PARTNERS = 250
# Six purposes: 1,500 requests, written in two batches (``fanout.MAX_BATCH``), so the item's
# transaction stays open, having written, while the second batch is decided.
PURPOSES = ("interdiction", "seizure", "arrest", "prosecution", "analysis", "onward-sharing")
FANNED = PARTNERS * len(PURPOSES)  # the requests one item starts
RUNS = 3
SEED = 21
WITHIN = (0.05, 0.9)  # the kill, as a share of an unkilled fan-out's transaction after it began


@dataclass
class Run:
    item: str
    killed_after: float  # seconds after the item was sent, the server writing it
    answered: bool  # the server said the item was added before it died
    found: tuple[int, int, int] = (0, 0, 0)  # items, requests, decisions after the restart
    added_again: tuple[int, int, int] | None = None  # the same, added again if it was lost


@dataclass
class Observed:
    store: Store
    log_key: str
    one_fan_out: float  # seconds an unkilled fan-out's transaction took, from its start
    runs: list[Run] = field(default_factory=list)
    report_ok: bool = False
    disagreements: list[str] = field(default_factory=list)
    report: str = ""
    cli_check: subprocess.CompletedProcess[str] | None = None


def _setup(store: Store) -> tuple[str, str]:
    """DIPOL's items, PARTNERS agencies each with an agreement taking them: an analyst token
    and the log key."""
    with store_environment(store):
        garante = Garante.open(store.db, actor="crash-setup")
    try:
        garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
        for n in range(PARTNERS):
            partner = f"p{n:03d}"
            garante.register_agency(partner, name=f"Partner {n}", country="US")
            terms = garante.draft_agreement(
                partner, purposes=list(PURPOSES), tlp_ceiling="amber", originators=["dipol"]
            )
            garante.make_agreement(terms)
        _, token = garante.create_token(role="analyst", agency_id="dipol")
        return token, garante.log_verifier_key()
    finally:
        garante.close()


def _add(url: str, token: str, item: str) -> None:
    with GaranteClient(url, token, timeout=120) as client:
        client.add_item(
            item,
            title=f"Report {item}",
            category="drug-trafficking",
            region="andean",
            tlp="amber",
            bundle=own_bundle(item),
        )


def _found(engine: Engine, item: str) -> tuple[int, int, int]:
    """The item's rows, its requests and their decisions, as the store holds them."""
    with engine.connect() as connection:
        items = connection.scalar(
            select(func.count()).select_from(ItemRow).where(ItemRow.id == item)
        )
        requests = select(RequestRow.id).where(RequestRow.item_id == item)
        started = connection.scalar(select(func.count()).select_from(requests.subquery()))
        decided = connection.scalar(
            select(func.count())
            .select_from(DecisionRow)
            .where(DecisionRow.request_id.in_(requests))
        )
    return int(items or 0), int(started or 0), int(decided or 0)


def _published(url: str, engine: Engine, seconds: float = 30) -> None:
    """Until the server has signed a checkpoint over the whole log."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as connection:
            size = connection.scalar(select(func.count()).select_from(LedgerEntryRow))
        served = httpx.get(f"{url}/api/v1/audit/checkpoint", timeout=10)
        if served.status_code == 200 and served.json()["size"] >= (size or 0):
            return
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.1)


def _writing(store: Store, engine: Engine) -> bool:
    """Whether a write transaction of the server's is open: SQLite's write lock is held (from
    ``BEGIN IMMEDIATE``), or a PostgreSQL backend other than ours holds the policy lock
    exclusively (taken when a write begins, ``store.database``). A fan-out decides for a while
    before its first row goes out; from here the kill is drawn across the whole transaction."""
    if store.backend == "sqlite":
        probe = sqlite3.connect(store.db, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True  # locked: a writer is between its BEGIN and its commit
        finally:
            probe.close()
    found = _watcher(engine).scalar(_POLICY_HELD, _POLICY_KEY)
    return bool(found)


_POLICY_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND mode = 'ExclusiveLock' AND classid = :high AND objid = :low AND pid <> pg_backend_pid()"
)
_POLICY_KEY = {"high": POLICY_LOCK >> 32, "low": POLICY_LOCK & 0xFFFF_FFFF}
_watchers: dict[int, Connection] = {}


def _watcher(engine: Engine) -> Connection:
    """One connection kept open for the probe (autocommit): a fresh connection per look took
    longer than a fan-out's transaction on PostgreSQL, which its looks must see."""
    if id(engine) not in _watchers:
        _watchers[id(engine)] = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return _watchers[id(engine)]


def _began_writing(store: Store, engine: Engine, answered: threading.Event) -> float:
    """When the server began writing (or answered first): a monotonic instant."""
    deadline = time.monotonic() + 30
    while not _writing(store, engine) and not answered.is_set():
        assert time.monotonic() < deadline, "the server never started writing the item"
        time.sleep(0.001)
    return time.monotonic()


def _sent(url: str, token: str, item: str, answered: threading.Event) -> threading.Thread:
    """The item sent in a thread of its own; ``answered`` is set if the server said it was added."""

    def send() -> None:
        try:
            _add(url, token, item)
            answered.set()
        except (httpx.TransportError, GaranteAPIError):
            pass  # the server died under it

    sender = threading.Thread(target=send)
    sender.start()
    return sender


def _kill_during(
    server: ForkedServer, store: Store, engine: Engine, token: str, item: str, within: float
) -> Run:
    """Send the item; once the server is writing, SIGKILL it ``within`` seconds later."""
    answered = threading.Event()
    began = time.monotonic()
    sender = _sent(server.url, token, item, answered)
    writing = _began_writing(store, engine, answered)
    time.sleep(max(0.0, writing + within - time.monotonic()))
    killed_after = time.monotonic() - began
    server.kill()
    sender.join(60)
    return Run(item=item, killed_after=killed_after, answered=answered.is_set())


@pytest.fixture(scope="module", params=BACKENDS)
def observed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, zygote: Zygote
) -> Iterator[Observed]:
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"fanout-crash-{backend}")

    def cluster() -> Cluster:
        found: Cluster = request.getfixturevalue("pg_cluster")
        return found

    store = store_for(backend, directory, cluster)
    token, log_key = _setup(store)
    engine = create_store_engine(database_url(store.db))
    rng = random.Random(SEED)
    try:
        server = ForkedServer(zygote, store, directory / "server-0.log")
        try:
            answered = threading.Event()
            sender = _sent(server.url, token, "warm-up", answered)
            writing = _began_writing(store, engine, answered)
            while _writing(store, engine) and not answered.is_set():
                time.sleep(0.001)
            one = time.monotonic() - writing
            sender.join(120)
            assert answered.is_set(), "the unkilled fan-out failed"
        finally:
            server.kill()
        seen = Observed(store=store, log_key=log_key, one_fan_out=one)
        for run in range(1, RUNS + 1):
            server = ForkedServer(zygote, store, directory / f"server-{run}.log")
            try:
                within = rng.uniform(*WITHIN) * one
                seen.runs.append(_kill_during(server, store, engine, token, f"fan-{run}", within))
            finally:
                server.kill()
        restarted = ServerProcess(store)  # the console script, as an operator would
        try:
            for run_seen in seen.runs:
                run_seen.found = _found(engine, run_seen.item)
                if run_seen.found[0] == 0:
                    _add(restarted.url, token, run_seen.item)
                    run_seen.added_again = _found(engine, run_seen.item)
            _published(restarted.url, engine)
        finally:
            restarted.kill()
        report = check_store(engine, log_key=VerifierKey.parse(log_key))
        seen.report_ok = report.ok
        seen.disagreements = [] if report.replay is None else report.replay.disagreements
        seen.report = str(report.to_dict())[:3000]
        seen.cli_check = subprocess.run(
            [GARANTE, "--db", store.db, "db", "check"],
            capture_output=True,
            text=True,
            timeout=120,
            env=store.environ(),
        )
        yield seen
    finally:
        watcher = _watchers.pop(id(engine), None)
        if watcher is not None:
            watcher.close()
        engine.dispose()


def test_a_fan_out_killed_mid_write_is_all_or_nothing(observed: Observed) -> None:
    for run in observed.runs:
        assert run.found in {(0, 0, 0), (1, FANNED, FANNED)}, run
        if run.answered:  # acknowledged: committed whole
            assert run.found == (1, FANNED, FANNED), run


def test_the_kills_landed_before_a_fan_out_committed(observed: Observed) -> None:
    # Else nothing above was killed mid-write: the fan-out must take longer.
    assert any(run.found[0] == 0 for run in observed.runs), (observed.one_fan_out, observed.runs)


def test_an_item_lost_with_its_fan_out_is_added_again_whole_after_the_restart(
    observed: Observed,
) -> None:
    for run in observed.runs:
        if run.added_again is not None:
            assert run.added_again == (1, FANNED, FANNED), run


def test_the_log_replays_with_no_disagreement_after_the_kills(observed: Observed) -> None:
    assert observed.disagreements == []
    assert observed.report_ok, observed.report


def test_db_check_passes_after_the_kills(observed: Observed) -> None:
    assert observed.cli_check is not None
    assert observed.cli_check.returncode == 0, observed.cli_check.stdout + observed.cli_check.stderr
