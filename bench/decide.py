"""Decisions per second: ``policy.decide`` against generated states of growing order count.

Run ``python bench/decide.py`` (``--quick`` for a smoke run CI can afford). One process, one
core. For each state (100, 1,000 and 10,000 orders; 10,000 undertakings; 500 agencies in 60
countries; 2,000 items) it times the same batch of release requests twice, after a warm-up:
once through ``decide`` and once through a trivial function that only looks up the item and the
agency and returns a constant decision. The trivial loop is the ceiling bare Python sets on this
machine, so the ratio between the two is the engine's own cost. The target is 100,000 decisions
a second or more at every size, and nearly the same at every size. With ``--repeat`` (5 with
``--quick``) each batch is timed that many times and the fastest kept, the three states taking
turns, so a slow stretch of a shared machine costs one round of each, not every round of one.

All the requests of a state are decided on one snapshot, as a batch is. ``decide`` keeps what
it works out about a snapshot (the orders in force for an agency and a kind of item, an
agency's undertakings for a purpose) for the snapshot's later requests, so the first request
of each kind pays for it: in the full run about one request in seven asks something new, and
that work is timed. With ``--quick`` the warm-up is the timed batch itself, so every answer is
already kept and the figure is the higher one; the full run is the one to quote.

The generated state is seeded and is the world ``bench/simulate.py`` stores (``bench/world.py``),
as policy values: mostly narrow orders (one partner, a few partners, or one country for one
category), some while a condition holds, most of them long expired or lifted; undertakings with
varied clauses, some expired or revoked. Orders are issued at a steady rate, so the larger
states are the same operator years later: about as many orders in force, a much longer history
behind them.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import platform
import pstats
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from world import CONDITIONS, NOW, ORDERS_PER_DAY, PURPOSE_WEIGHTS, Size, World, build_world
from world import build_orders as world_orders

from garante.domain import (
    Agency,
    Decision,
    Item,
    Order,
    Outcome,
    ReleaseRequest,
    Undertaking,
)
from garante.policy import PolicyState, decide

TARGET_PER_SECOND = 100_000
# "Nearly flat": the slowest size is at most this much slower than the fastest.
TARGET_FLATNESS = 1.5
ORDER_COUNTS = (100, 1_000, 10_000)
SIZE = Size(agencies=500, items=2_000, undertakings=10_000)
FULL_REQUESTS = 100_000
QUICK_REQUESTS = 2_000
QUICK_REPEAT = 5
WARM_UP = 2_000
SEED = 20251113
AT = NOW


@dataclass(frozen=True, kw_only=True)
class Base:
    """The world as policy values, without orders: shared by the three states so only the
    order count varies."""

    world: World
    agencies: tuple[Agency, ...]
    items: tuple[Item, ...]
    undertakings: tuple[Undertaking, ...]


@dataclass(frozen=True, kw_only=True)
class Result:
    orders: int
    seconds: float
    baseline_seconds: float
    requests: int
    outcomes: Counter[Outcome]
    in_force: int
    candidates: float
    setup_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def baseline_per_second(self) -> float:
        return self.requests / self.baseline_seconds


def build_base(seed: int) -> Base:
    world = build_world(seed, SIZE)
    rng = random.Random(seed - 1)
    return Base(
        world=world,
        # About one agency in a hundred has been deactivated.
        agencies=tuple(replace(a, active=rng.random() > 0.01) for a in world.agencies),
        items=tuple(
            Item(
                id=i.id,
                title=f"report {i.id}",
                category=i.category,
                region=i.region,
                tlp=i.tlp,
                originator=i.originator,
                releasable_to=frozenset(i.releasable_to),
                content_sha256=hashlib.sha256(i.id.encode()).hexdigest(),
            )
            for i in world.items
        ),
        undertakings=tuple(
            Undertaking(
                id=u.id,
                agency_id=u.agency,
                permits=frozenset(u.permits),
                prohibits=frozenset(u.prohibits),
                protections=frozenset(u.protections),
                categories=frozenset(u.categories),
                valid_from=u.valid_from,
                valid_until=u.valid_until,
                revoked_at=u.revoked_at,
                signed=True,
            )
            for u in world.undertakings
        ),
    )


def build_orders(base: Base, count: int, seed: int) -> list[Order]:
    """``count`` orders issued at a steady rate up to ``AT``, oldest first, some amended.

    The rate is fixed, so a larger state is an older one: the orders in force stay about as
    many (and the requests about as often blocked) while the history behind them grows.
    """
    rng = random.Random(seed + count)
    return [
        Order(
            id=o.id,
            authority_id=o.authority,
            effect=o.effect.value,
            scope=o.scope,
            valid_from=o.valid_from,
            valid_until=o.valid_until,
            while_condition=o.while_condition,
            exempts=frozenset(o.exempts),
            requires=o.requires,
            reason=f"instruction {o.id} of {o.authority}",
            version=rng.choices((1, 2, 3), (8, 2, 1))[0],
            lifted_at=o.lifted_at,
            sequence=sequence,
        )
        for sequence, o in enumerate(world_orders(rng, base.world, count), start=1)
    ]


def build_state(base: Base, orders: Sequence[Order]) -> PolicyState:
    return PolicyState.build(
        at=AT,
        version=len(orders),
        agencies=base.agencies,
        items=base.items,
        undertakings=base.undertakings,
        orders=orders,
        conditions=CONDITIONS,
    )


def build_requests(rng: random.Random, base: Base, count: int) -> list[ReleaseRequest]:
    """Requests spread over the recipients as the world weighs them: nine in ten go abroad."""
    purposes = list(PURPOSE_WEIGHTS)
    purpose_weights = list(PURPOSE_WEIGHTS.values())
    recipients = rng.choices(base.agencies, weights=base.world.recipient_weights, k=count)
    return [
        ReleaseRequest(
            id=number + 1,
            item_id=rng.choice(base.items).id,
            recipient_id=recipient.id,
            purpose=rng.choices(purposes, weights=purpose_weights)[0],
            requested_by="analyst",
            requested_at=AT,
        )
        for number, recipient in enumerate(recipients)
    ]


_CONSTANT = Decision(outcome=Outcome.RELEASED, rules=(), explanation="Released.")


def baseline(request: ReleaseRequest, state: PolicyState) -> Decision:
    """The ceiling: the loop with the two dictionary look-ups ``decide`` starts with, no policy."""
    item = state.items.get(request.item_id)
    agency = state.agencies.get(request.recipient_id)
    if item is None or agency is None:
        raise LookupError(request.item_id)
    return _CONSTANT


Decider = Callable[[ReleaseRequest, PolicyState], Decision]


def run(fn: Decider, requests: Sequence[ReleaseRequest], state: PolicyState) -> list[Outcome]:
    return [fn(request, state).outcome for request in requests]


def timed(
    fn: Decider, requests: Sequence[ReleaseRequest], states: Sequence[PolicyState], repeat: int
) -> list[tuple[float, list[Outcome]]]:
    """Seconds for the whole batch on each state (the fastest of ``repeat``), after a warm-up.

    The states take turns, one batch each per round: a slow stretch of a shared machine then
    slows one round of every state, not every round of one, and the spread between the
    states is the engine's, not the machine's.
    """
    for state in states:
        run(fn, requests[:WARM_UP], state)
    best = [float("inf")] * len(states)
    outcomes: list[list[Outcome]] = [[] for _ in states]
    for _ in range(repeat):
        for number, state in enumerate(states):
            gc.collect()
            start = time.perf_counter()
            outcomes[number] = run(fn, requests, state)
            best[number] = min(best[number], time.perf_counter() - start)
    return list(zip(best, outcomes, strict=True))


def candidates_per_request(requests: Sequence[ReleaseRequest], state: PolicyState) -> float:
    """How many orders the index hands ``decide`` to check, on average (untimed, sampled)."""
    sample = requests[:WARM_UP]
    total = 0
    for request in sample:
        agency = state.agencies[request.recipient_id]
        item = state.items[request.item_id]
        total += len(
            state.orders.candidates(
                agency=agency.id, country=agency.country, category=item.category, region=item.region
            )
        )
    return total / len(sample)


def measure(
    base: Base, requests: Sequence[ReleaseRequest], counts: Sequence[int], seed: int, repeat: int
) -> list[Result]:
    """Time ``decide`` and the baseline on a state of each order count, the states in turns."""
    built: list[tuple[PolicyState, float]] = []
    for count in counts:
        started = time.perf_counter()
        state = build_state(base, build_orders(base, count, seed))
        built.append((state, time.perf_counter() - started))
    states = [state for state, _ in built]
    decided = timed(decide, requests, states, repeat)
    baselines = timed(baseline, requests, states, repeat)
    return [
        Result(
            orders=count,
            in_force=sum(1 for order in state.orders if order.in_window(AT)),
            candidates=candidates_per_request(requests, state),
            seconds=seconds,
            baseline_seconds=baseline_seconds,
            requests=len(requests),
            outcomes=Counter(outcomes),
            setup_seconds=setup,
        )
        for count, (state, setup), (seconds, outcomes), (baseline_seconds, _) in zip(
            counts, built, decided, baselines, strict=True
        )
    ]


def report(results: Sequence[Result]) -> bool:
    """Print the table and the verdict; whether the target was met."""
    print(
        f"{'orders':>7} {'in force':>8} {'checked':>7}  {'decisions/s':>11} {'µs/decision':>11}  "
        f"{'baseline/s':>11} {'vs baseline':>11}  {'released':>8} {'held':>7} {'denied':>7}"
    )
    for r in results:
        print(
            f"{r.orders:>7,} {r.in_force:>8,} {r.candidates:>7.1f}  {r.per_second:>11,.0f} "
            f"{1e6 / r.per_second:>11.2f}  {r.baseline_per_second:>11,.0f} "
            f"{r.baseline_per_second / r.per_second:>10.1f}x  "
            f"{r.outcomes[Outcome.RELEASED]:>8,} {r.outcomes[Outcome.HELD]:>7,} "
            f"{r.outcomes[Outcome.DENIED]:>7,}"
        )
    slowest = min(r.per_second for r in results)
    spread = max(r.per_second for r in results) / slowest
    fast_enough = slowest >= TARGET_PER_SECOND
    flat = spread <= TARGET_FLATNESS
    print()
    print("in force: orders in their window at the snapshot time; checked: orders the index")
    print("hands decide per request (mean); vs baseline: how many times slower than the trivial")
    print("function that only looks up the item and the agency and returns a constant decision.")
    print()
    print(
        f"target: >= {TARGET_PER_SECOND:,} decisions/s at every size, nearly flat "
        f"(fastest/slowest <= {TARGET_FLATNESS})"
    )
    print(
        f"result: slowest {slowest:,.0f}/s ({'met' if fast_enough else 'MISSED'}); "
        f"fastest/slowest {spread:.2f} ({'met' if flat else 'MISSED'})"
    )
    return fast_enough and flat


def profile(base: Base, requests: Sequence[ReleaseRequest], count: int, seed: int) -> None:
    state = build_state(base, build_orders(base, count, seed))
    run(decide, requests[:WARM_UP], state)
    profiler = cProfile.Profile()
    profiler.runcall(run, decide, requests, state)
    print(f"\nprofile of decide with {count:,} orders, by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Decisions per second of garante.policy.decide.")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_REQUESTS:,} requests per state, for CI"
    )
    parser.add_argument("--requests", type=int, help="requests per state (overrides --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated state")
    parser.add_argument(
        "--repeat",
        type=int,
        help="time each batch this many times, keep the fastest (default 1; 5 with --quick, "
        "whose batches last milliseconds, so one scheduler hiccup would decide the figure)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile decide on the largest state"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when the target is missed"
    )
    args = parser.parse_args(argv)
    count: int = args.requests
    if count is None:
        count = QUICK_REQUESTS if args.quick else FULL_REQUESTS
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else 1
    if count < 1 or args.repeat < 1:
        parser.error("--requests and --repeat must be at least 1")

    started = time.perf_counter()
    base = build_base(args.seed)
    requests = build_requests(random.Random(args.seed + 1), base, count)
    setup = time.perf_counter() - started
    print(
        f"garante decide: {count:,} release requests per state, one process; "
        f"{len(base.agencies)} agencies in {len(base.world.by_country)} countries "
        f"({sum(a.domestic for a in base.agencies)} domestic), {len(base.items):,} items, "
        f"{len(base.undertakings):,} undertakings"
    )
    spans = ", ".join(f"{n / ORDERS_PER_DAY / 365:.1f}" for n in ORDER_COUNTS)
    print(
        f"orders issued at {ORDERS_PER_DAY:g} a day, so the states hold {spans} years of them; "
        f"snapshot at {AT:%Y-%m-%d}"
    )
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.machine()}, seed {args.seed}"
    )
    print()
    results = measure(base, requests, ORDER_COUNTS, args.seed, args.repeat)
    met = report(results)
    setup += sum(r.setup_seconds for r in results)
    print(f"(generating the states and requests took {setup:.1f} s, not timed above)")
    if args.profile:
        profile(base, requests, ORDER_COUNTS[-1], args.seed)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
