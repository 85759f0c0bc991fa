"""Decisions per second: ``policy.decide`` against generated states of growing order count.

Run ``python bench/decide.py`` (``--quick`` for a smoke run CI can afford). One process, one
core. For each state (100, 1,000 and 10,000 orders; 10,000 undertakings; 500 agencies in 60
countries; 2,000 items) it times the same batch of release requests twice, after a warm-up:
once through ``decide`` and once through a trivial function that only looks up the item and the
agency and returns a constant decision. The trivial loop is the ceiling bare Python sets on this
machine, so the ratio between the two is the engine's own cost. The target is 50,000 decisions
a second or more at every size, and nearly the same at every size.

The generated state is seeded and meant to look like an operator's: mostly narrow orders (one
partner, a few partners, or one country for one category), some while a condition holds, most
of them long expired or lifted; undertakings with varied clauses, some expired or revoked.
Orders are issued at a steady rate, so the larger states are the same operator years later:
about as many orders in force, a much longer history behind them.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import platform
import pstats
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from garante.domain import (
    Agency,
    Decision,
    Effect,
    Item,
    Order,
    Outcome,
    ReleaseRequest,
    Requirement,
    Scope,
    Tlp,
    Undertaking,
)
from garante.domain.vocabulary import (
    DEFAULT_CATEGORIES,
    DEFAULT_PROTECTIONS,
    DEFAULT_PURPOSES,
    DEFAULT_REGIONS,
)
from garante.policy import PolicyState, decide

TARGET_PER_SECOND = 50_000
# "Nearly flat": the slowest size is at most this much slower than the fastest.
TARGET_FLATNESS = 1.5
ORDER_COUNTS = (100, 1_000, 10_000)
UNDERTAKING_COUNT = 10_000
AGENCY_COUNT = 500
ITEM_COUNT = 2_000
FULL_REQUESTS = 100_000
QUICK_REQUESTS = 2_000
WARM_UP = 2_000
SEED = 20251113
ORDERS_PER_DAY = 3.0

AT = datetime(2025, 11, 15, 12, 0, tzinfo=UTC)
DOMESTIC_COUNTRY = "CO"
# The operator's country first, then partners: the first ones get more agencies and more orders.
_COUNTRY_CODES = (
    "CO US ES GB FR DE NL IT PA EC PE BR MX CA AU PT BE CH VE CL "
    "AR BO PY UY CR GT HN SV NI DO JM TT BS BZ GY SR HT CU MA NG "
    "GH SN ZA TR IL AE JP KR IN PH ID TH SG NZ PL SE NO DK IE AT"
)
COUNTRIES = tuple(_COUNTRY_CODES.split())
AGENCY_KINDS = (
    "police",
    "customs",
    "navy",
    "coastguard",
    "fiu",
    "prosecutor",
    "intel",
    "antinarcotics",
    "border",
    "gendarmerie",
)
AUTHORITIES = ("presidency", "mininterior", "mindefense", "minjustice", "fiscalia", "court-1")
# Conditions and whether each is active at AT.
CONDITIONS = {
    "caribbean-vessel-strikes": True,
    "pacific-vessel-strikes": False,
    "election-period": False,
    "border-closure-ve": True,
    "extradition-dispute-us": False,
    "data-breach-investigation": True,
    "cartel-retaliation-alert": False,
    "hurricane-response": False,
    "court-injunction-7": True,
    "treaty-review": False,
    "ceasefire-talks": True,
    "port-strike": False,
}
TLP_WEIGHTS = {
    Tlp.AMBER: 45,
    Tlp.GREEN: 30,
    Tlp.AMBER_STRICT: 12,
    Tlp.CLEAR: 9,
    Tlp.RED: 4,
}
PURPOSE_WEIGHTS = {
    "analysis": 24,
    "interdiction": 22,
    "seizure": 16,
    "arrest": 12,
    "prosecution": 12,
    "onward-sharing": 9,
    "lethal-force": 5,
}
EFFECT_WEIGHTS = {Effect.DENY: 15, Effect.HOLD: 25, Effect.REQUIRE: 40, Effect.EXEMPT: 20}


@dataclass(frozen=True, kw_only=True)
class World:
    """Everything but the orders: shared by the three states so only the order count varies."""

    agencies: tuple[Agency, ...]
    items: tuple[Item, ...]
    undertakings: tuple[Undertaking, ...]
    # Foreign agencies and how often each is a recipient (and the subject of an order).
    partners: tuple[Agency, ...]
    partner_weights: tuple[float, ...]
    domestic: tuple[Agency, ...]
    by_country: dict[str, tuple[Agency, ...]]


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


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def build_agencies(rng: random.Random) -> list[Agency]:
    # Every country has at least one agency; the rest go mostly to the first countries.
    weights = [
        8.0 if i == 0 else 4.0 if i < 10 else 2.0 if i < 30 else 1.0 for i in range(len(COUNTRIES))
    ]
    extra = AGENCY_COUNT - len(COUNTRIES)
    countries = list(COUNTRIES) + rng.choices(COUNTRIES, weights=weights, k=extra)
    seen: Counter[str] = Counter()
    agencies = []
    for country in countries:
        kind = AGENCY_KINDS[seen[country] % len(AGENCY_KINDS)]
        seen[country] += 1
        serial = (seen[country] - 1) // len(AGENCY_KINDS)
        slug = f"{country.lower()}-{kind}" + (f"-{serial + 1}" if serial else "")
        domestic = country == DOMESTIC_COUNTRY
        agencies.append(
            Agency(
                id=slug,
                name=f"{country} {kind} {serial + 1}",
                country=country,
                domestic=domestic,
                # A few domestic services must sign an undertaking too.
                requires_undertaking=domestic and rng.random() < 0.15,
                # About one agency in a hundred has been deactivated.
                active=rng.random() > 0.01,
            )
        )
    return agencies


def build_items(rng: random.Random, agencies: Sequence[Agency]) -> list[Item]:
    domestic = [a for a in agencies if a.domestic]
    foreign = [a for a in agencies if not a.domestic]
    tlps = list(TLP_WEIGHTS)
    tlp_weights = list(TLP_WEIGHTS.values())
    items = []
    for number in range(ITEM_COUNT):
        originator = rng.choice(domestic if rng.random() < 0.85 else foreign)
        releasable: frozenset[str] = frozenset()
        if rng.random() < 0.12:
            # Mostly countries, sometimes a named agency.
            marks = [
                rng.choice(COUNTRIES[:20]) if rng.random() < 0.8 else rng.choice(foreign).id
                for _ in range(rng.randint(1, 3))
            ]
            releasable = frozenset([DOMESTIC_COUNTRY, *marks])
        items.append(
            Item(
                id=f"item-{number:05d}",
                title=f"report {number}",
                category=rng.choice(DEFAULT_CATEGORIES),
                region=rng.choice(DEFAULT_REGIONS),
                tlp=rng.choices(tlps, weights=tlp_weights)[0].value,
                originator=originator.id,
                releasable_to=releasable,
                content_sha256=rng.randbytes(32).hex(),
            )
        )
    return items


def build_undertakings(rng: random.Random, agencies: Sequence[Agency]) -> list[Undertaking]:
    # Foreign partners and the domestic services that must sign; about one in twenty partners
    # has never signed. The rest sign unevenly: a few big partners hold many undertakings.
    signers = [a for a in agencies if a.needs_undertaking and rng.random() > 0.05]
    weights = [rng.lognormvariate(0.0, 0.8) for _ in signers]
    ordinary = [p for p in DEFAULT_PURPOSES if p != "lethal-force"]
    undertakings = []
    for number, agency in enumerate(rng.choices(signers, weights=weights, k=UNDERTAKING_COUNT)):
        permits = set(rng.sample(ordinary, k=rng.randint(1, 5)))
        if rng.random() < 0.06:
            permits.add("lethal-force")
        rest = [p for p in DEFAULT_PURPOSES if p not in permits]
        prohibits = set()
        if "lethal-force" in rest and rng.random() < 0.65:
            prohibits.add("lethal-force")
        if rest and rng.random() < 0.3:
            prohibits.add(rng.choice(rest))
        protections = rng.sample(DEFAULT_PROTECTIONS, k=rng.choices((0, 1, 2, 3), (2, 4, 3, 1))[0])
        categories: list[str] = []
        if rng.random() < 0.4:
            categories = rng.sample(DEFAULT_CATEGORIES, k=rng.randint(1, 2))
        valid_from = AT - _days(rng, 0, 4 * 365)
        if rng.random() < 0.02:
            valid_from = AT + _days(rng, 1, 60)  # signed, not yet in force
        valid_until = None
        if rng.random() < 0.55:
            valid_until = valid_from + _days(rng, 180, 3 * 365)  # many already expired
        revoked_at = None
        if rng.random() < 0.05:
            revoked_at = min(AT, valid_from + _days(rng, 30, 700))
        undertakings.append(
            Undertaking(
                id=f"u-{agency.id}-{number:05d}",
                agency_id=agency.id,
                permits=frozenset(permits),
                prohibits=frozenset(prohibits),
                protections=frozenset(protections),
                categories=frozenset(categories),
                valid_from=valid_from,
                valid_until=valid_until,
                revoked_at=revoked_at,
                signed=True,
            )
        )
    return undertakings


def build_world(seed: int) -> World:
    rng = random.Random(seed)
    agencies = build_agencies(rng)
    partners = tuple(a for a in agencies if not a.domestic)
    # Some partners receive far more than others.
    partner_weights = tuple(rng.paretovariate(1.5) for _ in partners)
    by_country: dict[str, list[Agency]] = {}
    for agency in agencies:
        by_country.setdefault(agency.country, []).append(agency)
    return World(
        agencies=tuple(agencies),
        items=tuple(build_items(rng, agencies)),
        undertakings=tuple(build_undertakings(rng, agencies)),
        partners=partners,
        partner_weights=partner_weights,
        domestic=tuple(a for a in agencies if a.domestic),
        by_country={k: tuple(v) for k, v in by_country.items()},
    )


def _scope(rng: random.Random, world: World) -> Scope:
    """Mostly narrow: one partner, a few partners, or one country for one category."""
    anchor = rng.choices(world.partners, weights=world.partner_weights)[0]
    category = frozenset([rng.choice(DEFAULT_CATEGORIES)])
    roll = rng.random()
    if roll < 0.42:
        return Scope(
            agencies=frozenset([anchor.id]),
            categories=category if rng.random() < 0.5 else frozenset(),
        )
    if roll < 0.55:
        peers = [a.id for a in world.by_country[anchor.country]]
        chosen = {anchor.id, *rng.sample(peers, k=min(len(peers), rng.randint(1, 3)))}
        return Scope(
            agencies=frozenset(chosen),
            categories=category if rng.random() < 0.3 else frozenset(),
        )
    if roll < 0.94:
        return Scope(
            countries=frozenset([anchor.country]),
            categories=category,
            regions=frozenset([rng.choice(DEFAULT_REGIONS)]) if rng.random() < 0.3 else frozenset(),
        )
    # Rarely, something broad: a whole country, or a category in a region, or a region.
    if roll < 0.97:
        return Scope(countries=frozenset([anchor.country]))
    if roll < 0.995:
        return Scope(categories=category, regions=frozenset([rng.choice(DEFAULT_REGIONS)]))
    return Scope(regions=frozenset([rng.choice(DEFAULT_REGIONS)]))


def _exempt_scope(rng: random.Random, world: World, target: Order) -> Scope:
    """Carve one partner (or one category) out of the target's scope."""
    scope = target.scope
    if scope.agencies:
        return Scope(agencies=frozenset([rng.choice(sorted(scope.agencies))]))
    if scope.countries:
        country = rng.choice(sorted(scope.countries))
        return Scope(agencies=frozenset([rng.choice(world.by_country[country]).id]))
    return Scope(
        categories=scope.categories or frozenset([rng.choice(DEFAULT_CATEGORIES)]),
        regions=scope.regions,
    )


