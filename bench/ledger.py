"""The audit log on a real SQLite file: durable appends, proofs from the store, full verification.

Run ``python bench/ledger.py`` (``--quick`` for a smoke run CI can afford; ``--profile`` to see
where the time goes). One process, one core, a fresh temporary directory, deleted at the end.
Three measurements, each beside baselines measured in the same run on the same entry bytes:

1. Appends per second through ``transaction()`` and ``Transaction.audit`` (RFC 8785 entry,
   RFC 9162 leaf hash, the entry row at its dense index), one append per transaction and 1,000
   per transaction; then the integrator storing their subtrees (``integrate_batch``, 1,000
   entries per transaction), as ``garante serve`` does after the writes commit. The ceilings:
   bare ``hashlib.sha256`` leaf hashes, and the stdlib ``sqlite3`` module inserting
   precomputed ``ledger_entries`` rows (same table, WAL, synchronous=NORMAL, BEGIN IMMEDIATE)
   one per transaction and 1,000 per ``executemany``; for reference also the entry rows with
   their ``ledger_subtrees`` rows, what the appends and their integration write together.
   "Durable" is SQLite's: committed in WAL with synchronous=NORMAL, which survives a crash of
   the process but may lose the last transactions on a power cut. The batched figures, the
   appends' and the ceilings', are each the fastest of ``ROUNDS`` rounds taken in turns.
   Target: batched appends at least half as fast as the plain batched entry-row inserts.
2. Inclusion and consistency proofs from ``garante.store.ledger`` on one log grown from 10^4 to
   10^5 to 10^6 entries (10^3 and 10^4 with ``--quick``), random indices and old sizes against
   the full size, up to 200 of each or as many as fit in a time budget. Timed three ways: each
   proof in a fresh short read session (as the service serves one: a session on the store's
   read-only engine, BEGIN without the writer lock, one query, close); all of them in one
   session (the query and the hashing alone); and a baseline that fetches the same nodes
   through stdlib ``sqlite3`` with a query the primary key serves. Some proofs of each kind
   are verified against the stored roots, untimed.
   Target: both kinds under 1 ms at the largest size (p99, fresh session).
3. Verification of the whole log: ``check_log`` over the store's rows (``entry_rows``, what
   ``verify_store`` and so ``garante audit verify`` read) against a checkpoint
   signed by ``publish_checkpoint``, at the largest size, beside the hashlib leaf-hash rate over
   the same entries and the ``rfc8785`` library's re-check alone. Timed twice: the tree (dense
   indices, each entry against its stored leaf hashes, the root against the signed checkpoint:
   ``garante audit verify --tree-only``), and with the check that every entry is RFC 8785
   canonical JSON (``garante audit verify``), which parses and re-encodes each entry. The tree
   verification (load and check) is the fastest of three runs, as the hashlib rate is: a burst
   of load on a shared machine then lands on neither side of the ratio alone. Target:
   the tree verification at least a quarter of the hashlib rate; the form check is printed
   beside it with no target.

The first 300 entries of the proof log are written by ``Transaction.audit``; the rest are
the same rows written faster with the same pure functions (``leaf_hash``,
``subtrees_completed_by_leaf_hash``) and ``executemany``, so the service's and the bulk rows
meet in one tree, which the full verification then checks end to end. No timing is asserted:
``--check`` only turns a missed target into exit status 1.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import platform
import pstats
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rfc8785
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from garante.domain.condition import event_statement
from garante.domain.events import EventRecorded
from garante.domain.timeutil import iso
from garante.domain.vocabulary import DEFAULT_REGIONS
from garante.ledger import merkle
from garante.ledger.logcheck import check_log
from garante.ledger.merkle import leaf_hash, subtrees_completed_by_leaf_hash
from garante.ledger.note import Signer
from garante.ledger.verify import verify_consistency, verify_inclusion
from garante.service.audit import entry_rows, publish_checkpoint
from garante.service.integrator import integrate_batch
from garante.service.transaction import transaction
from garante.signatures import canonical
from garante.store import ledger, queries
from garante.store.database import create_store_engine, reader, upgrade

BATCH = 1_000
ROUNDS = 3
"""Rounds of the batched appends and inserts, in turns; the fastest of each is kept."""
SEED = 20251115
SERVICE_PREFIX = 300  # entries of the proof log written through Transaction.audit
BUILD_CHUNK = 50_000  # rows per transaction when the proof log is grown directly
TARGET_BATCHED_VS_PLAIN = 0.5
TARGET_PROOF_US = 1_000.0
TARGET_VERIFY_VS_HASHLIB = 0.25
MIN_PROOFS = 10  # timed per row even when the time budget runs out
VERIFIED_PROOFS = 10  # checked per row, untimed
DUMMY_HASH = bytes(32)
VERIFY_REPEAT = 3  # the tree verification's runs, fastest kept, as ``hashlib_rate`` keeps its own


@dataclass(frozen=True, kw_only=True)
class Plan:
    single_appends: int
    append_batches: int
    plain_singles: int
    plain_batches: int
    hash_entries: int
    sizes: tuple[int, ...]
    proofs: int
    proof_budget: float  # seconds per row and way of timing
    canonical_sample: int


FULL = Plan(
    single_appends=2_000,
    append_batches=20,
    plain_singles=20_000,
    plain_batches=200,
    hash_entries=200_000,
    sizes=(10_000, 100_000, 1_000_000),
    proofs=200,
    proof_budget=4.0,
    canonical_sample=100_000,
)
QUICK = Plan(
    single_appends=100,
    append_batches=2,
    plain_singles=1_000,
    plain_batches=10,
    hash_entries=20_000,
    sizes=(1_000, 10_000),
    proofs=50,
    proof_budget=0.25,
    canonical_sample=5_000,
)

NOW = datetime(2025, 11, 15, 12, 0, tzinfo=UTC)
NOW_TEXT = iso(NOW)
ACTOR = "bench"
KIND = EventRecorded.entry_kind
EVENT_KINDS = ("vessel-strike", "vessel-sighting", "seizure", "arrest", "port-closure")
AGENCY = "dipol"
SOURCES = ("navy-patrol-12", "coastguard-3", "customs-bog", "press-report", "partner-liaison")
OCCURRED_AT = tuple(NOW - timedelta(minutes=m) for m in range(1, 241))
OCCURRED = tuple(iso(at) for at in OCCURRED_AT)
INSERT_ENTRY = (
    "INSERT INTO ledger_entries (idx, kind, entry, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)"
)
INSERT_SUBTREE = "INSERT INTO ledger_subtrees (level, idx, hash) VALUES (?, ?, ?)"


# -- entries ---------------------------------------------------------------------------------


def event_data(i: int) -> EventRecorded:
    """The ``i``-th entry's event: an event recorded, as ``record_event`` audits it (reported
    by an agency with no key, so unsigned)."""
    kind = EVENT_KINDS[i % len(EVENT_KINDS)]
    region = DEFAULT_REGIONS[(i // 7) % len(DEFAULT_REGIONS)]
    occurred_at = OCCURRED_AT[i % len(OCCURRED_AT)]
    source = SOURCES[(i * 13) % len(SOURCES)]
    return EventRecorded(
        event=i + 1,
        kind=kind,
        region=region,
        occurred_at=occurred_at,
        source=source,
        agency=AGENCY,
        statement=event_statement(
            kind=kind,
            region=region,
            occurred_at=occurred_at,
            source=source,
            note="",
            agency_id=AGENCY,
        ),
        signature=None,
    )


def entry_bytes(i: int) -> bytes:
    """The bytes ``Transaction.audit`` writes for ``event_data(i)``, without rfc8785's cost.

    Keys in RFC 8785 order and nothing to escape; ``check_entry_bytes`` compares a sample with
    ``canonical`` before anything is timed.
    """
    kind = EVENT_KINDS[i % len(EVENT_KINDS)]
    occurred = OCCURRED[i % len(OCCURRED)]
    region = DEFAULT_REGIONS[(i // 7) % len(DEFAULT_REGIONS)]
    source = SOURCES[(i * 13) % len(SOURCES)]
    statement = (
        f'{{"agency":"{AGENCY}","kind":"{kind}","note":"","occurred_at":"{occurred}",'
        f'"region":"{region}","source":"{source}","type":"garante.event/v1"}}'
    )
    data = (
        f'{{"agency":"{AGENCY}","event":{i + 1},"kind":"{kind}","occurred_at":"{occurred}",'
        f'"region":"{region}","signature":null,"source":"{source}","statement":{statement}}}'
    )
    return (
        f'{{"actor":"{ACTOR}","at":"{NOW_TEXT}","data":{data},"kind":"{KIND.value}","v":1}}'
    ).encode()


def audited_entry(i: int) -> bytes:
    return canonical(
        {"v": 1, "kind": KIND.value, "at": NOW_TEXT, "actor": ACTOR, "data": event_data(i).data()}
    )


def check_entry_bytes() -> None:
    for i in [*range(300), *range(300, 2_000_000, 9_973)]:
        if entry_bytes(i) != audited_entry(i):
            raise SystemExit(f"bench bug: entry_bytes({i}) differs from the audited entry")


# -- helpers ---------------------------------------------------------------------------------


def open_store(path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def connect_plain(path: Path) -> sqlite3.Connection:
    """The stdlib module with the store's settings, transactions under our control."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


