"""What-if simulation over a year of stored requests: ``simulate_order`` and ``simulate_lift``.

Run ``python bench/simulate.py`` (``--quick`` for a smoke run CI can afford; ``--profile`` to
see where the time goes). One process, one core, a SQLite store in a fresh temporary directory
that is deleted at the end.

The store is an operator's after some years, built through the service (``Garante``) on a
clock that moves forward: 6 authorities, 12 conditions, ~500 agencies in 60 countries, ~2,000
items (each a copy of the demo's ``co-2025-0417`` STIX bundle with a fresh bundle id), 5,000
use undertakings recorded (and some revoked) on the dates they were signed, and a few hundred
orders issued on the dates they took effect (mostly narrow, some while a condition holds, some
exempting from others), lifted on the dates they ended. Only the 10^6 ``release_requests``
rows are written in bulk: stdlib ``sqlite3`` ``executemany``, 100,000 rows per transaction,
through the store's own engine (WAL, foreign keys on, the schema's indexes; no ANALYZE, as
in a store the service made). They spread over the year before the
snapshot; nine in ten go abroad, one country (US) receives a fifth of them, and half name an
item of one category (drug-trafficking). Their ``outcome`` and ``decided_at`` are drawn to look
plausible (lethal-force mostly denied, some releases decided hours after a hold), not decided:
the simulator re-decides stored requests from scratch and never reads those columns.

Timed in the same run, each on a fresh read session exactly as the service runs it:

1. ``simulate_order`` of a draft ``require`` order (prohibits lethal-force, protection of
   life) on country US, over the whole year;
2. ``simulate_order`` of a broad draft ``hold`` on category drug-trafficking, over the year;
3. ``simulate_lift`` of the order in force whose scope covers the most stored requests;
4. baselines: streaming all the year's rows ``(id, item_id, recipient_id, purpose,
   requested_at, category)`` out of SQLite with the simulator's join and order, without
   deciding: once with stdlib ``sqlite3`` (SQLite alone) and once with the simulator's own
   SQLAlchemy statement through ``Session.execute``, as the simulator runs it (SQLite plus
   SQLAlchemy's rows and datetime parsing). An untimed pass over the same rows comes first.

For each simulation the table also splits the wall time: loading the policy snapshot (the
same ``queries.policy_state`` call, timed apart), streaming that simulation's own rows (its
statement run alone), and the rest (deciding each distinct (item, recipient, purpose) twice,
and tallying); and gives this process's CPU time, which stays honest when other work shares
the machine (the load average is printed). Requests/s counts every stored request in the
period, as the target does.

Target: a draft order simulated over 10^6 stored requests in under 30 s, i.e. at least 33,333
requests/s. ``--quick`` (10^4 requests; 100 agencies, 150 items, 300 undertakings, 50 orders,
so that the whole run stays under 15 s) checks the same rate, which there says little: the
snapshot load, a fixed cost, weighs more. No timing is asserted: ``--check`` only turns a missed
target into exit status 1. ``--keep DIR`` keeps the store for a closer look.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, and_, select
from world import (
    AUTHORITIES,
    CONDITIONS,
    FOCUS_CATEGORY,
    FOCUS_COUNTRY,
    NOW,
    PURPOSE_WEIGHTS,
    ItemSpec,
    OrderSpec,
    Size,
    UndertakingSpec,
    World,
    build_world,
)

import garante
from garante import records
from garante.domain.order import Effect, Requirement, Scope
from garante.domain.parties import Agency
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store import queries
from garante.store.requests import _in_scope
from garante.store.schema import AgencyRow, ItemRow, RequestRow

TARGET_SECONDS = 30.0
TARGET_REQUESTS = 1_000_000
TARGET_PER_SECOND = TARGET_REQUESTS / TARGET_SECONDS
SEED = 20251117
CHUNK = 100_000  # rows per executemany, one transaction each
BUNDLE = Path(garante.__file__).parent / "scenarios" / "bundles" / "co-2025-0417.json"

YEAR = timedelta(days=365)
PERIOD_START = NOW - YEAR
ITEMS_ADDED = NOW - timedelta(days=400)  # the items predate the year of requests
FOUNDED = NOW - timedelta(days=5 * 365)  # agencies, authorities and conditions
# Stored outcomes, drawn rather than decided: (released, held, denied).
OUTCOMES = ("released", "held", "denied")
OUTCOME_WEIGHTS = (70, 12, 18)
LETHAL_OUTCOME_WEIGHTS = (5, 15, 80)


@dataclass(frozen=True, kw_only=True)
class Plan:
    requests: int
    world: Size


FULL = Plan(
    requests=1_000_000, world=Size(agencies=500, items=2_000, undertakings=5_000, orders=300)
)
QUICK = Plan(requests=10_000, world=Size(agencies=100, items=150, undertakings=300, orders=50))


# -- the store: everything but the requests through the service -------------------------------


class Registrar:
    """Each step of building the store, as the service's callers take it."""

    def __init__(self, garante_: Garante) -> None:
        self.garante = garante_
        self.bundle: dict[str, Any] = json.loads(BUNDLE.read_text())

    def authority(self, authority: str) -> None:
        self.garante.register_authority(authority, name=authority)

    def condition(self, condition: str, active: bool) -> None:
        self.garante.define_condition(
            condition, description=condition.replace("-", " "), active=active, evidence="bench"
        )

    def agency(self, a: Agency) -> None:
        self.garante.register_agency(
            a.id,
            name=a.name,
            country=a.country,
            domestic=a.domestic,
            requires_undertaking=a.requires_undertaking,
        )

    def item(self, i: ItemSpec, number: int) -> None:
        # The demo's bundle with a fresh bundle id, so no two items share one.
        content = {**self.bundle, "id": f"bundle--{uuid.UUID(int=number + 1, version=4)}"}
        self.garante.add_item(
            i.id,
            title=f"report {i.id}",
            category=i.category,
            region=i.region,
            tlp=i.tlp,
            originator=i.originator,
            bundle=content,
            releasable_to=list(i.releasable_to),
        )

    def undertaking(self, u: UndertakingSpec) -> None:
        terms = self.garante.draft_undertaking(
            u.agency,
            undertaking_id=u.id,
            permits=list(u.permits),
            prohibits=list(u.prohibits),
            protections=list(u.protections),
            categories=list(u.categories),
            valid_from=u.valid_from,
            valid_until=u.valid_until,
        )
        self.garante.record_undertaking(terms, signature=None)

    def revoke(self, u: UndertakingSpec) -> None:
        self.garante.revoke_undertaking(u.id, reason="breach of a clause")

    def order(self, o: OrderSpec) -> None:
        order = self.garante.draft_order(
            authority_id=o.authority,
            effect=o.effect.value,
            scope=o.scope,
            order_id=o.id,
            requires=o.requires,
            exempts=list(o.exempts),
            valid_from=o.valid_from,
            valid_until=o.valid_until,
            while_condition=o.while_condition,
            reason=f"instruction {o.id} of {o.authority}",
        ).order
        self.garante.issue_order(order, signature=None)

    def lift(self, o: OrderSpec) -> None:
        self.garante.lift_order(
            o.id, authority_id=o.authority, reason="no longer needed", signature=None
        )