def build_orders(rng: random.Random, world: World, count: int) -> list[Order]:
    """``count`` orders issued at a steady rate up to ``AT``, oldest first.

    The rate is fixed, so a larger state is an older one: the orders in force stay about as
    many (and the requests about as often blocked) while the history behind them grows.
    """
    span = count / ORDERS_PER_DAY
    issued = sorted(AT - _days(rng, 0, span) for _ in range(count))
    effects = list(EFFECT_WEIGHTS)
    effect_weights = list(EFFECT_WEIGHTS.values())
    conditions = sorted(CONDITIONS)
    orders: list[Order] = []
    targets: list[Order] = []
    for sequence, valid_from in enumerate(issued, start=1):
        if rng.random() < 0.02:
            valid_from = AT + _days(rng, 1, 30)  # issued now to take effect later
        effect = rng.choices(effects, weights=effect_weights)[0]
        if effect == Effect.EXEMPT and not targets:
            effect = Effect.HOLD
        exempts: frozenset[str] = frozenset()
        requires = Requirement()
        if effect == Effect.EXEMPT:
            picked = [rng.choice(targets[-200:]) for _ in range(rng.randint(1, 2))]
            scope = _exempt_scope(rng, world, picked[0])
            exempts = frozenset(o.id for o in picked)
        else:
            scope = _scope(rng, world)
        if effect == Effect.REQUIRE:
            prohibits = {"lethal-force"} if rng.random() < 0.7 else set()
            if rng.random() < 0.2:
                prohibits.add("onward-sharing")
            protections = rng.sample(DEFAULT_PROTECTIONS, k=rng.choices((0, 1, 2), (1, 6, 2))[0])
            if not prohibits and not protections:
                protections = ["protection-of-life"]
            requires = Requirement(
                prohibits=frozenset(prohibits), protections=frozenset(protections)
            )
        # Most orders last weeks, a few years; each ends by expiring or by being lifted.
        if rng.random() < 0.006:
            end = valid_from + _days(rng, 365, 10 * 365)
        else:
            end = valid_from + timedelta(days=1 + rng.expovariate(1 / 30))
        valid_until = None
        lifted_at = None
        if rng.random() < 0.6:
            valid_until = end
        elif end <= AT:
            lifted_at = end
        while_condition = rng.choice(conditions) if rng.random() < 0.15 else None
        order = Order(
            id=f"o-{sequence:05d}",
            authority_id=rng.choice(AUTHORITIES),
            effect=effect.value,
            scope=scope,
            valid_from=valid_from,
            valid_until=valid_until,
            while_condition=while_condition,
            exempts=exempts,
            requires=requires,
            reason=f"instruction {sequence} of {rng.choice(AUTHORITIES)}",
            version=rng.choices((1, 2, 3), (8, 2, 1))[0],
            lifted_at=lifted_at,
            sequence=sequence,
        )
        orders.append(order)
        if effect != Effect.EXEMPT:
            targets.append(order)
    return orders