@contextmanager
def immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def stored_shape(path: Path) -> tuple[list[str], str]:
    """The ledger tables' DDL and the ``created_at`` text, as the service wrote them."""
    connection = sqlite3.connect(path)
    try:
        ddls = [
            str(sql)
            for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('ledger_entries', 'ledger_subtrees') ORDER BY name"
            )
        ]
        (created_at,) = connection.execute(
            "SELECT created_at FROM ledger_entries ORDER BY idx LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return ddls, str(created_at)


def seconds(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def hashlib_rate(entries: Sequence[bytes], repeat: int = 3) -> float:
    """Leaf hashes per second with bare ``hashlib``: the floor any verifier pays per entry."""
    sha256 = hashlib.sha256

    def run() -> None:
        for entry in entries:
            sha256(b"\x00" + entry).digest()

    return len(entries) / min(seconds(run) for _ in range(repeat))


# -- 1. appends ------------------------------------------------------------------------------

EntryRow = tuple[int, str, bytes, bytes, str]
SubtreeRow = tuple[int, int, bytes]
AuditRows = tuple[EntryRow, list[SubtreeRow]]


def audit_rows(
    start: int, stop: int, created_at: str, frontier: dict[tuple[int, int], bytes]
) -> list[AuditRows]:
    """The rows ``Transaction.audit`` writes for entries ``start`` to ``stop - 1``.

    ``frontier`` holds the complete subtrees on the right edge of the tree of size ``start``
    (``(level, index)`` to hash) and is left holding those of the tree of size ``stop``.
    """

    def take(level: int, index: int) -> bytes:
        return frontier.pop((level, index))

    out: list[AuditRows] = []
    for i in range(start, stop):
        entry = entry_bytes(i)
        leaf = leaf_hash(entry)
        completed = subtrees_completed_by_leaf_hash(i, leaf, take)
        # Only the highest node is read again: as the left sibling of a later one.
        level, index, node = completed[-1]
        frontier[(level, index)] = node
        out.append(((i, KIND.value, entry, leaf, created_at), completed))
    return out


@dataclass(frozen=True, kw_only=True)
class Rate:
    label: str
    per_tx: int
    entries: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.entries / self.seconds


def service_appends(factory: sessionmaker[Session], start: int, count: int, per_tx: int) -> float:
    """Seconds to append ``count`` entries from index ``start``, ``per_tx`` per transaction."""
    data = [event_data(i) for i in range(start, start + count)]
    batches = [data[lo : lo + per_tx] for lo in range(0, count, per_tx)]

    def run() -> None:
        for batch in batches:
            with transaction(factory, lambda: NOW, ACTOR) as tx:
                for item in batch:
                    tx.audit(item)

    return seconds(run)


def plain_inserts(
    connection: sqlite3.Connection, rows: Sequence[AuditRows], per_tx: int, *, subtrees: bool
) -> float:
    """Seconds to insert precomputed rows: the entry rows only, or with their subtree rows."""
    batches = [rows[lo : lo + per_tx] for lo in range(0, len(rows), per_tx)]

    def run() -> None:
        for batch in batches:
            with immediate(connection):
                if per_tx == 1:
                    connection.execute(INSERT_ENTRY, batch[0][0])
                else:
                    connection.executemany(INSERT_ENTRY, [entry for entry, _ in batch])
                if subtrees:
                    connection.executemany(
                        INSERT_SUBTREE, [node for _, nodes in batch for node in nodes]
                    )

    return seconds(run)


class PlainFile:
    """The ceiling's store: a fresh file with the ledger's tables (``ddls``), into which rows
    are inserted, singles first, then batches of ``BATCH``. Each insert's rows are computed
    just before it, untimed, continuing the tree where the last left it (``audit_rows``)."""

    def __init__(
        self, path: Path, plan: Plan, ddls: Sequence[str], created_at: str, *, subtrees: bool
    ) -> None:
        self.plan = plan
        self.created_at = created_at
        self.subtrees = subtrees
        self.frontier: dict[tuple[int, int], bytes] = {}
        self.next = 0
        self.connection = connect_plain(path)
        for ddl in ddls:
            self.connection.execute(ddl)
        self._insert(20, 1)  # warm-up

    def singles(self) -> float:
        """Seconds for ``plain_singles`` rows, one per transaction."""
        return self._insert(self.plan.plain_singles, 1)

    def batches(self) -> float:
        """Seconds for ``plain_batches`` transactions of ``BATCH`` rows each."""
        return self._insert(self.plan.plain_batches * BATCH, BATCH)

    def _insert(self, count: int, per_tx: int) -> float:
        rows = audit_rows(self.next, self.next + count, self.created_at, self.frontier)
        self.next += count
        return plain_inserts(self.connection, rows, per_tx, subtrees=self.subtrees)

    def close(self) -> None:
        self.connection.close()


def measure_appends(directory: Path, plan: Plan) -> tuple[list[Rate], float]:
    """The append rates and the hashlib ceiling; all on the same entry bytes.

    The batched figures, Garante's and the ceilings', are the fastest of ``ROUNDS`` rounds
    taken in turns (each round appends and inserts new rows): one batched measurement is a
    few transactions, and a stall of the machine's disk or CPU in one of them would decide
    the ratio.
    """
    engine, factory = open_store(directory / "appends.db")
    warm = 20
    service_appends(factory, 0, warm, 1)
    service_appends(factory, warm, 5 * warm, 5 * warm)
    index = 6 * warm
    single = service_appends(factory, index, plan.single_appends, 1)
    index += plan.single_appends
    ddls, created_at = stored_shape(directory / "appends.db")
    plain = PlainFile(directory / "plain.db", plan, ddls, created_at, subtrees=False)
    with_rows = PlainFile(directory / "plain-audit-rows.db", plan, ddls, created_at, subtrees=True)
    try:
        plain_single, rows_single = plain.singles(), with_rows.singles()
        batched_count = plan.append_batches * BATCH
        batched = plain_batched = rows_batched = float("inf")
        for _ in range(ROUNDS):
            batched = min(batched, service_appends(factory, index, batched_count, BATCH))
            index += batched_count
            plain_batched = min(plain_batched, plain.batches())
            rows_batched = min(rows_batched, with_rows.batches())
    finally:
        plain.close()
        with_rows.close()
    integration = integrate_all(factory)
    engine.dispose()
    hash_rate = hashlib_rate([entry_bytes(i) for i in range(plan.hash_entries)])

    plain_batch_count = plan.plain_batches * BATCH
    rates = [
        Rate(label=AUDIT, per_tx=1, entries=plan.single_appends, seconds=single),
        Rate(label=PLAIN, per_tx=1, entries=plan.plain_singles, seconds=plain_single),
        Rate(label=PLAIN_ROWS, per_tx=1, entries=plan.plain_singles, seconds=rows_single),
        Rate(label=AUDIT, per_tx=BATCH, entries=batched_count, seconds=batched),
        Rate(label=PLAIN, per_tx=BATCH, entries=plain_batch_count, seconds=plain_batched),
        Rate(label=PLAIN_ROWS, per_tx=BATCH, entries=plain_batch_count, seconds=rows_batched),
        integration,
    ]
    return rates, hash_rate


def integrate_all(factory: sessionmaker[Session]) -> Rate:
    """The integrator's work for every entry appended above: their subtree rows, computed
    and stored ``BATCH`` entries per transaction (``integrate_batch``), as ``garante serve``
    does after the writes commit."""
    with factory() as session:
        backlog = queries.ledger_size(session) - ledger.integrated_size(session)

    def run() -> None:
        while True:
            with factory() as session, session.begin():
                old, new = integrate_batch(session, BATCH)
            if new == old:
                return

    return Rate(label=INTEGRATE, per_tx=BATCH, entries=backlog, seconds=seconds(run))


AUDIT = "Transaction.audit"
INTEGRATE = "integrate_batch (their subtrees)"
PLAIN = "plain sqlite3: entry row"
PLAIN_ROWS = "plain sqlite3: entry + subtree rows"


def report_appends(rates: Sequence[Rate], hash_rate: float, hash_entries: int) -> bool:
    print("1. appends, committed (WAL, synchronous=NORMAL); each kind into its own fresh file")
    print(f"{'':2}{'what':<36} {'per tx':>6} {'entries':>9} {'entries/s':>11} {'µs/entry':>9}")
    for r in rates:
        print(
            f"{'':2}{r.label:<36} {r.per_tx:>6,} {r.entries:>9,} {r.per_second:>11,.0f} "
            f"{1e6 / r.per_second:>9.1f}"
        )
    print(
        f"{'':2}{'hashlib.sha256 leaf hash':<36} {'-':>6} {hash_entries:>9,} {hash_rate:>11,.0f} "
        f"{1e6 / hash_rate:>9.2f}"
    )
    by = {(r.label, r.per_tx): r.per_second for r in rates}
    print(
        f"{'':2}plain rows are precomputed (entry bytes, leaf hash, subtrees); one INSERT, or "
        "executemany per table"
    )
    for per_tx in (1, BATCH):
        print(
            f"{'':2}audit at {per_tx:,} per tx: {by[AUDIT, per_tx] / by[PLAIN, per_tx]:.1%} of "
            "the entry-row inserts (the rows it writes; the integrator stores the subtrees later)"
        )
    both = 1 / (1 / by[AUDIT, BATCH] + 1 / by[INTEGRATE, BATCH])
    print(
        f"{'':2}appends and their integration together: {both:,.0f}/s, "
        f"{both / by[PLAIN_ROWS, BATCH]:.1%} of inserting the same entry and subtree rows"
    )
    ceiling = by[PLAIN, BATCH]
    ratio = by[AUDIT, BATCH] / ceiling
    met = ratio >= TARGET_BATCHED_VS_PLAIN
    print(
        f"{'':2}target: batched appends >= {TARGET_BATCHED_VS_PLAIN:.0%} of the plain batched "
        f"entry-row inserts ({TARGET_BATCHED_VS_PLAIN * ceiling:,.0f}/s)"
    )
    print(f"{'':2}result: {by[AUDIT, BATCH]:,.0f}/s, {ratio:.1%} ({'met' if met else 'MISSED'})")
    return met


# -- 2. proofs -------------------------------------------------------------------------------


class LogBuilder:
    """Grows the proof log with the service's rows, written in big ``executemany`` batches."""

    def __init__(self, path: Path, factory: sessionmaker[Session]) -> None:
        self.path = path
        with transaction(factory, lambda: NOW, ACTOR) as tx:
            for i in range(SERVICE_PREFIX):
                tx.audit(event_data(i))
        with factory() as session, session.begin():  # the integrator's batch: their subtrees
            integrate_batch(session, SERVICE_PREFIX)
        _, self.created_at = stored_shape(path)
        self.size = SERVICE_PREFIX

    def grow(self, size: int) -> None:
        connection = connect_plain(self.path)
        try:
            frontier = self._frontier(connection)
            for lo in range(self.size, size, BUILD_CHUNK):
                rows = audit_rows(lo, min(size, lo + BUILD_CHUNK), self.created_at, frontier)
                with immediate(connection):
                    connection.executemany(INSERT_ENTRY, [entry for entry, _ in rows])
                    connection.executemany(
                        INSERT_SUBTREE, [node for _, nodes in rows for node in nodes]
                    )
                    # These rows come with their subtrees: the tree is integrated up to them.
                    connection.execute(
                        "UPDATE ledger_integration SET size = ?", (min(size, lo + BUILD_CHUNK),)
                    )
        finally:
            connection.close()
        self.size = size

    def _frontier(self, connection: sqlite3.Connection) -> dict[tuple[int, int], bytes]:
        """The complete subtrees of the current tree's right edge, one per set bit of its size."""
        frontier = {}
        for level in range(self.size.bit_length()):
            if self.size >> level & 1:
                index = (self.size >> level) - 1
                (node,) = connection.execute(
                    "SELECT hash FROM ledger_subtrees WHERE level = ? AND idx = ?", (level, index)
                ).fetchone()
                frontier[(level, index)] = bytes(node)
        return frontier


@dataclass(frozen=True, kw_only=True)
class ProofTiming:
    size: int
    kind: str
    hashes: float
    fresh_us: list[float]
    shared_us: list[float]
    baseline_us: list[float]
    verified: int


Compute = Callable[[merkle.GetNode], list[bytes]]


def timed_calls(call: Callable[[int], object], args: Sequence[int], budget: float) -> list[float]:
    """µs per call, over ``args`` or until ``budget`` seconds are spent (at least MIN_PROOFS)."""
    gc.collect()
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for arg in args:
        start = time.perf_counter()
        call(arg)
        end = time.perf_counter()
        times.append((end - start) * 1e6)
        if end > deadline and len(times) >= MIN_PROOFS:
            break
    return times


def baseline_proof(connection: sqlite3.Connection, compute: Compute) -> list[bytes]:
    """The same nodes fetched in one query the primary key serves (stdlib ``sqlite3``).

    As ``garante.store.ledger`` does: record which nodes the proof reads, fetch them at once,
    compute the proof; only the query differs, ``(level = ? AND idx = ?) OR ...``.
    """
    wanted: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return DUMMY_HASH

    compute(record)
    pairs = sorted(set(wanted))
    where = " OR ".join(["(level = ? AND idx = ?)"] * len(pairs))
    rows = connection.execute(
        f"SELECT level, idx, hash FROM ledger_subtrees WHERE {where}",
        [value for pair in pairs for value in pair],
    ).fetchall()
    nodes = {(level, index): bytes(value) for level, index, value in rows}
    return compute(lambda level, index: nodes[(level, index)])


def time_proofs(
    factory: sessionmaker[Session],
    connection: sqlite3.Connection,
    size: int,
    kind: str,
    args: Sequence[int],
    budget: float,
) -> ProofTiming:
    def compute(arg: int) -> Compute:
        if kind == "inclusion":
            return lambda get: merkle.inclusion_proof(arg, size, get)
        return lambda get: merkle.consistency_proof(arg, size, get)

    def prove(session: Session, arg: int) -> list[bytes]:
        if kind == "inclusion":
            return ledger.inclusion_proof(session, arg, size)
        return ledger.consistency_proof(session, arg, size)

    def fresh(arg: int) -> list[bytes]:
        with factory() as session:
            return prove(session, arg)

    for arg in args[:3]:  # warm-up: statement caches, the pool, pages
        fresh(arg)
        baseline_proof(connection, compute(arg))
    fresh_us = timed_calls(fresh, args, budget)
    with factory() as session:
        shared_us = timed_calls(lambda arg: prove(session, arg), args, budget)
    baseline_us = timed_calls(lambda arg: baseline_proof(connection, compute(arg)), args, budget)
    # Untimed: the proofs verify against the store's roots, and the baseline's are the same.
    checked = args[:VERIFIED_PROOFS]
    with factory() as session:
        new_root = ledger.root(session, size)
        for arg in checked:
            proof = prove(session, arg)
            if proof != baseline_proof(connection, compute(arg)):
                raise SystemExit(f"bench bug: the baseline {kind} proof for {arg} differs")
            if kind == "inclusion":
                verify_inclusion(leaf_hash(entry_bytes(arg)), arg, size, proof, new_root)
            else:
                verify_consistency(arg, size, ledger.root(session, arg), new_root, proof)
    return ProofTiming(
        size=size,
        kind=kind,
        hashes=statistics.fmean(len(fresh(arg)) for arg in checked),
        fresh_us=fresh_us,
        shared_us=shared_us,
        baseline_us=baseline_us,
        verified=len(checked),
    )


def measure_proofs(
    builder: LogBuilder,
    factory: sessionmaker[Session],
    size: int,
    plan: Plan,
    rng: random.Random,
) -> tuple[list[ProofTiming], float]:
    build = seconds(lambda: builder.grow(size))
    indices = [rng.randrange(size) for _ in range(plan.proofs)]
    olds = [rng.randrange(1, size) for _ in range(plan.proofs)]
    connection = connect_plain(builder.path)
    try:
        timings = [
            time_proofs(factory, connection, size, "inclusion", indices, plan.proof_budget),
            time_proofs(factory, connection, size, "consistency", olds, plan.proof_budget),
        ]
    finally:
        connection.close()
    return timings, build


def _stats(values: Sequence[float]) -> str:
    return f"{len(values):>4} {statistics.fmean(values):>8,.0f} {p99(values):>8,.0f}"


def report_proofs(timings: Sequence[ProofTiming], plan: Plan) -> bool:
    print()
    print(
        f"2. proofs against the full size, random indices and old sizes; µs per proof "
        f"(up to {plan.proofs}, or as many as fit in {plan.proof_budget:g} s)"
    )
    print(
        f"{'':2}{'':>9} {'':<11} {'':>6}  {'fresh session':^31}  {'one session':^22}  "
        f"{'baseline (pk query)':^22}"
    )
    print(
        f"{'':2}{'entries':>9} {'proof':<11} {'hashes':>6}  {'n':>4} {'mean':>8} {'p99':>8} "
        f"{'max':>8}  {'n':>4} {'mean':>8} {'p99':>8}  {'n':>4} {'mean':>8} {'p99':>8}"
    )
    for t in timings:
        print(
            f"{'':2}{t.size:>9,} {t.kind:<11} {t.hashes:>6.1f}  {_stats(t.fresh_us)} "
            f"{max(t.fresh_us):>8,.0f}  {_stats(t.shared_us)}  {_stats(t.baseline_us)}"
        )
    print(
        f"{'':2}fresh session: a read session (BEGIN, no writer lock), garante.store.ledger, "
        "close (as the service serves one);"
    )
    print(
        f"{'':2}one session: the store query and the hashing alone; baseline: the same nodes "
        "through stdlib sqlite3,"
    )
    print(
        f"{'':2}one query the primary key serves. The first {timings[0].verified} proofs of each "
        "row were verified against the"
    )
    print(
        f"{'':2}stored roots and matched the baseline's (untimed). p99 of few proofs is their max."
    )
    largest = max(t.size for t in timings)
    worst = max(p99(t.fresh_us) for t in timings if t.size == largest)
    met = worst < TARGET_PROOF_US
    print(
        f"{'':2}target: inclusion and consistency p99 < {TARGET_PROOF_US / 1000:g} ms at "
        f"{largest:,} entries, fresh session"
    )
    print(f"{'':2}result: worst p99 {worst:,.0f} µs ({'met' if met else 'MISSED'})")
    return met


# -- 3. verification -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Verification:
    size: int
    load_seconds: float
    check_seconds: float
    forms_seconds: float
    hash_rate: float
    canonical_rate: float
    canonical_sample: int
    rss_before_mb: float
    rss_after_mb: float

    @property
    def per_second(self) -> float:
        return self.size / (self.load_seconds + self.check_seconds)


def canonical_rate(entries: Sequence[bytes]) -> float:
    """Entries per second of the RFC 8785 re-check alone (json.loads, rfc8785.dumps, compare)."""

    def run() -> None:
        for entry in entries:
            if bytes(rfc8785.dumps(json.loads(entry))) != entry:
                raise SystemExit("bench bug: an entry is not canonical")

    return len(entries) / seconds(run)


def measure_verification(
    factory: sessionmaker[Session], readers: sessionmaker[Session], size: int, sample: int
) -> Verification:
    signer = Signer.generate("bench/log")
    with factory() as session, session.begin():
        published = publish_checkpoint(session, signer, NOW)
    if published.size != size:
        raise SystemExit(f"bench bug: checkpoint at {published.size}, log has {size}")
    key = signer.verifier_key()
    rss_before = peak_rss_mb()
    with readers() as session:
        timings: list[tuple[float, float]] = []
        for _ in range(VERIFY_REPEAT):
            stored = []  # the previous copy goes before the next is loaded
            gc.collect()
            start = time.perf_counter()
            stored = list(entry_rows(session))  # an iterator: materialise to time the load
            loaded = time.perf_counter()
            tree = check_log(stored, [published.note], key, forms=False)
            timings.append((loaded - start, time.perf_counter() - loaded))
        load_seconds, check_seconds = min(timings, key=sum)
        checked = time.perf_counter()
        full = check_log(stored, [published.note], key)
        with_forms = time.perf_counter()
        for report in (tree, full):
            if not report.ok or report.entries != size or report.checkpoints_verified != 1:
                raise SystemExit(f"bench bug: the log does not verify: {report.findings[:3]}")
        entries = [entry for _, entry, _ in stored]
        del stored
    rss_after = peak_rss_mb()
    hash_rate = hashlib_rate(entries)
    canonical_entries = entries[:sample]
    del entries
    return Verification(
        size=size,
        load_seconds=load_seconds,
        check_seconds=check_seconds,
        forms_seconds=with_forms - checked,
        hash_rate=hash_rate,
        canonical_rate=canonical_rate(canonical_entries),
        canonical_sample=len(canonical_entries),
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
    )


def report_verification(v: Verification) -> bool:
    print()
    print(
        f"3. full-log verification at {v.size:,} entries against one signed checkpoint "
        "(one read session)"
    )
    rows = [
        ("entry_rows (load)", v.load_seconds, v.size / v.load_seconds),
        (
            "check_log, the tree (audit verify --tree-only)",
            v.check_seconds,
            v.size / v.check_seconds,
        ),
        ("both: tree verification", v.load_seconds + v.check_seconds, v.per_second),
        ("check_log with the RFC 8785 form check", v.forms_seconds, v.size / v.forms_seconds),
        (
            "both: verification with forms (audit verify)",
            v.load_seconds + v.forms_seconds,
            v.size / (v.load_seconds + v.forms_seconds),
        ),
    ]
    print(f"{'':2}{'what':<48} {'seconds':>8} {'entries/s':>11}")
    for label, secs, rate in rows:
        print(f"{'':2}{label:<48} {secs:>8.2f} {rate:>11,.0f}")
    print(
        f"{'':2}{'hashlib.sha256 leaf hash (ceiling)':<48} {v.size / v.hash_rate:>8.2f} "
        f"{v.hash_rate:>11,.0f}"
    )
    label = f"rfc8785 library re-check alone ({v.canonical_sample:,} sampled)"
    print(f"{'':2}{label:<48} {v.size / v.canonical_rate:>8.2f} {v.canonical_rate:>11,.0f}")
    print(
        f"{'':2}peak RSS {v.rss_before_mb:,.0f} MB before loading the log, "
        f"{v.rss_after_mb:,.0f} MB after"
    )
    ratio = v.per_second / v.hash_rate
    met = ratio >= TARGET_VERIFY_VS_HASHLIB
    print(
        f"{'':2}target: tree verification >= {TARGET_VERIFY_VS_HASHLIB:.0%} of the hashlib rate "
        f"({TARGET_VERIFY_VS_HASHLIB * v.hash_rate:,.0f}/s)"
    )
    print(
        f"{'':2}result: {v.per_second:,.0f}/s, {ratio:.1%} of hashlib "
        f"({'met' if met else 'MISSED'}); with the form check "
        f"{v.size / (v.load_seconds + v.forms_seconds) / v.hash_rate:.1%} (no target)"
    )
    return met


# -- profile ---------------------------------------------------------------------------------


def print_profile(profiler: cProfile.Profile, title: str) -> None:
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\nprofile of {title}, by own time:")
    stats.sort_stats("tottime").print_stats(12)
    print(f"profile of {title}, by cumulative time:")
    stats.sort_stats("cumulative").print_stats(20)


def profile(directory: Path, factory: sessionmaker[Session], size: int) -> None:
    """The three measurements again under cProfile (at the largest size for the last two)."""
    engine, appends = open_store(directory / "profile.db")
    data = [event_data(i) for i in range(2 * BATCH)]

    def append(batch: Sequence[EventRecorded]) -> None:
        with transaction(appends, lambda: NOW, ACTOR) as tx:
            for item in batch:
                tx.audit(item)

    append(data[:BATCH])
    profiler = cProfile.Profile()
    profiler.runcall(append, data[BATCH:])
    engine.dispose()
    print_profile(profiler, f"one transaction of {BATCH:,} Transaction.audit appends")

    def proofs() -> None:
        for index in range(0, size, max(1, size // 10)):
            with factory() as session:
                ledger.inclusion_proof(session, index, size)

    profiler = cProfile.Profile()
    profiler.runcall(proofs)
    print_profile(profiler, f"10 inclusion proofs at {size:,} entries, fresh sessions")

    signer = Signer.generate("bench/log")
    with factory() as session, session.begin():
        note = publish_checkpoint(session, signer, NOW).note
    profiler = cProfile.Profile()
    with factory() as session:
        profiler.runcall(lambda: check_log(entry_rows(session), [note], signer.verifier_key()))
    print_profile(profiler, f"entry_rows and check_log at {size:,} entries")


# -- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Appends, proofs and verification of the Garante audit log on SQLite."
    )
    parser.add_argument(
        "--quick", action="store_true", help="small logs and few appends, for CI (a few seconds)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the proofs' indices")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile a batch of appends and the full verification",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    check_entry_bytes()
    rng = random.Random(args.seed)

    print(
        f"garante ledger: SQLite {sqlite3.sqlite_version} file (WAL, synchronous=NORMAL, "
        f"BEGIN IMMEDIATE) in a temporary directory; entries of {len(entry_bytes(0))} bytes "
        f"(RFC 8785 {KIND.value})"
    )
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.machine()}, {os.cpu_count()} cores, one used; seed {args.seed}"
        + ("; --quick" if args.quick else "")
    )
    print()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="garante-bench-") as name:
        directory = Path(name)
        rates, hash_rate = measure_appends(directory, plan)
        met = [report_appends(rates, hash_rate, plan.hash_entries)]

        engine, factory = open_store(directory / "log.db")
        readers = sessionmaker(reader(engine), expire_on_commit=False)
        builder = LogBuilder(directory / "log.db", factory)
        timings: list[ProofTiming] = []
        build_seconds = 0.0
        for size in plan.sizes:
            grown, build = measure_proofs(builder, readers, size, plan, rng)
            timings.extend(grown)
            build_seconds += build
        met.append(report_proofs(timings, plan))
        print(
            f"{'':2}(growing the log to {builder.size:,} entries took {build_seconds:.1f} s, "
            f"not timed above; file {(directory / 'log.db').stat().st_size / 2**20:,.0f} MiB)"
        )

        verification = measure_verification(factory, readers, builder.size, plan.canonical_sample)
        met.append(report_verification(verification))
        if args.profile:
            profile(directory, factory, builder.size)
        engine.dispose()
    print()
    print(f"targets met: {sum(met)} of {len(met)}; whole run {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
