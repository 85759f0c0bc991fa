"""Throughput with 1, 2 and 4 servers on PostgreSQL (and 1 on SQLite), and how fast an order holds.

Run ``python bench/scale.py`` (``--quick`` for a smoke run). Everything is real and on this
machine: a throwaway PostgreSQL cluster (initdb/pg_ctl, tests/support/postgres.py), ``garante
serve`` processes (started as the tests start them, tests/support/servers.py), and nginx on
loopback in front of them (tests/support/nginx.py), each configuration on its own copy of the
replayed November 2025 store, its clock unpinned.

For each configuration, in one run (each throughput figure after ``WARM_UP_SECONDS`` of the
same load, untimed, so that it is the servers' steady state):

1. release requests/s: ``--clients`` keep-alive connections POST /api/v1/releases through nginx
   for ``--seconds`` (``bench/rawhttp.py``: one thread; an httpx client in threads took 0.4 of
   the box's 2 cores from the servers); every request is a write transaction (a decision and its
   audit entry). On PostgreSQL releases decide under the policy lock held shared and serialise
   only to append (the sequencer, ``store.database``); on SQLite every write holds the one
   writer lock. What grows with processes is the work around the serial part (HTTP, JSON,
   authentication, reading the state and deciding). Requests queued in one server share a
   transaction (group commit, ``service.batch``); before PostgreSQL x1, the same load runs once
   on a server with it off (``GARANTE_RELEASE_BATCH=1``), the baseline it is measured against;
2. TAXII pages/s: the same connections GET the first page (50 objects) of a partner's
   collection, already delivered, so plain lock-free reads;
3. order latency: while (1)'s load runs, an authority issues a ``hold`` order covering one
   partner; as soon as the issuing request returns (the order has committed), every server is
   probed directly with a release request the order covers. The latency is how long until
   every server has answered ``held``; a probe sent after the commit that came back
   ``released`` is a violation and is counted. The order is lifted and the round repeated.

Before them, the SQL statements a release costs, counted by SQLite itself (each row of a bulk
insert counts) in one process on a copy of the SQLite store under the same requests: one
transaction per release, and with group commit (requests queued together are decided and
stored as one bulk, ``service.bulk``).

Under each throughput figure, where the box's cores went while it was measured: all of them
(/proc/stat), and per group of this bench's processes (/proc/<pid>/stat): the ``garante
serve`` processes, PostgreSQL's, nginx's, and this client's; processes of the same names that
are not this bench's (on a shared machine, other people's servers) are left out. When the box
is already busy on all its cores with one server, more servers cannot add throughput, only
share it.

Targets (issues 9 and 19), each printed on its own ``target: ...; result: ... (met|MISSED)``
line: release requests/s over HTTP with one server on SQLite >= 1,000/s (``--clients``, 8 by
default; the server runs ``--workers`` processes, one per core by default); on PostgreSQL, 2
servers >= 1.5x one server's releases/s, same run; an order holds everywhere within 100 ms p99
of its commit, with zero releases after it. ``--sqlite-only``
runs the SQLite configuration alone (no PostgreSQL cluster; the PostgreSQL target is then not
measured). Nothing is asserted; ``--check`` turns a violation (never a timing) into exit status
1. The client shares the machine's two cores with the servers and PostgreSQL, so the
figures are for this whole box, not one server; the servers' CPU per release (ms of a core)
is printed beside, as the figure a busy shared box moves least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rawhttp import drive, request_bytes
from sqlalchemy import event

from garante.client import GaranteClient, Scope
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.taxii.app import collection_id
from garante.taxii.media import TAXII_JSON
from tests.support import nginx
from tests.support.postgres import Cluster
from tests.support.servers import running_server
from tests.support.stores import Store

PARTNERS = ("dea", "nca", "fbi")
TARGET_SQLITE_RELEASES = 1_000  # releases/s, one server on SQLite (issue 19)
TARGET_TWO_VS_ONE = 1.5  # PostgreSQL, 2 servers' releases/s over one's (issue 19)
TARGET_ORDER_P99_MS = 100.0  # an order holds everywhere within this of its commit (issue 9)
WARM_UP_SECONDS = 1.0  # the same load, untimed, before each throughput figure
PROBED = "nca"  # the partner each latency round's order covers
ITEM = "co-2025-0417"
AUTHORITY = "presidency"


@dataclass
class Template:
    store: Store
    tokens: dict[str, str]


def prepare(store: Store) -> Template:
    """Replay the scenario into ``store``, unpin its clock, and make the tokens the load uses."""
    store.replay_demo(timeout=300)
    with store.service("bench") as garante:
        garante.pin_clock(None)
        tokens = {a: garante.create_token(role="partner", agency_id=a)[1] for a in PARTNERS}
        tokens["analyst"] = garante.create_token(role="analyst", agency_id="dipol")[1]
        tokens["authority"] = garante.create_token(role="authority", authority_id=AUTHORITY)[1]
    return Template(store=store, tokens=tokens)


@contextmanager
def deployment(
    store: Store, servers: int, extra: tuple[str, ...] = ()
) -> Iterator[tuple[str, list[str]]]:
    with ExitStack() as stack:
        running = [stack.enter_context(running_server(store, extra=extra)) for _ in range(servers)]
        urls = [s.url for s in running]
        front = stack.enter_context(nginx.running_nginx(urls))
        yield front, urls


_TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = {"garante": "servers", "postgres": "postgresql", "nginx": "nginx"}


ROOTS: list[int] = []
"""Processes whose descendants are this bench's: itself (its servers and nginx) and the
PostgreSQL cluster's postmaster. Other processes of the same names on a shared machine (other
people's servers and clusters) are not counted."""