def build_state(world: World, orders: Sequence[Order]) -> PolicyState:
    return PolicyState.build(
        at=AT,
        version=len(orders),
        agencies=world.agencies,
        items=world.items,
        undertakings=world.undertakings,
        orders=orders,
        conditions=CONDITIONS,
    )


def build_requests(rng: random.Random, world: World, count: int) -> list[ReleaseRequest]:
    purposes = list(PURPOSE_WEIGHTS)
    purpose_weights = list(PURPOSE_WEIGHTS.values())
    # Nine requests in ten go abroad.
    foreign = rng.choices(world.partners, weights=world.partner_weights, k=count)
    requests = []
    for number in range(count):
        recipient = foreign[number] if rng.random() < 0.9 else rng.choice(world.domestic)
        requests.append(
            ReleaseRequest(
                id=number + 1,
                item_id=rng.choice(world.items).id,
                recipient_id=recipient.id,
                purpose=rng.choices(purposes, weights=purpose_weights)[0],
                requested_by="analyst",
                requested_at=AT,
            )
        )
    return requests


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
    fn: Decider, requests: Sequence[ReleaseRequest], state: PolicyState, repeat: int
) -> tuple[float, list[Outcome]]:
    """Seconds for the whole batch (the fastest of ``repeat``), after a warm-up."""
    run(fn, requests[:WARM_UP], state)
    best = float("inf")
    outcomes: list[Outcome] = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        outcomes = run(fn, requests, state)
        best = min(best, time.perf_counter() - start)
    return best, outcomes


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
    world: World, requests: Sequence[ReleaseRequest], count: int, seed: int, repeat: int
) -> Result:
    started = time.perf_counter()
    state = build_state(world, build_orders(random.Random(seed + count), world, count))
    setup = time.perf_counter() - started
    seconds, outcomes = timed(decide, requests, state, repeat)
    baseline_seconds, _ = timed(baseline, requests, state, repeat)
    return Result(
        orders=count,
        in_force=sum(1 for order in state.orders if order.in_window(AT)),
        candidates=candidates_per_request(requests, state),
        seconds=seconds,
        baseline_seconds=baseline_seconds,
        requests=len(requests),
        outcomes=Counter(outcomes),
        setup_seconds=setup,
    )


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


def profile(world: World, requests: Sequence[ReleaseRequest], count: int, seed: int) -> None:
    state = build_state(world, build_orders(random.Random(seed + count), world, count))
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
        "--repeat", type=int, default=1, help="time each batch this many times, keep the fastest"
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
    if count < 1 or args.repeat < 1:
        parser.error("--requests and --repeat must be at least 1")

    started = time.perf_counter()
    world = build_world(args.seed)
    requests = build_requests(random.Random(args.seed + 1), world, count)
    setup = time.perf_counter() - started
    print(
        f"garante decide: {count:,} release requests per state, one process; "
        f"{len(world.agencies)} agencies in {len(world.by_country)} countries "
        f"({len(world.domestic)} domestic), {len(world.items):,} items, "
        f"{len(world.undertakings):,} undertakings"
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
    results = [measure(world, requests, n, args.seed, args.repeat) for n in ORDER_COUNTS]
    met = report(results)
    setup += sum(r.setup_seconds for r in results)
    print(f"(generating the states and requests took {setup:.1f} s, not timed above)")
    if args.profile:
        profile(world, requests, ORDER_COUNTS[-1], args.seed)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