def populate(garante_: Garante, clock: FixedClock, world: World) -> None:
    """Register the world through the service, each step at its own time on a forward clock."""
    steps = Registrar(garante_)
    events: list[tuple[datetime, Callable[[], None]]] = []
    events += [(FOUNDED, partial(steps.authority, a)) for a in AUTHORITIES]
    events += [(FOUNDED, partial(steps.condition, c, on)) for c, on in CONDITIONS.items()]
    events += [(FOUNDED, partial(steps.agency, a)) for a in world.agencies]
    events += [(ITEMS_ADDED, partial(steps.item, i, n)) for n, i in enumerate(world.items)]
    for u in world.undertakings:
        events.append((u.recorded_at, partial(steps.undertaking, u)))
        if u.revoked_at is not None:
            events.append((u.revoked_at, partial(steps.revoke, u)))
    for o in world.orders:
        events.append((o.issued_at, partial(steps.order, o)))
        if o.lifted_at is not None:
            events.append((o.lifted_at, partial(steps.lift, o)))
    # A stable sort: what happens at the same instant happens in the order listed.
    for when, step in sorted(events, key=lambda e: e[0]):
        if when > clock.now():
            clock.set(when)
        step()
    clock.set(NOW)


# -- the requests, in bulk ------------------------------------------------------------------