def _process_ticks() -> dict[str, int]:
    """CPU ticks (user + system) so far of this bench's processes, grouped as GROUPS names
    them: those descended from ROOTS."""
    totals = dict.fromkeys([*GROUPS.values(), "bench client"], 0)
    seen: dict[int, tuple[int, str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        seen[int(entry.name)] = (int(fields[1]), comm, ticks)  # ppid is field 4
    roots = {os.getpid(), *ROOTS}
    for pid, (ppid, comm, ticks) in seen.items():
        if pid == os.getpid():
            totals["bench client"] += ticks
            continue
        if comm not in GROUPS:
            continue
        ancestor, hops = ppid, 0
        while ancestor not in roots and ancestor in seen and hops < 64:
            ancestor, hops = seen[ancestor][0], hops + 1
        if ancestor in roots or pid in roots:
            totals[GROUPS[comm]] += ticks
    return totals


@dataclass
class CpuUse:
    """Where the box's cores went during a measurement, in cores (1.0 = one core busy)."""

    busy: float
    by_group: dict[str, float]

    def describe(self) -> str:
        parts = ", ".join(f"{name} {cores:.2f}" for name, cores in self.by_group.items())
        return f"cores busy {self.busy:.2f} of {os.cpu_count()} ({parts})"

    def per_call(self, calls_per_second: float) -> str:
        """The servers' CPU per call, in ms of one core: what a call costs them, however busy
        the rest of the box is."""
        if calls_per_second <= 0:
            return "servers' CPU per call: n/a"
        return f"servers' CPU {self.by_group['servers'] / calls_per_second * 1000:.2f} ms per call"


def _busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


@contextmanager
def cpu_use() -> Iterator[list[CpuUse]]:
    """Measure CPU use over the block; the result is appended to the yielded list."""
    result: list[CpuUse] = []
    before, busy_before, started = _process_ticks(), _busy_ticks(), time.monotonic()
    yield result
    after, busy_after = _process_ticks(), _busy_ticks()
    elapsed = time.monotonic() - started
    cores = os.cpu_count() or 1
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]) * cores
    groups = {name: (after[name] - before[name]) / _TICKS / elapsed for name in after}
    result.append(CpuUse(busy=busy, by_group=groups))


def rate(seconds: float, clients: int, front: str, payloads: list[bytes], expect: int) -> float:
    """Answers of status ``expect`` per second, ``clients`` keep-alive connections sending
    ``payloads`` in turn for ``seconds`` (``bench/rawhttp.py``: one thread, little CPU, so the
    servers get the cores)."""
    address = urlsplit(front)
    assert address.hostname is not None and address.port is not None
    driven = asyncio.run(
        drive(
            address.hostname,
            address.port,
            payloads,
            concurrency=clients,
            seconds=seconds,
            expect=expect,
        )
    )
    return driven.succeeded / driven.seconds


