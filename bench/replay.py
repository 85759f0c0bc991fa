"""``garante audit replay`` over a log of 10^6 entries written through the service.

Run ``python bench/replay.py`` (``--quick`` for a smoke run CI can afford; ``--profile`` to see
where the time goes). One process, one core, a SQLite store in a fresh temporary directory that
is deleted at the end.

The log is an operator's: the world of ``bench/simulate.py`` (agencies in 60 countries, items,
undertakings, a few hundred orders over the years, conditions) registered through the service
on a forward clock, then release requests through the service in bulk: many per write
transaction (``releases.request_release`` in one ``Context.writes``, as group commit runs them),
each recorded and decided with its two entries, the clock moving a minute per transaction.
Every 50 transactions an authority issues a hold on one partner, lifted 25 transactions later,
so the log also holds the withholdings and re-availabilities those bring, and the re-decisions
of the requests they held. It stops once the log has the entries asked for.

Timed in the same run, over the same entries read from the store (untimed), in one process:

1. the baseline: ``check_log``, the plain full verification ``bench/ledger.py`` measures
   (RFC 8785 re-check, RFC 9162 leaf hashes, the tree against the signed checkpoint);
2. ``replay_log``: the same verification and the replay (``garante.replay``) in one pass:
   parsing each entry, rebuilding the state, verifying signatures, checking entitlement and
   re-deciding every decision, withholding, availability and delivery with ``policy.decide``.

Target: a full replay of 10^6 entries in under 60 s on one core, i.e. at least 16,667
entries per second of the process's CPU time (the wall time is printed beside it). ``--quick``
(10^4 entries, a smaller world) checks the same rate. No timing is asserted: ``--check`` only
turns a missed target into exit status 1.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from simulate import FOUNDED, FULL, QUICK, populate
from world import NOW, PURPOSE_WEIGHTS, World, build_world

from garante.domain.order import Effect, Scope
from garante.ledger.logcheck import StoredEntry, check_log
from garante.ledger.note import VerifierKey
from garante.replay.run import replay_log
from garante.service import releases
from garante.service.app import Garante
from garante.service.audit import stored_entries
from garante.service.clock import FixedClock

TARGET_SECONDS = 60.0
TARGET_ENTRIES = 1_000_000
TARGET_PER_SECOND = TARGET_ENTRIES / TARGET_SECONDS
SEED = 20251203


@dataclass(frozen=True)
class Cadence:
    per_transaction: int  # release requests per write transaction
    order_every: int  # transactions between one hold and the next
    order_lasts: int  # transactions a hold stays before it is lifted


FULL_CADENCE = Cadence(per_transaction=1_000, order_every=50, order_lasts=25)
QUICK_CADENCE = Cadence(per_transaction=250, order_every=4, order_lasts=2)


@dataclass(frozen=True)
class Built:
    entries: int
    requests: int
    orders: int
    seconds: float


def write_log(
    garante_: Garante, clock: FixedClock, world: World, size: int, seed: int, cadence: Cadence
) -> Built:
    """Release requests through the service, many per transaction, until the log has ``size``
    entries; a hold issued and lifted now and then."""
    rng = random.Random(seed)
    items = [i.id for i in world.items]
    partners = [a.id for a in world.agencies if not a.domestic]
    recipients = [a.id for a in world.agencies]
    purposes, weights = zip(*PURPOSE_WEIGHTS.items(), strict=True)
    began = time.perf_counter()
    requests = orders = transactions = 0
    holding: list[tuple[int, str]] = []
    clock.set(NOW)
    while garante_.ledger_size() < size:
        transactions += 1
        clock.set(clock.now() + timedelta(minutes=1))
        if transactions % cadence.order_every == 0:
            order_id = f"bench-hold-{transactions}"
            draft = garante_.draft_order(
                authority_id="presidency",
                effect=Effect.HOLD.value,
                scope=Scope(agencies=frozenset({rng.choice(partners)})),
                order_id=order_id,
                reason="bench: a partner held for a while",
            )
            garante_.issue_order(draft.order, signature=None)
            holding.append((transactions + cadence.order_lasts, order_id))
            orders += 1
        while holding and holding[0][0] <= transactions:
            _, order_id = holding.pop(0)
            garante_.lift_order(
                order_id, authority_id="presidency", reason="bench: lifted", signature=None
            )
        with garante_.context.writes("bench") as tx:
            for _ in range(cadence.per_transaction):
                releases.request_release(
                    tx,
                    item_id=rng.choice(items),
                    recipient_id=rng.choice(recipients),
                    purpose=rng.choices(purposes, weights)[0],
                )
        requests += cadence.per_transaction
    garante_.publish_checkpoint()
    return Built(
        entries=garante_.ledger_size(),
        requests=requests,
        orders=orders,
        seconds=time.perf_counter() - began,
    )


@dataclass(frozen=True)
class Timed:
    label: str
    seconds: float
    cpu: float


def timed(label: str, run: Callable[[], object]) -> Timed:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timed(label=label, seconds=time.perf_counter() - wall, cpu=time.process_time() - cpu)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="garante audit replay over a large log.")
    parser.add_argument("--quick", action="store_true", help="10^4 entries, for CI")
    parser.add_argument("--entries", type=int, help="log size (overrides --quick)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--profile", action="store_true", help="also profile the replay")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when the target is missed"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    cadence = QUICK_CADENCE if args.quick else FULL_CADENCE
    size = args.entries or (10_000 if args.quick else TARGET_ENTRIES)
    world = build_world(args.seed, plan.world)
    with tempfile.TemporaryDirectory(prefix="garante-replay-") as directory:
        db = Path(directory) / "garante.db"
        clock = FixedClock(FOUNDED)
        garante_ = Garante.open(str(db), clock=clock, actor="bench")
        try:
            began = time.perf_counter()
            populate(garante_, clock, world)
            populated = time.perf_counter() - began
            built = write_log(garante_, clock, world, size, args.seed, cadence)
            key = VerifierKey.parse(garante_.log_verifier_key())
            notes = [c.note for c in garante_.checkpoints()]
            with garante_.context.reads() as read:
                entries: list[StoredEntry] = [
                    StoredEntry(index=e.index, entry=e.entry) for e in stored_entries(read.session)
                ]
        finally:
            garante_.close()
    print(
        f"garante audit replay: a log of {len(entries):,} entries written through the service "
        f"({len(world.agencies)} agencies, {len(world.items):,} items, "
        f"{len(world.undertakings):,} undertakings, {len(world.orders)} orders registered in "
        f"{populated:.1f} s; then {built.requests:,} release requests, {cadence.per_transaction:,} "
        f"per transaction, and {built.orders} holds issued and lifted, in {built.seconds:.1f} s)"
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()}, SQLite "
        f"{sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print()
    baseline = timed("check_log (verification alone)", lambda: check_log(entries, notes, key))
    result = None

    def run() -> None:
        nonlocal result
        result = replay_log(entries, notes, key)

    replay = timed("replay_log (verification + replay)", run)
    assert result is not None
    if not result.ok:
        problems = [str(f) for f in result.log.findings] + [
            str(d) for d in result.replay.disagreements
        ]
        raise SystemExit(f"bench bug: the log does not replay: {problems[:3]}")
    report = result.replay
    n = len(entries)
    print(f"{'':38} {'seconds':>8} {'cpu s':>8} {'entries/s':>11} {'decisions/s':>12}")
    for row, decisions in ((baseline, None), (replay, report.decisions_rederived)):
        per_decision = f"{decisions / row.seconds:>12,.0f}" if decisions else f"{'':>12}"
        print(
            f"{row.label:38} {row.seconds:>8.2f} {row.cpu:>8.2f} {n / row.seconds:>11,.0f} "
            f"{per_decision}"
        )
    print(
        f"replayed: {report.decisions_rederived:,} decisions re-derived, "
        f"{report.signatures_verified:,} signatures verified, {report.acts_checked:,} acts "
        f"checked; 0 disagreements; replay at {baseline.seconds / replay.seconds:.2f}x the "
        "verification's rate"
    )
    # One core's work is the process's CPU time: the wall time also counts whatever else the
    # machine runs, which the load average above shows.
    rate = n / max(replay.cpu, 1e-9)
    projected = TARGET_ENTRIES / rate
    met = rate >= TARGET_PER_SECOND
    print(
        f"  target: a full replay of {TARGET_ENTRIES:,} entries in under {TARGET_SECONDS:.0f} s "
        f"of one core (>= {TARGET_PER_SECOND:,.0f} entries per CPU second): {rate:,.0f}/s, "
        f"{projected:.1f} s for {TARGET_ENTRIES:,} -> {'met' if met else 'MISSED'}"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(replay_log, entries, notes, key)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