def stored_time(at: datetime) -> str:
    """How the store keeps an instant on SQLite (checked against SQLAlchemy in ``insert``)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@dataclass(kw_only=True)
class Inserted:
    rows: int = 0
    seconds: float = 0.0
    by_country: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


def insert_requests(engine: Engine, world: World, count: int, seed: int) -> Inserted:
    """``count`` release_requests rows over the year before NOW, ``CHUNK`` per transaction."""
    column = RequestRow.__table__.c.requested_at.type
    processor = column.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    sample = NOW - timedelta(days=100, seconds=7)
    if processor is None or processor(sample) != stored_time(sample):
        raise SystemExit("bench bug: stored_time() no longer matches the store's datetime format")
    rng = random.Random(seed + 1)
    agencies = world.agencies
    country = [a.country for a in agencies]
    recipients = range(len(agencies))
    items = [i.id for i in world.items]
    category = [i.category for i in world.items]
    domestic = [a.id for a in agencies if a.domestic]
    analysts = [f"analyst:{a}" for a in domestic]
    signed: dict[str, list[str]] = {}
    for u in world.undertakings:
        signed.setdefault(u.agency, []).append(u.id)
    purposes = list(PURPOSE_WEIGHTS)
    purpose_weights = list(PURPOSE_WEIGHTS.values())
    seconds = int(YEAR.total_seconds())
    offsets = sorted(rng.randrange(seconds) for _ in range(count))
    base = PERIOD_START.replace(tzinfo=None)
    done = Inserted()
    started = time.perf_counter()
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for first in range(0, count, CHUNK):
            n = min(CHUNK, count - first)
            who = rng.choices(recipients, weights=world.recipient_weights, k=n)
            what = rng.choices(range(len(items)), weights=world.item_weights, k=n)
            why = rng.choices(purposes, weights=purpose_weights, k=n)
            usual = rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS, k=n)
            lethal = rng.choices(OUTCOMES, weights=LETHAL_OUTCOME_WEIGHTS, k=n)
            rows = []
            for k in range(n):
                request_id = first + k + 1
                agency = agencies[who[k]]
                item = what[k]
                purpose = why[k]
                outcome = lethal[k] if purpose == "lethal-force" else usual[k]
                requested = base + timedelta(seconds=offsets[first + k])
                decided = requested
                undertaking = None
                if outcome == "released":
                    if rng.random() < 0.1:  # held first, released when the queue moved
                        decided = requested + timedelta(seconds=rng.randrange(600, 3 * 86_400))
                    held_by = signed.get(agency.id)
                    if held_by:
                        undertaking = held_by[request_id % len(held_by)]
                rows.append(
                    (
                        request_id,
                        items[item],
                        agency.id,
                        purpose,
                        analysts[request_id % len(analysts)],
                        requested.isoformat(sep=" ", timespec="microseconds"),
                        outcome,
                        undertaking,
                        decided.isoformat(sep=" ", timespec="microseconds"),
                    )
                )
                done.by_country[country[who[k]]] += 1
                done.by_category[category[item]] += 1
                done.outcomes[outcome] += 1
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(
                "INSERT INTO release_requests (id, item_id, recipient_id, purpose, requested_by,"
                " requested_at, outcome, undertaking_id, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            cursor.execute("COMMIT")
            done.rows += n
        cursor.close()
    finally:
        connection.close()
    done.seconds = time.perf_counter() - started
    return done


# -- measurements -----------------------------------------------------------------------------


# The simulator's rows: id, item_id, recipient_id, purpose, requested_at, category.
RowsQuery = Select[int, str, str, str, datetime, str]


def rows_statement(start: datetime, end: datetime, scopes: Sequence[Scope]) -> RowsQuery:
    """The simulator's own statement (``store.requests.in_scopes``), for the streaming baselines."""
    query = (
        select(
            RequestRow.id,
            RequestRow.item_id,
            RequestRow.recipient_id,
            RequestRow.purpose,
            RequestRow.requested_at,
            ItemRow.category,
        )
        .join(ItemRow, ItemRow.id == RequestRow.item_id)
        .join(AgencyRow, AgencyRow.id == RequestRow.recipient_id)
        .where(and_(RequestRow.requested_at >= start, RequestRow.requested_at < end))
        .order_by(RequestRow.id)
    )
    condition = _in_scope(list(scopes))
    if condition is not None:
        query = query.where(condition)
    return query


