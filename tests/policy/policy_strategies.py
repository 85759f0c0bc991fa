"""Hypothesis strategies for small random worlds: a few agencies, items, undertakings, orders.

Values are drawn mostly from the vocabulary and now and then from outside it (a TLP marking,
an order effect, a clause, a condition nobody defined), so that properties about failing closed
have something to bite on. Times are whole days around ``AT``, so boundaries (``valid_from ==
at``, ``lifted_at == at``) come up often.

Every strategy is built once, at import: Hypothesis validates a strategy the first time it is
drawn from, and rebuilding them per example made the suite several times slower.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from garante.domain import Agency, Item, Order, ReleaseRequest, Requirement, Scope, Tlp, Undertaking
from garante.policy import PolicyState
from tests.policy.policy_builders import AT, days

COUNTRIES = ("CO", "US", "GB")
AGENCY_IDS = ("dipol", "dijin", "dea", "fbi", "nca")
PURPOSES = ("seizure", "arrest", "analysis", "lethal-force")
PROTECTIONS = ("protection-of-life", "human-rights")
CATEGORIES = ("drug-trafficking", "money-laundering", "terrorism")
REGIONS = ("caribbean", "pacific")

VALID_TLPS = tuple(t.value for t in Tlp)
NOT_RED = tuple(t for t in VALID_TLPS if t != "red")
BAD_TLPS = ("purple", "AMBER")
VALID_EFFECTS = ("deny", "hold", "require", "exempt")
BAD_EFFECT = "suspend"
BAD_PURPOSE = "surveillance"
BAD_PROTECTION = "good-faith"
KNOWN_CONDITIONS = {"c-on": True, "c-off": False}
UNKNOWN_CONDITION = "c-undefined"

#: Ids an exemption may name: the world's own orders and those the properties add later.
ORDER_IDS = ("o0", "o1", "o2", "o3", "o4")
ORDER_ID_POOL = (*ORDER_IDS, "o-deny", "o-new")


def rarely(valid: tuple[str, ...], invalid: tuple[str, ...], weight: int = 4) -> st.SearchStrategy:
    """Mostly a valid value, sometimes an invalid one."""
    return st.sampled_from(valid * weight + invalid)


def one_in(n: int) -> st.SearchStrategy[bool]:
    # False first: Hypothesis favours the first element, and shrinks towards it.
    return st.sampled_from((False,) * (n - 1) + (True,))


def subset(values: tuple[str, ...], max_size: int = 2) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), max_size=max_size)


def often_empty(values: tuple[str, ...], weight: int = 1) -> st.SearchStrategy[frozenset[str]]:
    """Mostly empty (no restriction), else a non-empty subset of ``values``."""
    chosen = st.frozensets(st.sampled_from(values), min_size=1, max_size=2)
    return st.one_of(*[st.just(frozenset())] * weight, chosen)


def clauses(
    values: tuple[str, ...], bad: str, max_size: int = 3
) -> st.SearchStrategy[frozenset[str]]:
    """A set of clauses, once in a while with one the vocabulary does not know."""
    return st.builds(
        lambda known, odd: known | {bad} if odd else known, subset(values, max_size), one_in(30)
    )


day = st.integers(-3, 3).map(days)
maybe_day = st.one_of(st.none(), day)
rarely_day = st.one_of(st.none(), st.none(), day)
mostly_past = st.integers(-3, 1).map(days)

scopes = st.builds(
    Scope,
    agencies=often_empty((*AGENCY_IDS, "stranger"), weight=2),
    countries=often_empty(COUNTRIES, weight=2),
    categories=often_empty(CATEGORIES, weight=2),
    regions=often_empty(REGIONS, weight=2),
)
requirements = st.builds(
    Requirement,
    prohibits=clauses(PURPOSES, BAD_PURPOSE),
    protections=clauses(PROTECTIONS, BAD_PROTECTION),
)
effects = rarely(VALID_EFFECTS, (BAD_EFFECT,), weight=4)
order_conditions = st.sampled_from((None,) * 6 + ("c-on", "c-on", "c-off", UNKNOWN_CONDITION))


def order_strategy(
    order_id: str | st.SearchStrategy[str], effect: st.SearchStrategy[str] = effects
) -> st.SearchStrategy[Order]:
    """An order named ``order_id`` with a random effect, scope, window and condition."""
    ids = order_id if isinstance(order_id, st.SearchStrategy) else st.just(order_id)
    return st.builds(
        lambda id_, exempts, **kw: Order(id=id_, exempts=exempts - {id_}, **kw),
        ids,
        subset(ORDER_ID_POOL),
        authority_id=st.just("presidency"),
        effect=effect,
        scope=scopes,
        valid_from=mostly_past,
        valid_until=rarely_day,
        while_condition=order_conditions,
        requires=requirements,
        lifted_at=rarely_day,
        sequence=st.integers(0, 3),
    )


WORLD_ORDERS = {order_id: order_strategy(order_id) for order_id in ORDER_IDS}

agency_rows: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "country": st.sampled_from(COUNTRIES),
        "domestic": st.booleans(),
        "requires_undertaking": one_in(4),
        "inactive": one_in(10),
    }
)
item_rows: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "region": st.sampled_from(REGIONS),
        "tlp": st.sampled_from(NOT_RED * 3 + ("red", *BAD_TLPS)),
        "originator": st.sampled_from(AGENCY_IDS),
        "releasable_to": often_empty(COUNTRIES + AGENCY_IDS, weight=5),
        # Mostly none; else a day before, the very instant of, or a day after the decision.
        "embargo_until": st.sampled_from((None, None, None, days(-1), AT, days(1))),
        "expires_at": st.sampled_from((None, None, None, days(-1), AT, days(1))),
        # Mostly not held for review (an ingested item whose markings could not be read).
        "review": st.sampled_from(((),) * 7 + (("unknown marking definition",),)),
    }
)
undertaking_rows = st.fixed_dictionaries(
    {
        "permits": st.builds(
            lambda more, seizure: more | {"seizure"} if seizure else more,
            clauses(PURPOSES, BAD_PURPOSE),
            st.sampled_from((True, True, False)),
        ),
        "prohibits": clauses(PURPOSES, BAD_PURPOSE, max_size=1),
        "protections": clauses(PROTECTIONS, BAD_PROTECTION),
        "categories": often_empty(CATEGORIES, weight=2),
        "valid_from": mostly_past,
        "valid_until": rarely_day,
        "revoked_at": rarely_day,
    }
)


@dataclass(frozen=True)
class World:
    agencies: tuple[Agency, ...]
    items: tuple[Item, ...]
    undertakings: tuple[Undertaking, ...]
    orders: tuple[Order, ...]
    request: ReleaseRequest
    conditions: tuple[tuple[str, bool], ...] = tuple(KNOWN_CONDITIONS.items())

    def state(self, *, orders: tuple[Order, ...] | list[Order] | None = None) -> PolicyState:
        return PolicyState.build(
            at=AT,
            version=3,
            agencies=self.agencies,
            items=self.items,
            undertakings=self.undertakings,
            orders=self.orders if orders is None else orders,
            conditions=dict(self.conditions),
        )

    def with_orders(self, orders: tuple[Order, ...] | list[Order]) -> World:
        return replace(self, orders=tuple(orders))

    @property
    def recipient(self) -> Agency:
        return next(a for a in self.agencies if a.id == self.request.recipient_id)

    @property
    def item(self) -> Item:
        return next(i for i in self.items if i.id == self.request.item_id)

    def matches(self, order: Order) -> bool:
        """Whether the order's scope matches this world's request."""
        return order.scope.matches(
            agency=self.recipient.id,
            country=self.recipient.country,
            category=self.item.category,
            region=self.item.region,
        )

    def condition_known(self, order: Order) -> bool:
        return order.while_condition is None or order.while_condition in dict(self.conditions)

    def in_force(self, order: Order) -> bool:
        """In its window and, if it has a condition, that condition is known to be active."""
        if not order.in_window(AT):
            return False
        if order.while_condition is None:
            return True
        return dict(self.conditions).get(order.while_condition, False)


@st.composite
def worlds(draw: st.DrawFn, *, min_orders: int = 0, max_orders: int = 5) -> World:
    count = draw(st.integers(1, 4))
    agency_ids = draw(st.permutations(AGENCY_IDS))[:count]
    agencies = tuple(
        Agency(
            id=agency_id,
            name=agency_id.upper(),
            country=row["country"],
            domestic=row["domestic"],
            requires_undertaking=row["requires_undertaking"],
            active=not row["inactive"],
        )
        for agency_id, row in zip(
            agency_ids, draw(st.lists(agency_rows, min_size=count, max_size=count)), strict=True
        )
    )
    items = tuple(
        Item(id=f"i{n}", title=f"item {n}", **row)
        for n, row in enumerate(draw(st.lists(item_rows, min_size=1, max_size=3)))
    )
    request = ReleaseRequest(
        id=1,
        item_id=draw(st.sampled_from([i.id for i in items])),
        recipient_id=draw(st.sampled_from(agency_ids)),
        purpose=draw(st.sampled_from(("seizure", *PURPOSES))),
        requested_by="analyst",
        requested_at=AT,
    )
    # Most undertakings are the recipient's: those of other agencies must not count.
    signers = st.sampled_from((request.recipient_id,) * 2 + tuple(agency_ids))
    undertakings = tuple(
        Undertaking(id=f"u{n}", agency_id=draw(signers), signed=True, **row)
        for n, row in enumerate(draw(st.lists(undertaking_rows, min_size=1, max_size=4)))
    )
    # Not integers(): Hypothesis leans towards 0, and most worlds would have no orders.
    counts = [n for n in (2, 3, 1, 4, 0, 5, 3, 2) if min_orders <= n <= max_orders]
    order_count = draw(st.sampled_from(counts))
    world_orders = tuple(draw(WORLD_ORDERS[order_id]) for order_id in ORDER_IDS[:order_count])
    return World(
        agencies=agencies,
        items=items,
        undertakings=undertakings,
        orders=world_orders,
        request=request,
    )
