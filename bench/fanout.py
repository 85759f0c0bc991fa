"""Fan-out: items added while standing agreements are in force, each release decided, stored
and logged, on SQLite and on PostgreSQL.

Run ``python bench/fanout.py`` (``--quick`` for a smoke run CI can afford; ``--sqlite-only``
without PostgreSQL; ``--profile`` to see where the time goes). Each store is built through the
service (``Garante``): three originating agencies (``o100``, ``o1000``, ``o10000``) and up to
10,000 partner agencies, each with a use undertaking for seizure and one standing agreement for
seizure up to TLP:AMBER whose originators say how wide its tier is: partner ``i`` takes items of
``o10000``, and of ``o1000`` when ``i`` < 1,000, and of ``o100`` when ``i`` < 100. So an item of
``o100`` fans out to 100 partners, of ``o1000`` to 1,000, of ``o10000`` to 10,000.

Measured, one after another on the same store:

1. one item to 100, 1,000 and 10,000 partners: ``add_item`` end to end (the bundle validated,
   the item stored, every agreement's request decided, the releases put in the partners' feeds,
   three log entries per release, one commit), as a running hub fans out to partners that have
   had items before: each in a process of its own that opens the store, settles its heap as
   ``garante serve`` does, adds a first item to the same partners (untimed: it reads the
   agreements and what support objects the feeds hold, once per process; its time is printed
   beside, without a target), then the item, and reports its time and its peak resident
   memory (``VmHWM``); three such items per width, the median of their times printed (with
   the slowest and the fastest), and the highest of their peaks;
2. 10,000 items to 100 partners (10^6 decisions; ``--quick``: 50 items), one ``add_item`` after
   another in one process, its heap settled as ``garante serve`` does;
3. 10 more items to 100 partners on SQLite, the pages of write-ahead log they wrote counted, in
   all and by table or index (``wal_pages``): not a timing, the same on every machine.

Figures: release decisions committed and logged per second (requests started / wall time).
Beside each, in the same run, the plain-insert baseline: the very rows the fan-out wrote
(its ``release_requests``, ``decisions``, ``feed_releases``, ``feed_objects``,
``ledger_entries`` and the ``ledger_subtrees`` its entries completed), read back and inserted
again with the driver's own ``executemany`` (stdlib ``sqlite3``; psycopg) into an empty copy of
the schema, one transaction per table set, no SQLAlchemy: what storing them costs before any
deciding, marking, hashing or ORM.

Targets (SQLite, one core): at least 5,000 decisions committed and logged per second at 1,000
and at 10,000 partners and over the 10,000 items; at least a fifth of the plain-insert rate of
the same rows; one item to 1,000 partners in under 1 s end to end; a fan-out to 10,000 partners
under 200 MB resident at its peak. PostgreSQL's figures are printed beside them. No timing is
asserted: ``--check`` only turns a missed target into exit status 1.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from garante.heap import settle_heap
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.sqlite_checkpointer import checkpointer
from tests.support.postgres import Cluster, available
from tests.support.scenario import own_bundle

AT = datetime(2025, 11, 11, 9, tzinfo=UTC)
TIERS = (100, 1_000, 10_000)
QUICK_TIERS = (100, 1_000)
ITEMS = 10_000
QUICK_ITEMS = 50
# Each one-item figure is the median of this many items, each in a process of its own: one
# timing of a fifth of a second moved by half between runs on a shared 2-core box.
ONE_ITEM_RUNS = 3
WAL_ITEMS = 10  # items whose write-ahead log pages are counted (``wal_pages``)
TARGET_RATE = 5_000.0  # decisions committed and logged per second, SQLite, one core
TARGET_SHARE = 0.2  # of the plain-insert rate of the same rows
TARGET_ONE_TO_1000 = 1.0  # seconds, one item to 1,000 partners, end to end
TARGET_PEAK_MB = 200.0  # resident, a fan-out to 10,000 partners
TABLES = (
    "release_requests",
    "decisions",
    "feed_releases",
    "feed_objects",
    "ledger_entries",
    "ledger_subtrees",
)


@dataclass(frozen=True)
class Figure:
    """One measured fan-out: what it did, how long it took, and the plain inserts beside it."""

    store: str
    what: str
    decisions: int
    seconds: float
    plain_seconds: float
    peak_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds

    @property
    def plain_rate(self) -> float:
        return self.decisions / self.plain_seconds


# -- the store ---------------------------------------------------------------------------------


def partner(index: int) -> str:
    return f"p{index:05d}"


def build(url: str, partners: int) -> None:
    """Originators, partners, their undertakings and agreements, through the service."""
    garante = Garante.open(url, clock=FixedClock(AT), actor="bench")
    try:
        for tier in TIERS:
            garante.register_agency(
                f"o{tier}", name=f"Originator {tier}", country="CO", domestic=True
            )
        garante.register_agency(
            "o0", name="Originator of no agreement", country="CO", domestic=True
        )
        for index in range(partners):
            agency = partner(index)
            garante.register_agency(agency, name=f"Partner {index}", country="US")
            terms = garante.draft_undertaking(agency, permits=["seizure"])
            garante.record_undertaking(terms, signature=None)
            originators = [f"o{tier}" for tier in TIERS if index < tier]
            agreement = garante.draft_agreement(
                agency, purposes=["seizure"], tlp_ceiling="amber", originators=originators
            )
            garante.make_agreement(agreement)
    finally:
        garante.close()


def add_item(garante: Garante, item_id: str, originator: str) -> int:
    """Add one item of ``originator``; the number of requests its fan-out started."""
    change = garante.add_item(
        item_id,
        title=f"Lead {item_id}",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator=originator,
        bundle=own_bundle(item_id),
    )
    return len(change.started)


# -- the plain-insert baseline -------------------------------------------------------------------


def marks(url: str) -> dict[str, int]:
    """Where each table ends now, to read back what a fan-out adds after it."""
    queries = {
        "release_requests": "SELECT coalesce(max(id), 0) FROM release_requests",
        "decisions": "SELECT coalesce(max(id), 0) FROM decisions",
        "feed_objects": "SELECT coalesce(max(seq), 0) FROM feed_objects",
        "ledger_entries": "SELECT count(*) FROM ledger_entries",
    }
    engine = create_engine(_url(url))
    try:
        with engine.connect() as connection:
            return {name: int(connection.scalar(text(sql)) or 0) for name, sql in queries.items()}
    finally:
        engine.dispose()


def written_since(
    url: str, before: dict[str, int]
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The rows each table gained since ``before``: (columns, rows), as the driver returns them."""
    size = before["ledger_entries"]
    where = {
        "release_requests": f"id > {before['release_requests']}",
        "decisions": f"id > {before['decisions']}",
        "feed_releases": f"request_id > {before['release_requests']}",
        "feed_objects": f"seq > {before['feed_objects']}",
        "ledger_entries": f"idx >= {size}",
        # The subtrees the new entries completed: their last leaf is a new one.
        "ledger_subtrees": f"(idx + 1) * (CAST(1 AS BIGINT) << CAST(level AS INTEGER)) - 1 "
        f">= {size}",
    }
    found: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    engine = create_engine(_url(url))
    try:
        with engine.connect() as connection:
            for table in TABLES:
                result = connection.exec_driver_sql(f"SELECT * FROM {table} WHERE {where[table]}")
                found[table] = (list(result.keys()), [tuple(row) for row in result])
    finally:
        engine.dispose()
    return found