RAW_ROWS = (
    "SELECT r.id, r.item_id, r.recipient_id, r.purpose, r.requested_at, i.category"
    " FROM release_requests AS r"
    " JOIN items AS i ON i.id = r.item_id"
    " JOIN agencies AS a ON a.id = r.recipient_id"
    " WHERE r.requested_at >= ? AND r.requested_at < ?"
    " ORDER BY r.id"
)


@dataclass(frozen=True, kw_only=True)
class Stream:
    label: str
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


def stream_raw(engine: Engine, start: datetime, end: datetime) -> Stream:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        began = time.perf_counter()
        rows = 0
        for _ in cursor.execute(RAW_ROWS, (stored_time(start), stored_time(end))):
            rows += 1
        seconds = time.perf_counter() - began
        cursor.execute("COMMIT")
        cursor.close()
    finally:
        connection.close()
    return Stream(label="stdlib sqlite3, same join", rows=rows, seconds=seconds)


def stream_statement(garante_: Garante, statement: RowsQuery) -> tuple[int, float]:
    with garante_.sessions() as session:
        began = time.perf_counter()
        rows = 0
        for _ in session.execute(statement):
            rows += 1
        return rows, time.perf_counter() - began


def load_state(garante_: Garante) -> float:
    with garante_.sessions() as session:
        began = time.perf_counter()
        queries.policy_state(session, NOW)
        return time.perf_counter() - began


@dataclass(frozen=True, kw_only=True)
class Result:
    label: str
    scope: str
    requests: int
    in_scope: int
    distinct: int
    changed: int
    seconds: float
    cpu_seconds: float
    load_seconds: float
    stream_seconds: float
    before: dict[str, int]
    after: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True, kw_only=True)
class Case:
    label: str
    scope: Scope
    run: Callable[[], records.Simulation]


def measure(garante_: Garante, case: Case, repeat: int) -> Result:
    report: records.Simulation | None = None
    best = cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        began_cpu = time.process_time()
        report = case.run()
        cpu = min(cpu, time.process_time() - began_cpu)
        best = min(best, time.perf_counter() - began)
    assert report is not None
    load = min(load_state(garante_) for _ in range(repeat))
    rows, stream = stream_statement(garante_, rows_statement(PERIOD_START, NOW, [case.scope]))
    if rows != report.in_scope:
        raise SystemExit(f"bench bug: {case.label}: {rows} rows streamed, {report.in_scope}")
    return Result(
        label=case.label,
        scope=case.scope.describe(),
        requests=report.requests,
        in_scope=report.in_scope,
        distinct=report.distinct_decisions,
        changed=report.changed,
        seconds=best,
        cpu_seconds=cpu,
        load_seconds=load,
        stream_seconds=stream,
        before=report.before,
        after=report.after,
    )


def widest_in_force(garante_: Garante, world: World, seed: int) -> tuple[str, Scope]:
    """The order in force at NOW (not an exemption) whose scope covers most requests."""
    with garante_.sessions() as session:
        state = queries.policy_state(session, NOW)
    rng = random.Random(seed + 2)
    agencies = rng.choices(world.agencies, weights=world.recipient_weights, k=20_000)
    items = rng.choices(world.items, weights=world.item_weights, k=20_000)
    best: tuple[int, str, Scope] | None = None
    for order in state.orders:
        if not order.in_window(NOW) or order.effect == Effect.EXEMPT:
            continue
        covered = sum(
            order.scope.matches(
                agency=a.id, country=a.country, category=i.category, region=i.region
            )
            for a, i in zip(agencies, items, strict=True)
        )
        if best is None or covered > best[0]:
            best = (covered, order.id, order.scope)
    if best is None:
        raise SystemExit("bench bug: no order is in force at the snapshot")
    return best[1], best[2]


