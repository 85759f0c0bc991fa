"""Random (snapshot, request) pairs for the reference model, seeded and aimed at the corners.

A plain ``random.Random`` rather than Hypothesis: the model check wants 10,000 cases in the
suite and a million in the soak, and a seeded generator makes any case replayable from its
seed and serial number (``pair(seed, serial)``).

Every choice leans towards where engines go wrong: scopes that name the request's own
agency, country, category or region about half the time (so orders overlap), times exactly at
the snapshot's instant or a second either side of it (``valid_from``, ``valid_until``,
``lifted_at``, ``revoked_at``), sequence numbers that tie, conditions active, inactive and
unknown, exemptions naming orders that exist, do not exist or are exemptions themselves,
amended and lifted orders, undertakings that permit and prohibit the same purpose, and now and
then a value no vocabulary knows or an attribute a bad row left empty.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from garante.domain import (
    Agency,
    Item,
    Order,
    ReleaseRequest,
    Requirement,
    Scope,
    Undertaking,
    Vocabulary,
)
from tests.policy.policy_builders import AT
from tests.policy.reference import Snapshot, in_scope

T = TypeVar("T")

#: (id, country, domestic): the scenario's services and partners.
AGENCY_POOL = (
    ("dipol", "CO", True),
    ("dijin", "CO", True),
    ("cti", "CO", True),
    ("dea", "US", False),
    ("fbi", "US", False),
    ("hsi", "US", False),
    ("nca", "GB", False),
)
COUNTRIES = ("CO", "US", "GB", "XX")
CATEGORIES = ("drug-trafficking", "money-laundering", "terrorism")
REGIONS = ("caribbean", "pacific")
PURPOSES = ("seizure", "arrest", "analysis", "lethal-force", "onward-sharing")
PROTECTIONS = ("protection-of-life", "human-rights")
GOOD_TLPS = ("clear", "green", "amber", "amber+strict")
BAD_TLPS = ("purple", "AMBER", "white")
BAD_EFFECTS = ("suspend", "DENY", "EXEMPT")
BAD_PURPOSE = "surveillance"
BAD_PROTECTION = "good-faith"
CONDITIONS = {"c-on": True, "c-off": False}
UNKNOWN_CONDITION = "c-undefined"
DENY_, HOLD_, REQUIRE_, EXEMPT_ = "deny", "hold", "require", "exempt"

WIDE = Vocabulary()
#: An operator's narrower vocabulary: clauses the default one knows become unknown.
NARROW = Vocabulary(
    purposes=WIDE.purposes - {"onward-sharing"}, protections=WIDE.protections - {"human-rights"}
)

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
#: Instants relative to the snapshot: the boundary itself, a second either side, days off.
NEAR = (AT, AT, AT - SECOND, AT + SECOND, AT - DAY, AT + DAY, AT - 30 * DAY)
PAST = (AT, AT - SECOND, AT - DAY, AT - DAY, AT - 30 * DAY, AT - 30 * DAY, AT + SECOND, AT + DAY)


# Only ``rng.random()`` below: ``randrange``, ``randint`` and ``sample`` are pure Python and
# made the generator, not the decisions, the cost of the model check.


def between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high], both ends included."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, values: Sequence[T]) -> T:
    return values[int(rng.random() * len(values))]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def draw(rng: random.Random, values: Sequence[T], count: int) -> list[T]:
    """``count`` distinct values (all of them if fewer), in random order."""
    pool = list(values)
    return [pool.pop(int(rng.random() * len(pool))) for _ in range(min(count, len(pool)))]


def some(rng: random.Random, values: Sequence[str], most: int = 2) -> frozenset[str]:
    return frozenset(draw(rng, values, between(rng, 0, most)))


def maybe_time(rng: random.Random, p_none: float) -> datetime | None:
    return None if chance(rng, p_none) else pick(rng, NEAR)


def with_odd(rng: random.Random, values: frozenset[str], odd: str, p: float) -> frozenset[str]:
    """Now and then a clause the vocabulary does not know."""
    return values | {odd} if chance(rng, p) else values


def random_agencies(rng: random.Random) -> tuple[Agency, ...]:
    chosen = draw(rng, AGENCY_POOL, between(rng, 2, 5))
    return tuple(
        Agency(
            id=agency_id,
            name=agency_id.upper(),
            country=country,
            # Mostly the operator's own services are domestic, not always.
            domestic=home if not chance(rng, 0.1) else not home,
            requires_undertaking=chance(rng, 0.15),
            active=not chance(rng, 0.06),
        )
        for agency_id, country, home in chosen
    )


def random_items(rng: random.Random, agencies: tuple[Agency, ...]) -> tuple[Item, ...]:
    items = []
    targets = [a.id for a in agencies] + list(COUNTRIES)
    for n in range(between(rng, 1, 3)):
        roll = rng.random()
        tlp: str = pick(rng, GOOD_TLPS) if roll < 0.84 else "red" if roll < 0.95 else ""
        if tlp == "":
            tlp = pick(rng, BAD_TLPS)
        items.append(
            Item(
                id=f"i{n}",
                title=f"item {n}",
                category=pick(rng, CATEGORIES) if not chance(rng, 0.02) else "piracy",
                region=pick(rng, REGIONS),
                tlp=tlp,
                originator=pick(rng, agencies).id,
                releasable_to=frozenset() if chance(rng, 0.7) else some(rng, targets, 3),
                embargo_until=maybe_time(rng, 0.9),
                expires_at=maybe_time(rng, 0.9),
                review=("unknown marking definition",) if chance(rng, 0.05) else (),
            )
        )
    return tuple(items)


def own_or_other(rng: random.Random, own: str, pool: Sequence[str]) -> frozenset[str]:
    """A scope dimension: empty (any) half the time, else naming the request's own value often."""
    if chance(rng, 0.5):
        return frozenset()
    values = set(draw(rng, pool, between(rng, 0, 2)))
    if chance(rng, 0.6):
        values.add(own)
    return frozenset(values) or frozenset({pick(rng, pool)})