def plain_insert(empty_url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    """Insert ``rows`` with the driver's executemany into an empty copy of the schema, in one
    transaction, and drop them again; the seconds the inserts and the commit took."""
    if empty_url.startswith("sqlite"):
        connection: Any = sqlite3.connect(empty_url.removeprefix("sqlite:///"))
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        mark = "?"
    else:
        import psycopg
        from psycopg.types.json import Json

        rows = {  # JSON columns come back as Python values; the driver sends them as JSON
            table: (
                columns,
                [
                    tuple(Json(v) if isinstance(v, dict | list) else v for v in row)
                    for row in values
                ],
            )
            for table, (columns, values) in rows.items()
        }
        connection = psycopg.connect(empty_url.replace("postgresql+psycopg", "postgresql"))
        connection.execute("SET session_replication_role = replica")  # no foreign keys here
        connection.commit()
        mark = "%s"
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        if mark == "?":
            cursor.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            columns, values = rows[table]
            if values:
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(mark for _ in columns)})",
                    values,
                )
        connection.commit()
        seconds = time.perf_counter() - started
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")
        connection.commit()
        return seconds
    finally:
        connection.close()


def _url(url: str) -> str:
    return url if "://" in url else f"sqlite:///{url}"


# -- one item in a process of its own ------------------------------------------------------------