def cases(garante_: Garante, world: World, seed: int) -> list[Case]:
    country = Scope(countries=frozenset([FOCUS_COUNTRY]))
    require = garante_.draft_order(
        authority_id="presidency",
        effect=Effect.REQUIRE.value,
        scope=country,
        requires=Requirement(
            prohibits=frozenset(["lethal-force"]), protections=frozenset(["protection-of-life"])
        ),
        reason="draft: no lethal use of anything shared with US agencies",
    ).order
    category = Scope(categories=frozenset([FOCUS_CATEGORY]))
    hold = garante_.draft_order(
        authority_id="court-1",
        effect=Effect.HOLD.value,
        scope=category,
        reason=f"draft: hold every {FOCUS_CATEGORY} release pending review",
    ).order
    lift_id, lift_scope = widest_in_force(garante_, world, seed)
    return [
        Case(
            label=f"draft require, {FOCUS_COUNTRY}",
            scope=country,
            run=lambda: garante_.simulate_order(require, start=PERIOD_START, end=NOW),
        ),
        Case(
            label="draft hold, category",
            scope=category,
            run=lambda: garante_.simulate_order(hold, start=PERIOD_START, end=NOW),
        ),
        Case(
            label=f"lift {lift_id}",
            scope=lift_scope,
            run=lambda: garante_.simulate_lift(lift_id, start=PERIOD_START, end=NOW),
        ),
    ]


def report(results: Sequence[Result], baselines: Sequence[Stream]) -> bool:
    """Print the tables and the verdict; whether the target was met."""
    print(
        f"{'simulation':<22} {'in scope':>9} {'share':>6} {'distinct':>8} {'changed':>8}  "
        f"{'wall s':>7} {'cpu s':>6} {'requests/s':>11}  {'load s':>6} {'stream s':>8} "
        f"{'rest s':>7}"
    )
    for r in results:
        rest = r.seconds - r.load_seconds - r.stream_seconds
        print(
            f"{r.label:<22} {r.in_scope:>9,} {r.in_scope / r.requests:>6.1%} {r.distinct:>8,} "
            f"{r.changed:>8,}  {r.seconds:>7.2f} {r.cpu_seconds:>6.2f} {r.per_second:>11,.0f}  "
            f"{r.load_seconds:>6.2f} {r.stream_seconds:>8.2f} {rest:>7.2f}"
        )
    print()
    for r in results:
        print(f"  {r.label}: scope {r.scope}; before {r.before}; after {r.after}")
    print()
    print(f"{'baseline: stream the year, no deciding':<40} {'rows':>9}  {'s':>7} {'rows/s':>11}")
    for b in baselines:
        print(f"  {b.label:<38} {b.rows:>9,}  {b.seconds:>7.2f} {b.per_second:>11,.0f}")
    print()
    print("requests/s: every stored request in the period over the wall time of the whole")
    print("simulate call (cpu s: this process's CPU time in it; far below wall s means the")
    print("machine was busy); share: requests in the order's scope, the only ones decided;")
    print("distinct: (item, recipient, purpose) decided once per side; load: the policy snapshot")
    print("alone; stream: the simulation's own statement run alone (SQLAlchemy, no deciding);")
    print("rest: the remainder, deciding and tallying (wall s - load s - stream s).")
    print()
    worst = max(r.seconds * TARGET_REQUESTS / r.requests for r in results)
    slowest = min(r.per_second for r in results)
    met = slowest >= TARGET_PER_SECOND
    print(
        f"target: a draft order over {TARGET_REQUESTS:,} stored requests in under "
        f"{TARGET_SECONDS:.0f} s (>= {TARGET_PER_SECOND:,.0f} requests/s)"
    )
    print(
        f"result: slowest {slowest:,.0f} requests/s, {worst:.1f} s per {TARGET_REQUESTS:,} "
        f"({'met' if met else 'MISSED'})"
    )
    if any(r.requests != TARGET_REQUESTS for r in results):
        print(
            f"(pro rata: only a run over {TARGET_REQUESTS:,} stored requests tests the target; "
            "the share decided once per distinct triple differs)"
        )
    by_cpu = min(r.requests / r.cpu_seconds for r in results)
    if by_cpu >= 1.2 * slowest:
        print(
            f"(on this process's CPU time alone the slowest is {by_cpu:,.0f} requests/s: "
            f"the machine was busy with other work)"
        )
    return met


