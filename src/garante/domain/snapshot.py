"""The snapshot a decision reads, and the index that finds the orders that can apply.

Plain values, so that the store builds them (``store/queries.py``) without importing the
policy that reads them; ``garante.policy`` exports them too.

A decision must cost the same whether ten or ten thousand orders exist that cannot apply to it.
Each order is filed under one dimension of its scope (the first non-empty of agencies,
countries, categories, regions; unscoped orders under "any"), once per value there. A request
then looks up only the buckets for its own agency, country, category and region. An order can
only match a request if it matches in the dimension it is filed under, so nothing is missed, and
since it is filed under one dimension it is found at most once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from garante.domain.condition import Condition
from garante.domain.consent import ConsentKey, Onward
from garante.domain.item import Item
from garante.domain.order import Effect, Order
from garante.domain.parties import Agency
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Vocabulary

_DIMENSIONS = ("agencies", "countries", "categories", "regions")
# Orders in issue order: (sequence, id).
_ISSUE = attrgetter("sequence", "id")


class OrderIndex:
    """Orders filed by scope, and exemptions filed by the order they carve out of."""

    def __init__(self, orders: Iterable[Order], *, at: datetime | None = None) -> None:
        """File ``orders``; given ``at``, only those whose window contains it.

        A snapshot is taken at one instant, so an order that expired, was lifted or has not
        started cannot apply to any decision on it; filing it would only make the buckets
        longer as history grows.
        """
        self._any: list[Order] = []
        self._by: dict[str, dict[str, list[Order]]] = {d: defaultdict(list) for d in _DIMENSIONS}
        self._exemptions: dict[str, list[Order]] = defaultdict(list)
        self._all: dict[str, Order] = {}
        # The candidates of each (agency, country, category, region) asked about so far: the
        # buckets never change once filed, so each combination is merged and sorted once. Many
        # combinations have the same candidates, kept once (by the orders' identities).
        self._found: dict[tuple[str, str, str, str], tuple[Order, ...]] = {}
        self._alike: dict[tuple[int, ...], tuple[Order, ...]] = {}
        for order in sorted(orders, key=_ISSUE):
            self._all[order.id] = order
            if at is not None and not order.in_window(at):
                continue
            if order.effect == Effect.EXEMPT:
                for target in order.exempts:
                    self._exemptions[target].append(order)
                continue
            self._file(order)

    def _file(self, order: Order) -> None:
        for dimension in _DIMENSIONS:
            values: frozenset[str] = getattr(order.scope, dimension)
            if values:
                bucket = self._by[dimension]
                for value in values:
                    bucket[value].append(order)
                return
        self._any.append(order)

    def candidates(self, *, agency: str, country: str, category: str, region: str) -> list[Order]:
        """Orders whose filed dimension matches the request, in issue order."""
        key = (agency, country, category, region)
        merged = self._found.get(key)
        if merged is None:
            found = tuple(self._merge(agency, country, category, region))
            merged = self._found[key] = self._alike.setdefault(tuple(map(id, found)), found)
        return list(merged)

    def _merge(self, agency: str, country: str, category: str, region: str) -> list[Order]:
        found = list(self._any)
        for dimension, value in (
            ("agencies", agency),
            ("countries", country),
            ("categories", category),
            ("regions", region),
        ):
            bucket = self._by[dimension].get(value)
            if bucket:
                found.extend(bucket)
        if len(found) > 1:
            found.sort(key=_ISSUE)
        return found

    def exemptions_for(self, order_id: str) -> list[Order]:
        return self._exemptions.get(order_id, [])

    def get(self, order_id: str) -> Order | None:
        return self._all.get(order_id)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._all.values())

    def __len__(self) -> int:
        return len(self._all)


@dataclass(frozen=True, kw_only=True)
class PolicyState:
    """Everything ``decide`` may read, as of ``at``, at store version ``version``."""

    at: datetime
    version: int = 0
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    agencies: Mapping[str, Agency] = field(default_factory=dict)
    items: Mapping[str, Item] = field(default_factory=dict)
    undertakings: Mapping[str, tuple[Undertaking, ...]] = field(default_factory=dict)
    orders: OrderIndex = field(default_factory=lambda: OrderIndex(()))
    conditions: Mapping[str, bool] = field(default_factory=dict)
    #: Items taken from a Garante upstream, by id: the upstream release they came under.
    released_under: Mapping[str, Onward] = field(default_factory=dict)
    #: Consents the node holds, answered upstream (``granted`` or ``refused``), by
    #: (upstream origin, upstream request, recipient, purpose).
    consents: Mapping[ConsentKey, str] = field(default_factory=dict)
    #: What ``decide`` works out from this snapshot once and reads again on later requests
    #: (the orders in force for a scope, an agency's undertakings for a purpose), filled as
    #: requests ask. Never part of the snapshot's value; a snapshot made with
    #: ``dataclasses.replace`` starts with an empty one. Whoever changes the maps a snapshot was
    #: built from must build a new snapshot, as they must already for a decision to be one.
    memo: dict[object, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def build(
        cls,
        *,
        at: datetime,
        version: int = 0,
        vocabulary: Vocabulary | None = None,
        agencies: Iterable[Agency] = (),
        items: Iterable[Item] = (),
        undertakings: Iterable[Undertaking] = (),
        orders: Iterable[Order] | OrderIndex = (),
        conditions: Mapping[str, bool] | Iterable[tuple[Condition, bool]] = (),
        released_under: Mapping[str, Onward] | None = None,
        consents: Mapping[ConsentKey, str] | None = None,
    ) -> PolicyState:
        """Assemble a snapshot from plain lists; ``conditions`` maps id to whether it is active.

        ``orders`` may be an index already filed at ``at``, shared by several snapshots taken
        at that instant (the requests of one transaction).
        """
        by_agency: dict[str, list[Undertaking]] = defaultdict(list)
        for undertaking in undertakings:
            # Only undertakings in force at ``at`` can bind or refuse a release at ``at``.
            if undertaking.is_active(at):
                by_agency[undertaking.agency_id].append(undertaking)
        if isinstance(conditions, Mapping):
            condition_map = dict(conditions)
        else:
            condition_map = {condition.id: active for condition, active in conditions}
        return cls(
            at=at,
            version=version,
            vocabulary=vocabulary or Vocabulary(),
            agencies={a.id: a for a in agencies},
            items={i.id: i for i in items},
            undertakings={k: tuple(sorted(v, key=lambda u: u.id)) for k, v in by_agency.items()},
            orders=orders if isinstance(orders, OrderIndex) else OrderIndex(orders, at=at),
            conditions=condition_map,
            released_under=dict(released_under or {}),
            consents=dict(consents or {}),
        )