def child(url: str, item_id: str, originator: str, profile: bool) -> None:
    """Open the store, add two items of ``originator``, print the second's time, the first's,
    where the tables ended between them (``marks``) and the peak resident memory as JSON.

    The second is timed as a running hub's fan-out: partners have had items before, and the
    process has fanned out to them. First, untimed, what such a server has done: its heap
    settled as ``garante serve`` settles it at startup (``settle_heap``), and the first item,
    which reads the agreements (once per change), asks the store which support objects the
    partners' feeds hold (once per process and partner: ``bulk._KnownSupport``), and fills the
    caches a process keeps. Its time is reported too (no target): what a restarted server pays
    once per partner, and, before the settled heap, a full pass of the garbage collector over
    the 164,000 objects the imports made (100 to 170 ms, of a fan-out to 1,000 partners that
    takes about 0.2 s without it)."""
    garante = Garante.open(url, clock=FixedClock(AT), actor="bench")
    settle_heap()
    try:
        started = time.perf_counter()
        add_item(garante, f"first-{item_id}", originator)
        first = time.perf_counter() - started
        before = marks(url)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        started_requests = add_item(garante, item_id, originator)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    finally:
        garante.close()
    print(
        json.dumps(
            {
                "decisions": started_requests,
                "seconds": seconds,
                "first_seconds": first,
                "before": before,
                "peak_mb": peak_resident_mb(),
            }
        )
    )