def random_requirement(rng: random.Random) -> Requirement:
    prohibits = frozenset({"lethal-force"}) if chance(rng, 0.6) else some(rng, PURPOSES, 1)
    protections = some(rng, PROTECTIONS, 1)
    return Requirement(
        prohibits=with_odd(rng, prohibits, BAD_PURPOSE, 0.02),
        protections=with_odd(rng, protections, BAD_PROTECTION, 0.02),
    )


def random_orders(
    rng: random.Random, agency: Agency, item: Item, agencies: tuple[Agency, ...]
) -> tuple[Order, ...]:
    count = pick(rng, (0, 1, 1, 2, 2, 3, 3, 4, 5, 6))
    ids = [f"o{n}" for n in range(count)]
    agency_ids = [a.id for a in agencies] + ["stranger"]
    orders = []
    for order_id in ids:
        roll = rng.random()
        effect = (
            DENY_
            if roll < 0.17
            else HOLD_
            if roll < 0.34
            else REQUIRE_
            if roll < 0.62
            else EXEMPT_
            if roll < 0.97
            else pick(rng, BAD_EFFECTS)
        )
        exempts: frozenset[str] = frozenset()
        if effect in (EXEMPT_, "EXEMPT"):
            others = [i for i in ids if i != order_id] + ["o-ghost"]
            exempts = frozenset(draw(rng, others, between(rng, 1, 2)))
        # Exemptions rest on an unknown condition more often: several exemptions of one order,
        # one of them undecidable, is where the engine once depended on issue order.
        unknown = 0.12 if effect == EXEMPT_ else 0.04
        condition_roll = rng.random()
        condition = (
            UNKNOWN_CONDITION
            if condition_roll < unknown
            else None
            if condition_roll < 0.6
            else "c-on"
            if condition_roll < 0.8
            else "c-off"
        )
        amended = chance(rng, 0.2)
        orders.append(
            Order(
                id=order_id,
                authority_id=pick(rng, ("presidency", "mininterior")),
                effect=effect,
                scope=Scope(
                    agencies=own_or_other(rng, agency.id, agency_ids),
                    countries=own_or_other(rng, agency.country, COUNTRIES),
                    categories=own_or_other(rng, item.category, CATEGORIES),
                    regions=own_or_other(rng, item.region, REGIONS),
                ),
                valid_from=pick(rng, PAST),
                valid_until=maybe_time(rng, 0.55),
                while_condition=condition,
                exempts=exempts,
                requires=random_requirement(rng)
                if effect == REQUIRE_ or chance(rng, 0.2)
                else (Requirement()),
                reason=f"reason for {order_id}",
                version=between(rng, 2, 4) if amended else 1,
                lifted_at=maybe_time(rng, 0.75),
                sequence=between(rng, 0, 4),  # ties are meant: then the id decides
            )
        )
    targets = [n for n, o in enumerate(orders) if o.effect in (DENY_, HOLD_, REQUIRE_)]
    if targets and chance(rng, 0.12):
        n = pick(rng, targets)
        # The target in force and in scope, so that what its exemptions say decides.
        orders[n] = replace(
            orders[n],
            scope=Scope(),
            valid_from=pick(rng, (AT, AT - DAY)),
            valid_until=None,
            lifted_at=None,
            while_condition=None,
        )
        orders.extend(carve_out_cluster(rng, orders[n], agency, item))
    return tuple(orders)