def warm_up(clients: int, front: str, payloads: list[bytes], expect: int) -> None:
    """The load a measurement is about to time, for ``WARM_UP_SECONDS``, untimed.

    A figure is the servers' steady state: a fresh server's first requests also pay for what
    it does once (its pooled connections, nginx's connections to it, the caches of the state
    it decides on), which a 2-second quick run would otherwise count in its window.
    """
    rate(WARM_UP_SECONDS, clients, front, payloads, expect)


def release_requests(front: str, token: str) -> list[bytes]:
    """A release request to each partner, in turn, as the analyst: each one a write."""
    return [
        request_bytes(
            "POST",
            f"{front}/api/v1/releases",
            [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")],
            json.dumps({"item": ITEM, "recipient": partner, "purpose": "seizure"}).encode(),
        )
        for partner in PARTNERS
    ]


def first_pages(front: str, tokens: dict[str, str]) -> list[bytes]:
    """The first TAXII page (50 objects) of each partner's collection, as that partner."""
    return [
        request_bytes(
            "GET",
            f"{front}/taxii2/api/collections/{collection_id(partner)}/objects/?limit=50",
            [("Authorization", f"Bearer {tokens[partner]}"), ("Accept", TAXII_JSON)],
        )
        for partner in PARTNERS
    ]


def releases(front: str, token: str) -> Callable[[httpx.Client], bool]:
    counter = iter(range(10**9))

    def call(http: httpx.Client) -> bool:
        partner = PARTNERS[next(counter) % len(PARTNERS)]
        response = http.post(
            f"{front}/api/v1/releases",
            headers={"Authorization": f"Bearer {token}"},
            json={"item": ITEM, "recipient": partner, "purpose": "seizure"},
        )
        return response.status_code == 201

    return call


@dataclass
class Latency:
    samples: list[float]
    violations: int


def order_latency(
    front: str, servers: list[str], tokens: dict[str, str], rounds: int, load_seconds: float
) -> Latency:
    """Issue/lift rounds under release load; per round, ms until every server holds."""
    key = demo_key(AUTHORITY)
    samples: list[float] = []
    violations = 0
    stop = threading.Event()
    load = releases(front, tokens["analyst"])

    def background() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                load(http)

    loaders = [threading.Thread(target=background) for _ in range(4)]
    for thread in loaders:
        thread.start()
    probes = [httpx.Client(timeout=30) for _ in servers]
    try:
        with (
            GaranteClient(front, tokens["authority"]) as authority,
            ThreadPoolExecutor(len(servers)) as pool,
        ):
            for number in range(rounds):
                issued = authority.issue_order(
                    "hold", reason=f"scale {number}", scope=Scope(agencies=[PROBED]), key=key
                )
                committed = time.perf_counter()

                def probe(n: int, committed: float = committed) -> tuple[float, int]:
                    bad = 0
                    while True:
                        response = probes[n].post(
                            f"{servers[n]}/api/v1/releases",
                            headers={"Authorization": f"Bearer {tokens['analyst']}"},
                            json={"item": ITEM, "recipient": PROBED, "purpose": "seizure"},
                        )
                        outcome = response.json().get("outcome")
                        if outcome == "held":
                            return time.perf_counter() - committed, bad
                        bad += 1

                answers = list(pool.map(probe, range(len(servers))))
                samples.append(max(a for a, _ in answers) * 1000)
                violations += sum(b for _, b in answers)
                authority.lift_order(issued.order.id, reason="scale round", key=key)
                time.sleep(load_seconds / rounds)
    finally:
        stop.set()
        for thread in loaders:
            thread.join()
        for client in probes:
            client.close()
    return Latency(samples=samples, violations=violations)


def one_transaction_each(
    template: Template, directory: Path, cluster: Cluster, seconds: float, clients: int
) -> float:
    """The baseline: releases/s with one server whose group commit is off (batches of 1)."""
    directory.mkdir()
    store = template.store.copy(directory, lambda: cluster)
    store.env["GARANTE_RELEASE_BATCH"] = "1"
    with deployment(store, 1) as (front, _urls):
        load = release_requests(front, template.tokens["analyst"])
        warm_up(clients, front, load, 201)
        with cpu_use() as cpu:
            writes = rate(seconds, clients, front, load, 201)
    print(
        f"{'postgresql':<10} 1 server(s): {writes:8.1f} releases/s, one transaction per release "
        f"(GARANTE_RELEASE_BATCH=1, the baseline)\n{'':<10}   releases: {cpu[0].describe()}; "
        f"{cpu[0].per_call(writes)}",
        flush=True,
    )
    return writes


def statements_per_release(template: Template, directory: Path, clients: int) -> None:
    """SQL statements per release, counted in this process on a copy of the SQLite store by
    SQLite itself (its trace callback: statements sent through SQLAlchemy and past it alike):
    ``clients`` threads making the HTTP load's requests through the service, one transaction
    each (batches of 1) and with group commit."""
    figures = []
    for limit in ("1", None):
        copy_dir = directory / f"statements-{limit or 'group'}"
        copy_dir.mkdir(parents=True)
        store = template.store.copy(copy_dir)
        if limit is not None:
            store.env["GARANTE_RELEASE_BATCH"] = limit
        figures.append(_statements(store, clients, per_thread=40))
    print(
        f"statements SQLite ran per release (each row of a bulk insert counts; {clients} threads "
        f"in one process, the requests below): {figures[0]:.1f} one transaction each, "
        f"{figures[1]:.1f} with group commit",
        flush=True,
    )


def _statements(store: Store, clients: int, *, per_thread: int) -> float:
    with store.service("bench") as garante:
        analyst = garante.acting_as(
            Principal(token_id="bench", role=Role.ANALYST, agency_id="dipol")
        )
        counted = [0]

        def count(statement: str) -> None:
            # Every statement SQLite runs, those sent past SQLAlchemy (``driver_rows``) too,
            # each row of an executemany as one; transaction control is not counted. (Counted
            # through SQLAlchemy's events, the driver's reads went unseen: 0.1 a release.)
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                counted[0] += 1

        def traced(connection: Any, _record: object) -> None:
            connection.set_trace_callback(count)

        def work(n: int) -> None:
            for i in range(per_thread):
                partner = PARTNERS[(n + i) % len(PARTNERS)]
                analyst.request_release(ITEM, recipient=partner, purpose="seizure")

        garante.engine.dispose()  # connections made from here on are traced
        event.listen(garante.engine, "connect", traced)
        try:
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(work, range(clients)))
        finally:
            event.remove(garante.engine, "connect", traced)
    return counted[0] / (clients * per_thread)


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--seconds", type=float, help="seconds per throughput measurement")
    parser.add_argument("--clients", type=int, default=8, help="client connections")
    parser.add_argument("--rounds", type=int, help="order latency rounds per configuration")
    parser.add_argument("--check", action="store_true", help="exit 1 on any violation")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="one server on SQLite only, no PostgreSQL"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes of the SQLite server (garante serve --workers; default: one "
        "per core)",
    )
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    rounds = args.rounds or (5 if args.quick else 40)
    configurations = [("sqlite", 1)]
    if not args.sqlite_only:
        configurations += [("postgresql", 1), ("postgresql", 2), ("postgresql", 4)]

    root = Path(tempfile.mkdtemp(prefix="garante-scale-"))
    cluster = Cluster(max_connections=300)
    results: list[tuple[str, int, float, float, Latency]] = []
    baseline = 0.0
    try:
        sqlite_template = prepare(Store.sqlite(root / "template.db"))
        statements_per_release(sqlite_template, root, args.clients)
        pg_template = sqlite_template
        if not args.sqlite_only:
            cluster.start()
            ROOTS.append(cluster.postmaster_pid())
            (root / "pg").mkdir()
            pg_template = prepare(Store.postgresql(cluster, root / "pg"))
        for number, (backend, servers) in enumerate(configurations):
            directory = root / f"run-{number}"
            directory.mkdir()
            template = sqlite_template if backend == "sqlite" else pg_template
            if (backend, servers) == ("postgresql", 1):
                baseline = one_transaction_each(
                    template, root / "baseline", cluster, seconds, args.clients
                )
            store = template.store.copy(directory, lambda: cluster)
            extra = ("--workers", str(args.workers)) if backend == "sqlite" else ()
            with deployment(store, servers, extra) as (front, urls):
                load = release_requests(front, template.tokens["analyst"])
                warm_up(args.clients, front, load, 201)
                with cpu_use() as write_cpu:
                    writes = rate(seconds, args.clients, front, load, 201)
                pages = first_pages(front, template.tokens)
                warm_up(args.clients, front, pages, 200)
                with cpu_use() as read_cpu:
                    reads = rate(seconds, args.clients, front, pages, 200)
                latency = order_latency(front, urls, template.tokens, rounds, seconds)
            results.append((backend, servers, writes, reads, latency))
            print(
                f"{backend:<10} {servers} server(s)"
                f"{f' x {args.workers} workers' if backend == 'sqlite' else ''}: "
                f"{writes:8.1f} releases/s "
                f"{reads:8.1f} TAXII pages/s  order holds everywhere in "
                f"p50 {statistics.median(latency.samples):6.1f} ms, "
                f"p99 {p99(latency.samples):6.1f} ms, violations {latency.violations}\n"
                f"{'':<10}   releases: {write_cpu[0].describe()}; "
                f"{write_cpu[0].per_call(writes)}\n"
                f"{'':<10}   pages:    {read_cpu[0].describe()}; {read_cpu[0].per_call(reads)}",
                flush=True,
            )
    finally:
        if args.sqlite_only:
            shutil.rmtree(cluster.root, ignore_errors=True)
        else:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, {args.clients} clients")
    checks: list[tuple[str, str, bool]] = []
    sqlite_writes = next(w for backend, _, w, _, _ in results if backend == "sqlite")
    checks.append(
        (
            f"release requests/s over HTTP, one server on SQLite, {args.clients} clients "
            f">= {TARGET_SQLITE_RELEASES:,}/s",
            f"{sqlite_writes:,.1f}/s",
            sqlite_writes >= TARGET_SQLITE_RELEASES,
        )
    )
    pg = {servers: (w, r) for backend, servers, w, r, _ in results if backend == "postgresql"}
    if pg:
        base_w, base_r = pg[1]
        print(
            f"postgresql x1, group commit vs one transaction per release: "
            f"releases {base_w / baseline:4.2f}x"
        )
        for servers in (2, 4):
            w, r = pg[servers]
            print(
                f"postgresql x{servers} vs x1: releases {w / base_w:4.2f}x, "
                f"TAXII pages {r / base_r:4.2f}x"
            )
        two = pg[2][0] / base_w
        checks.append(
            (
                f"release requests/s on PostgreSQL, 2 servers >= {TARGET_TWO_VS_ONE:g}x one "
                f"server's, same run",
                f"{two:.2f}x ({pg[2][0]:,.1f}/s vs {base_w:,.1f}/s)",
                two >= TARGET_TWO_VS_ONE,
            )
        )
    worst = max(p99(latency.samples) for *_, latency in results)
    violations = sum(latency.violations for *_, latency in results)
    checks.append(
        (
            f"an order holds everywhere within {TARGET_ORDER_P99_MS:g} ms p99 of its commit, "
            f"worst configuration, zero releases after it",
            f"p99 {worst:.1f} ms, {violations} releases after commit",
            worst < TARGET_ORDER_P99_MS and violations == 0,
        )
    )
    print()
    for target, measured, met in checks:
        print(f"target: {target}; result: {measured} ({'met' if met else 'MISSED'})")
    if not pg:
        print(
            f"target: release requests/s on PostgreSQL, 2 servers >= {TARGET_TWO_VS_ONE:g}x one "
            f"server's; not measured (--sqlite-only)"
        )
    return 1 if args.check and violations else 0


if __name__ == "__main__":
    sys.exit(main())