def peak_resident_mb() -> float:
    """This process's own peak resident memory, in MB.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries it across ``exec`` from the process that
    spawned this one (the high-water mark of the memory it shared until then), so a child of
    this bench, whose parent has built 10,000 partners and read back every row a fan-out wrote,
    reported the parent's peak, 233 MB, for a fan-out whose own was 176 MB. ``VmHWM`` is the
    peak of this process's memory map alone, made new at ``exec``."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    # Not Linux: the nearest figure there is (bytes on macOS, kB elsewhere).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def one_item(
    url: str, env: dict[str, str], item_id: str, originator: str, profile: bool
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", url, item_id, originator]
    if profile:
        command.append("--profile")
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, **env}
    )
    if done.returncode != 0:
        raise SystemExit(f"the fan-out of {item_id} failed:\n{done.stderr}")
    if profile:
        print(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- what a fan-out writes to SQLite's write-ahead log -------------------------------------------


@dataclass(frozen=True)
class WalPages:
    """Pages of write-ahead log per item, in all and by the table or index each page is of."""

    items: int
    per_item: float
    by_btree: list[tuple[str, float]]


def wal_pages(url: str, items: int) -> WalPages | None:
    """Add ``items`` items to 100 partners after emptying the write-ahead log, then read which
    pages the log holds (each frame names its page: https://sqlite.org/fileformat.html, "The
    WAL File Format") and whose b-tree each is (SQLite's ``dbstat`` table).

    What a fan-out costs SQLite is mostly pages written, not rows or statements: every index
    led by the partner gets a page per partner rewritten. Unlike a timing, the count is the
    same on every machine, so a change to what a fan-out writes shows here first. None where
    the log could not be emptied first (a reader held it).
    """
    database = url.removeprefix("sqlite:///")
    garante = Garante.open(url, clock=FixedClock(AT), actor="bench")
    watcher = sqlite3.connect(database)
    try:
        add_item(garante, "wal-warm", "o100")
        # The store's checkpointer would copy the log and let the next commit start it again
        # over the frames being counted; held, the log keeps every frame (10 items are far
        # from the autocheckpoint's 10,000 pages).
        with checkpointer(database).held():
            [(busy, _, _)] = watcher.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            if busy:
                return None
            for n in range(items):
                add_item(garante, f"wal-{n:03d}", "o100")
            pages = _wal_frames(Path(database + "-wal").read_bytes())
        watcher.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        try:
            owner = dict(watcher.execute("SELECT pageno, name FROM dbstat").fetchall())
        except sqlite3.OperationalError:  # a SQLite built without the dbstat table
            owner = {}
    finally:
        watcher.close()
        garante.close()
    counted = Counter(str(owner.get(page, "(unknown)")) for page in pages)
    by_btree = [(name, n / items) for name, n in counted.most_common()]
    return WalPages(items, len(pages) / items, by_btree)


def _wal_frames(wal: bytes) -> list[int]:
    """The page number of each valid frame of a write-ahead log file: its header is 32 bytes
    (the page size at 8, the salts at 16), each frame a 24-byte header (page number first,
    the salts at 8) and a page; a frame whose salts differ from the header's is left over
    from before the log was last reset, and ends the valid ones."""
    if len(wal) < 32:
        return []
    page_size = int.from_bytes(wal[8:12], "big")
    salts = wal[16:24]
    pages: list[int] = []
    offset = 32
    while offset + 24 + page_size <= len(wal) and wal[offset + 8 : offset + 16] == salts:
        pages.append(int.from_bytes(wal[offset : offset + 4], "big"))
        offset += 24 + page_size
    return pages


# -- a whole run on one store --------------------------------------------------------------------


def run_store(
    name: str,
    url: str,
    empty_url: str,
    env: dict[str, str],
    tiers: Sequence[int],
    items: int,
    profile: bool,
) -> list[Figure]:
    began = time.perf_counter()
    os.environ.update(env)
    build(url, max(tiers))
    print(
        f"{name}: built {max(tiers):,} partners with undertakings and agreements "
        f"in {time.perf_counter() - began:.0f} s",
        flush=True,
    )
    figures = []
    for tier in tiers:
        timed: list[float] = []
        baseline: list[float] = []
        peaks: list[float] = []
        firsts: list[float] = []
        for run in range(ONE_ITEM_RUNS):
            profiled = profile and tier == max(tiers) and run == 0
            measured = one_item(url, env, f"one-to-{tier}-{run}", f"o{tier}", profiled)
            if measured["decisions"] != tier:
                raise SystemExit(f"bench bug: {measured['decisions']} requests started, not {tier}")
            timed.append(measured["seconds"])
            firsts.append(measured["first_seconds"])
            peaks.append(measured["peak_mb"])
            baseline.append(plain_insert(empty_url, written_since(url, measured["before"])))
        figures.append(
            Figure(
                name,
                f"1 item to {tier:,} partners",
                tier,
                statistics.median(timed),
                statistics.median(baseline),
                max(peaks),
            )
        )
        print(
            f"  {figures[-1].what}: {figures[-1].rate:,.0f}/s (median of {len(timed)} items; "
            f"{tier / max(timed):,.0f} to {tier / min(timed):,.0f}/s); the first item in a new "
            f"process: {tier / statistics.median(firsts):,.0f}/s (no target)",
            flush=True,
        )
    before = marks(url)
    garante = Garante.open(url, clock=FixedClock(AT), actor="bench")
    settle_heap()
    try:
        started = time.perf_counter()
        decisions = sum(add_item(garante, f"many-{n:05d}", "o100") for n in range(items))
        seconds = time.perf_counter() - started
    finally:
        garante.close()
    plain = plain_insert(empty_url, written_since(url, before))
    figures.append(Figure(name, f"{items:,} items to 100 partners", decisions, seconds, plain))
    print(f"  {figures[-1].what}: {figures[-1].rate:,.0f}/s", flush=True)
    return figures


@contextmanager
def stores(directory: Path, postgres: bool) -> Iterator[list[tuple[str, str, str, dict[str, str]]]]:
    """(name, url, empty url, environment) of each store to measure."""
    sqlite_url = f"sqlite:///{directory / 'garante.db'}"
    empty = f"sqlite:///{directory / 'empty.db'}"
    Garante.open(empty, clock=FixedClock(AT), actor="bench").close()
    found: list[tuple[str, str, str, dict[str, str]]] = [("SQLite", sqlite_url, empty, {})]
    with ExitStack() as stack:
        if postgres:
            cluster = Cluster().start()
            stack.callback(cluster.stop)
            env = {"GARANTE_LOG_KEY_FILE": str(directory / "pg-log-key")}
            found.append(("PostgreSQL", cluster.new_database(), cluster.new_database(), env))
        yield found


def report(figures: list[Figure]) -> bool:
    print()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'store':<11} {'fan-out':<28} {'decisions':>9} {'seconds':>8} {'decided/s':>10} "
        f"{'plain/s':>10} {'share':>6} {'peak MB':>8}"
    )
    for f in figures:
        peak = f"{f.peak_mb:8.0f}" if f.peak_mb is not None else f"{'':>8}"
        print(
            f"{f.store:<11} {f.what:<28} {f.decisions:>9,} {f.seconds:>8.3f} {f.rate:>10,.0f} "
            f"{f.plain_rate:>10,.0f} {f.rate / f.plain_rate:>6.2f} {peak}"
        )
    sqlite = [f for f in figures if f.store == "SQLite" and f.decisions >= 1_000]
    checks: list[tuple[str, str, bool]] = []
    slowest = min(sqlite, key=lambda f: f.rate)
    checks.append(
        (
            f">= {TARGET_RATE:,.0f} decisions/s on SQLite at 1,000 partners and beyond",
            f"slowest {slowest.rate:,.0f}/s ({slowest.what})",
            slowest.rate >= TARGET_RATE,
        )
    )
    least = min(sqlite, key=lambda f: f.rate / f.plain_rate)
    checks.append(
        (
            f">= {TARGET_SHARE:.0%} of the plain-insert rate of the same rows",
            f"lowest {least.rate / least.plain_rate:.0%} ({least.what})",
            least.rate / least.plain_rate >= TARGET_SHARE,
        )
    )
    [thousand] = [f for f in sqlite if f.what == "1 item to 1,000 partners"]
    checks.append(
        (
            f"1 item to 1,000 partners in < {TARGET_ONE_TO_1000:.0f} s end to end",
            f"{thousand.seconds:.3f} s",
            thousand.seconds < TARGET_ONE_TO_1000,
        )
    )
    widest = max((f for f in figures if f.peak_mb is not None), key=lambda f: f.decisions)
    checks.append(
        (
            f"the widest fan-out (10,000 partners; --quick: 1,000) under {TARGET_PEAK_MB:.0f} MB "
            "resident",
            f"peak {widest.peak_mb:.0f} MB ({widest.store}, {widest.what})",
            (widest.peak_mb or 0) < TARGET_PEAK_MB,
        )
    )
    for target, measured, met in checks:
        print(f"target: {target}; result: {measured} ({'met' if met else 'MISSED'})")
    return all(met for _, _, met in checks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fan-out through standing agreements.")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 partners, 50 items")
    parser.add_argument("--items", type=int, help="items fanned out to 100 partners each")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    parser.add_argument("--profile", action="store_true", help="profile the widest fan-out")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "ITEM", "ORIGINATOR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        url, item_id, originator = args.child
        child(url, item_id, originator, args.profile)
        return 0
    tiers = QUICK_TIERS if args.quick else TIERS
    items = args.items if args.items is not None else QUICK_ITEMS if args.quick else ITEMS
    if items < 1:
        parser.error("--items must be at least 1")
    postgres = not args.sqlite_only and available()
    if not postgres and not args.sqlite_only:
        print("PostgreSQL is not installed: SQLite only (apt-get install postgresql)")
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory(prefix="garante-fanout-") as name,
        stores(Path(name), postgres) as found,
    ):
        wal: WalPages | None = None
        for store, url, empty, env in found:
            figures += run_store(store, url, empty, env, tiers, items, args.profile)
            if store == "SQLite":  # before PostgreSQL's run sets its log key in the environment
                wal = wal_pages(url, WAL_ITEMS)
    met = report(figures)
    if wal is None:
        print("write-ahead log per item: not measured (a reader held the log)")
    else:
        largest = ", ".join(f"{name} {n:,.0f}" for name, n in wal.by_btree[:6])
        print(
            f"SQLite write-ahead log per item to 100 partners ({wal.items} items): "
            f"{wal.per_item:,.0f} pages; largest: {largest}"
        )
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