def profile(case: Case) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(case.run)
    print(f"\nprofile of {case.label}, by own time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(18)
    print(f"profile of {case.label}, by cumulative time:")
    stats.sort_stats("cumulative").print_stats(18)


@contextmanager
def store_directory(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="garante-simulate-") as directory:
        yield Path(directory)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What-if simulation over stored requests.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK.requests:,} requests and a smaller world, for CI",
    )
    parser.add_argument("--requests", type=int, help="stored requests (overrides --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated store")
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each simulation this many times, keep the best"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the broad draft's simulation"
    )
    parser.add_argument(
        "--keep", type=Path, help="build the store in this (new) directory and keep it"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when the target is missed"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.requests is not None:
        plan = Plan(**{**plan.__dict__, "requests": args.requests})
    if plan.requests < 1 or args.repeat < 1:
        parser.error("--requests and --repeat must be at least 1")

    began = time.perf_counter()
    world = build_world(args.seed, plan.world)
    with store_directory(args.keep) as directory:
        db = directory / "garante.db"
        if db.exists():
            parser.error(f"{db} exists; --keep wants a new directory")
        clock = FixedClock(FOUNDED)
        garante_ = Garante.open(str(db), clock=clock, actor="bench")
        try:
            populate(garante_, clock, world)
            built = time.perf_counter() - began
            inserted = insert_requests(garante_.engine, world, plan.requests, args.seed)
            size = db.stat().st_size + sum(p.stat().st_size for p in directory.glob("garante.db-*"))
            in_force = sum(
                1 for o in garante_.orders(include_lifted=False) if o.valid_from <= NOW.isoformat()
            )
            print(
                f"garante simulate: {plan.requests:,} stored release requests over the year to "
                f"{NOW:%Y-%m-%d}; snapshot at {NOW:%Y-%m-%d %H:%M} UTC"
            )
            print(
                f"through the service ({built:.1f} s): {len(world.agencies)} agencies in "
                f"{len({a.country for a in world.agencies})} countries, {len(world.items):,} "
                f"items, {len(world.undertakings):,} undertakings, {len(world.orders)} orders "
                f"({in_force} not lifted), {len(CONDITIONS)} conditions, "
                f"{garante_.ledger_size():,} audit entries"
            )
            top = ", ".join(
                f"{c} {n / inserted.rows:.0%}" for c, n in inserted.by_country.most_common(4)
            )
            outcomes = ", ".join(
                f"{k} {v / inserted.rows:.0%}" for k, v in inserted.outcomes.items()
            )
            print(
                f"bulk-inserted, and nothing else: {inserted.rows:,} release_requests rows with "
                f"executemany, {CHUNK:,} per transaction, in {inserted.seconds:.1f} s "
                f"({inserted.rows / inserted.seconds:,.0f} rows/s); store {size / 1e6:,.0f} MB"
            )
            print(
                f"requests by country: {top}; {FOCUS_CATEGORY} "
                f"{inserted.by_category[FOCUS_CATEGORY] / inserted.rows:.0%}; stored outcomes "
                f"(drawn, not decided): {outcomes}"
            )
            print(
                f"Python {platform.python_version()} ({platform.python_implementation()}) "
                f"on {platform.machine()}, SQLite {sqlite3.sqlite_version}, seed {args.seed}; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            print()
            # Untimed warm-up: the file is in the OS cache from the inserts; this reads it once.
            stream_raw(garante_.engine, PERIOD_START, NOW)
            raw = stream_raw(garante_.engine, PERIOD_START, NOW)
            rows, seconds = stream_statement(garante_, rows_statement(PERIOD_START, NOW, []))
            orm = Stream(label="SQLAlchemy, simulator's statement", rows=rows, seconds=seconds)
            if raw.rows != inserted.rows or orm.rows != inserted.rows:
                raise SystemExit(f"bench bug: streamed {raw.rows:,} and {orm.rows:,} rows")
            todo = cases(garante_, world, args.seed)
            results = [measure(garante_, case, args.repeat) for case in todo]
            if any(r.requests != inserted.rows for r in results):
                raise SystemExit("bench bug: the simulator does not count every stored request")
            met = report(results, [raw, orm])
            if args.profile:
                profile(todo[1])
        finally:
            garante_.close()
    print(f"(the whole run took {time.perf_counter() - began:.1f} s)")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