def carve_out_cluster(rng: random.Random, target: Order, agency: Agency, item: Item) -> list[Order]:
    """Two or three exemptions of one order, mostly in scope, some on an unknown condition.

    Several exemptions of one order, one of them undecidable, is the corner where the engine
    once answered differently depending on which was issued first.
    """
    cluster = []
    for n in range(between(rng, 2, 3)):
        own = {
            "agencies": agency.id,
            "countries": agency.country,
            "categories": item.category,
            "regions": item.region,
        }
        narrowed = {d: frozenset({v}) for d, v in own.items() if chance(rng, 0.25)}
        cluster.append(
            Order(
                id=f"x{n}",
                authority_id="presidency",
                effect=EXEMPT_,
                scope=Scope(**narrowed),
                valid_from=pick(rng, (AT, AT - SECOND, AT - DAY, AT + SECOND)),
                valid_until=None if chance(rng, 0.8) else pick(rng, (AT, AT + SECOND)),
                while_condition=pick(rng, (None, None, "c-on", "c-off", UNKNOWN_CONDITION)),
                exempts=frozenset({target.id}),
                reason="carve-out",
                lifted_at=None if chance(rng, 0.85) else pick(rng, (AT, AT + SECOND)),
                sequence=between(rng, 0, 4),
            )
        )
    return cluster


def random_undertakings(
    rng: random.Random, agency: Agency, purpose: str, item: Item, agencies: tuple[Agency, ...]
) -> tuple[Undertaking, ...]:
    undertakings = []
    for n in range(pick(rng, (0, 1, 1, 1, 2, 2, 3, 4))):
        permits = some(rng, PURPOSES, 2) | ({purpose} if chance(rng, 0.65) else set())
        prohibits = (frozenset({"lethal-force"}) if chance(rng, 0.6) else frozenset()) | (
            {purpose} if chance(rng, 0.12) else set()
        )
        categories: frozenset[str] = frozenset()
        if chance(rng, 0.35):
            categories = some(rng, CATEGORIES, 2) | ({item.category} if chance(rng, 0.5) else set())
        undertaking = Undertaking(
            id=f"u{n}",
            agency_id=agency.id if chance(rng, 0.8) else pick(rng, agencies).id,
            permits=with_odd(rng, permits, BAD_PURPOSE, 0.015),
            prohibits=with_odd(rng, prohibits, BAD_PURPOSE, 0.01),
            protections=with_odd(rng, some(rng, PROTECTIONS, 2), BAD_PROTECTION, 0.015),
            categories=categories,
            valid_from=pick(rng, PAST),
            valid_until=maybe_time(rng, 0.6),
            revoked_at=maybe_time(rng, 0.75),
            signed=True,
        )
        if chance(rng, 0.008):
            # A missing attribute, as a bad row would leave it: the engine must hold on it.
            object.__setattr__(undertaking, "permits", None)
        undertakings.append(undertaking)
    return tuple(undertakings)


