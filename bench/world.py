"""One synthetic operator's world for the benchmarks: agencies, items, undertakings, orders.

``bench/decide.py`` turns it into a policy snapshot, ``bench/simulate.py`` registers it through
the service; both draw it here, from a seed, so the two measure the same kind of operator. It
is meant to look like an operator's after some years: ~60 countries, the operator's own (CO)
and one big partner (US) receiving the most; mostly narrow orders (one partner, a few
partners, or one country for one category), some while a condition holds, most of them long
expired or lifted; undertakings with varied clauses, some expired or revoked. Orders take
effect at a steady rate, so more orders means the same operator years later: about as many in
force, a longer history behind them. Times are whole seconds, as the service stores them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from garante.domain.order import Effect, Requirement, Scope
from garante.domain.parties import Agency
from garante.domain.vocabulary import (
    DEFAULT_CATEGORIES,
    DEFAULT_PROTECTIONS,
    DEFAULT_PURPOSES,
    DEFAULT_REGIONS,
)

NOW = datetime(2025, 11, 15, 12, 0, tzinfo=UTC)  # the snapshot: the world as it stands now

DOMESTIC_COUNTRY = "CO"
FOCUS_COUNTRY = "US"  # receives FOCUS_SHARE of all requests
FOCUS_SHARE = 0.20
DOMESTIC_SHARE = 0.10
FOCUS_CATEGORY = "drug-trafficking"  # half the items
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
# Conditions and whether each is active at NOW.
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
CATEGORY_WEIGHTS = {
    FOCUS_CATEGORY: 50,
    "maritime-interdiction": 15,
    "money-laundering": 12,
    "organised-crime": 12,
    "joint-casework": 6,
    "terrorism": 5,
}
TLP_WEIGHTS = {"amber": 45, "green": 30, "amber+strict": 12, "clear": 9, "red": 4}
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
ORDERS_PER_DAY = 3.0


@dataclass(frozen=True, kw_only=True)
class Size:
    agencies: int
    items: int
    undertakings: int
    orders: int = 0


@dataclass(frozen=True, kw_only=True)
class ItemSpec:
    id: str
    category: str
    region: str
    tlp: str
    originator: str
    releasable_to: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class UndertakingSpec:
    id: str
    agency: str
    permits: tuple[str, ...]
    prohibits: tuple[str, ...]
    protections: tuple[str, ...]
    categories: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    recorded_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class OrderSpec:
    id: str
    authority: str
    effect: Effect
    scope: Scope
    requires: Requirement
    exempts: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    while_condition: str | None
    issued_at: datetime
    lifted_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class World:
    """What the generator drew; ``orders`` oldest first, empty when none were asked for."""

    agencies: tuple[Agency, ...]
    items: tuple[ItemSpec, ...]
    undertakings: tuple[UndertakingSpec, ...]
    orders: tuple[OrderSpec, ...]
    # Every agency with its share of the requests (a fifth to FOCUS_COUNTRY).
    recipient_weights: tuple[float, ...]
    item_weights: tuple[float, ...]
    by_country: dict[str, tuple[Agency, ...]]


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def _second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def build_agencies(rng: random.Random, count: int) -> list[Agency]:
    # Every country has at least one agency; the rest go mostly to the first countries.
    weights = [
        8.0 if i == 0 else 4.0 if i < 10 else 2.0 if i < 30 else 1.0 for i in range(len(COUNTRIES))
    ]
    extra = max(0, count - len(COUNTRIES))
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
                requires_undertaking=domestic and rng.random() < 0.15,
            )
        )
    return agencies


def recipient_weights(rng: random.Random, agencies: Sequence[Agency]) -> list[float]:
    """Country shares (CO a tenth, US a fifth, the rest falling off), then skewed in-country."""
    others = [c for c in COUNTRIES if c not in (DOMESTIC_COUNTRY, FOCUS_COUNTRY)]
    raw = {c: 1.0 / (rank + 1) ** 0.8 for rank, c in enumerate(others)}
    rest = 1.0 - DOMESTIC_SHARE - FOCUS_SHARE
    share = {c: rest * w / sum(raw.values()) for c, w in raw.items()}
    share[DOMESTIC_COUNTRY] = DOMESTIC_SHARE
    share[FOCUS_COUNTRY] = FOCUS_SHARE
    within = [rng.paretovariate(1.5) for _ in agencies]
    totals: dict[str, float] = {}
    for agency, w in zip(agencies, within, strict=True):
        totals[agency.country] = totals.get(agency.country, 0.0) + w
    return [share[a.country] * w / totals[a.country] for a, w in zip(agencies, within, strict=True)]


def build_items(rng: random.Random, agencies: Sequence[Agency], count: int) -> list[ItemSpec]:
    domestic = [a for a in agencies if a.domestic]
    foreign = [a for a in agencies if not a.domestic]
    categories = list(CATEGORY_WEIGHTS)
    category_weights = list(CATEGORY_WEIGHTS.values())
    tlps = list(TLP_WEIGHTS)
    tlp_weights = list(TLP_WEIGHTS.values())
    items = []
    for number in range(count):
        originator = rng.choice(domestic if rng.random() < 0.85 else foreign)
        releasable: tuple[str, ...] = ()
        if rng.random() < 0.12:
            marks = {
                rng.choice(COUNTRIES[:20]) if rng.random() < 0.8 else rng.choice(foreign).id
                for _ in range(rng.randint(1, 3))
            }
            releasable = tuple(sorted({DOMESTIC_COUNTRY, *marks}))
        items.append(
            ItemSpec(
                id=f"item-{number:05d}",
                category=rng.choices(categories, weights=category_weights)[0],
                region=rng.choice(DEFAULT_REGIONS),
                tlp=rng.choices(tlps, weights=tlp_weights)[0],
                originator=originator.id,
                releasable_to=releasable,
            )
        )
    return items


def build_undertakings(
    rng: random.Random, agencies: Sequence[Agency], count: int
) -> list[UndertakingSpec]:
    # About one partner in twenty has never signed; a few big partners hold many undertakings.
    signers = [a for a in agencies if a.needs_undertaking and rng.random() > 0.05]
    weights = [rng.lognormvariate(0.0, 0.8) for _ in signers]
    ordinary = [p for p in DEFAULT_PURPOSES if p != "lethal-force"]
    out = []
    for number, agency in enumerate(rng.choices(signers, weights=weights, k=count)):
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
        valid_from = _second(NOW - _days(rng, 0, 4 * 365))
        recorded_at = valid_from
        if rng.random() < 0.02:  # signed, not yet in force
            recorded_at = _second(NOW - _days(rng, 0, 30))
            valid_from = _second(NOW + _days(rng, 1, 60))
        valid_until = None
        if rng.random() < 0.55:  # many already expired
            valid_until = _second(valid_from + _days(rng, 180, 3 * 365))
        revoked_at = None
        if rng.random() < 0.05:
            revoked_at = _second(min(NOW, recorded_at + _days(rng, 30, 700)))
        out.append(
            UndertakingSpec(
                id=f"u-{agency.id}-{number:05d}",
                agency=agency.id,
                permits=tuple(sorted(permits)),
                prohibits=tuple(sorted(prohibits)),
                protections=tuple(sorted(protections)),
                categories=tuple(sorted(categories)),
                valid_from=valid_from,
                valid_until=valid_until,
                recorded_at=recorded_at,
                revoked_at=revoked_at,
            )
        )
    return out


def _scope(rng: random.Random, world: World) -> Scope:
    """Mostly narrow: one partner, a few partners, or one country for one category."""
    foreign = [i for i, a in enumerate(world.agencies) if not a.domestic]
    index = rng.choices(foreign, weights=[world.recipient_weights[i] for i in foreign])[0]
    anchor = world.agencies[index]
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


def _exempt_scope(rng: random.Random, world: World, target: OrderSpec) -> Scope:
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


def build_orders(rng: random.Random, world: World, count: int) -> list[OrderSpec]:
    """``count`` orders taking effect at a steady rate up to NOW, oldest first."""
    span = count / ORDERS_PER_DAY
    starts = sorted(_second(NOW - _days(rng, 0, span)) for _ in range(count))
    effects = list(EFFECT_WEIGHTS)
    effect_weights = list(EFFECT_WEIGHTS.values())
    conditions = sorted(CONDITIONS)
    orders: list[OrderSpec] = []
    targets: list[OrderSpec] = []
    for sequence, start in enumerate(starts, start=1):
        valid_from = issued_at = start
        if rng.random() < 0.02:  # issued now to take effect later
            valid_from = _second(NOW + _days(rng, 1, 30))
        effect = rng.choices(effects, weights=effect_weights)[0]
        if effect == Effect.EXEMPT and not targets:
            effect = Effect.HOLD
        exempts: tuple[str, ...] = ()
        requires = Requirement()
        if effect == Effect.EXEMPT:
            picked = [rng.choice(targets[-200:]) for _ in range(rng.randint(1, 2))]
            scope = _exempt_scope(rng, world, picked[0])
            exempts = tuple(sorted({o.id for o in picked}))
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
        end = _second(end)
        valid_until = None
        lifted_at = None
        if rng.random() < 0.6:
            valid_until = end
        elif end <= NOW:
            lifted_at = end
        order = OrderSpec(
            id=f"o-{sequence:05d}",
            authority=rng.choice(AUTHORITIES),
            effect=effect,
            scope=scope,
            requires=requires,
            exempts=exempts,
            valid_from=valid_from,
            valid_until=valid_until,
            while_condition=rng.choice(conditions) if rng.random() < 0.15 else None,
            issued_at=issued_at,
            lifted_at=lifted_at,
        )
        orders.append(order)
        if effect != Effect.EXEMPT:
            targets.append(order)
    return orders


def build_world(seed: int, size: Size) -> World:
    rng = random.Random(seed)
    agencies = build_agencies(rng, size.agencies)
    by_country: dict[str, list[Agency]] = {}
    for agency in agencies:
        by_country.setdefault(agency.country, []).append(agency)
    items = build_items(rng, agencies, size.items)
    world = World(
        agencies=tuple(agencies),
        items=tuple(items),
        undertakings=tuple(build_undertakings(rng, agencies, size.undertakings)),
        orders=(),
        recipient_weights=tuple(recipient_weights(rng, agencies)),
        # Some items are asked for far more often than others.
        item_weights=tuple(rng.lognormvariate(0.0, 1.0) for _ in items),
        by_country={k: tuple(v) for k, v in by_country.items()},
    )
    return replace(world, orders=tuple(build_orders(rng, world, size.orders)))