def random_pair(rng: random.Random, serial: int = 1) -> tuple[Snapshot, ReleaseRequest]:
    """One snapshot at ``AT`` and one request against it."""
    agencies = random_agencies(rng)
    items = random_items(rng, agencies)
    agency = pick(rng, agencies)
    item = pick(rng, items)
    purpose = pick(rng, PURPOSES) if not chance(rng, 0.02) else BAD_PURPOSE
    if item.tlp == "red" and chance(rng, 0.3):
        item = replace(item, originator=agency.id)  # TLP:RED to its own originator
        items = tuple(item if i.id == item.id else i for i in items)
    request = ReleaseRequest(
        id=serial,
        item_id=item.id if not chance(rng, 0.015) else "i-ghost",
        recipient_id=agency.id if not chance(rng, 0.015) else "ghost-agency",
        purpose=purpose,
        requested_by="analyst",
        requested_at=AT,
    )
    snapshot = Snapshot(
        at=AT,
        version=between(rng, 0, 50),
        vocabulary=NARROW if chance(rng, 0.03) else WIDE,
        agencies=agencies,
        items=items,
        undertakings=random_undertakings(rng, agency, purpose, item, agencies),
        orders=random_orders(rng, agency, item, agencies),
        conditions=dict(CONDITIONS),
    )
    return snapshot, request


def pair(seed: int, serial: int) -> tuple[Snapshot, ReleaseRequest]:
    """The ``serial``-th pair of a seed on its own, to replay one case."""
    return random_pair(random.Random(f"{seed}:{serial}"), serial)


def pairs(seed: int, count: int, start: int = 0) -> Iterator[tuple[Snapshot, ReleaseRequest]]:
    """``count`` pairs, each from its own seeded generator, so any one can be replayed."""
    for serial in range(start, start + count):
        yield pair(seed, serial)


def corners(snapshot: Snapshot, request: ReleaseRequest) -> set[str]:
    """The corners a pair exercises, so a test can show the generator reaches each of them.

    Boundaries count only on what the request meets: an order in its scope, an undertaking of
    its recipient; a boundary on an object the request never reaches proves nothing.
    """
    found: set[str] = set()
    at = snapshot.at
    item = next((i for i in snapshot.items if i.id == request.item_id), None)
    agency = next((a for a in snapshot.agencies if a.id == request.recipient_id), None)
    if item is None or agency is None:
        return found
    if item.tlp not in (*GOOD_TLPS, "red"):
        found.add("unknown TLP marking")
    if item.tlp == "red" and item.originator == agency.id:
        found.add("TLP:RED to its originator")
    if item.releasable_to and (
        agency.id in item.releasable_to or agency.country in item.releasable_to
    ):
        found.add("releasable_to naming the recipient")
    if agency.domestic and agency.requires_undertaking:
        found.add("domestic agency requiring an undertaking")
    if snapshot.vocabulary is NARROW:
        found.add("narrow vocabulary")
    mine = [o for o in snapshot.orders if in_scope(o, item, agency)]
    for order in mine:
        for name, when in (
            ("valid_from", order.valid_from),
            ("valid_until", order.valid_until),
            ("lifted_at", order.lifted_at),
        ):
            if when == at:
                found.add(f"order in scope with {name} at the snapshot")
            if when == at + SECOND:
                found.add(f"order in scope with {name} a second after")
        if order.effect not in (DENY_, HOLD_, REQUIRE_, EXEMPT_):
            found.add("order in scope with an unknown effect")
        if order.while_condition == UNKNOWN_CONDITION:
            found.add("order in scope on an unknown condition")
        if order.while_condition == "c-off":
            found.add("order in scope on an inactive condition")
        if order.version > 1:
            found.add("amended order in scope")
    exemptions = [o for o in mine if o.effect == EXEMPT_]
    named = [target for x in exemptions for target in x.exempts]
    if any(named.count(target) > 1 for target in named):
        found.add("several exemptions in scope of one order")
    sequences = [o.sequence for o in mine]
    if len(set(sequences)) < len(sequences):
        found.add("orders in scope issued in the same sequence")
    for undertaking in snapshot.undertakings:
        if undertaking.agency_id != agency.id:
            continue
        for name, when in (
            ("valid_from", undertaking.valid_from),
            ("valid_until", undertaking.valid_until),
            ("revoked_at", undertaking.revoked_at),
        ):
            if when == at:
                found.add(f"recipient's undertaking with {name} at the snapshot")
        if undertaking.permits is None:
            found.add("recipient's undertaking with a missing attribute")
        elif request.purpose in undertaking.permits and request.purpose in undertaking.prohibits:
            found.add("recipient's undertaking permitting and prohibiting the purpose")
    return found
