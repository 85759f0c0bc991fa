"""A standing agreement: one partner's standing request for the items its scope covers.

An agreement never decides anything. When an item is added, every agreement in force whose
scope matches it starts one release request per purpose, and each is decided by
``policy.decide`` like a request made by hand (``service/fanout.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from garante.domain.item import Item
from garante.domain.timeutil import iso
from garante.domain.vocabulary import Tlp

if TYPE_CHECKING:
    from garante.canonical import Json

TLP_ORDER: tuple[Tlp, ...] = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
"""TLP 2.0 markings from the least to the most restricted."""

_RANK = {tlp.value: rank for rank, tlp in enumerate(TLP_ORDER)}


def tlp_rank(tlp: str) -> int | None:
    """Where a marking stands in ``TLP_ORDER``; None for a marking that is not TLP 2.0."""
    return _RANK.get(tlp)


@dataclass(frozen=True, kw_only=True)
class AgreementScope:
    """Which items an agreement covers. An empty set of categories, regions or originators
    covers any; ``tlp_ceiling`` is the most restricted marking it takes. An item whose marking
    is not TLP 2.0 is never covered: an agreement starts nothing it cannot place."""

    categories: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    tlp_ceiling: Tlp
    originators: frozenset[str] = frozenset()

    def matches(self, item: Item) -> bool:
        rank = _RANK.get(item.tlp)
        if rank is None or rank > _RANK[self.tlp_ceiling.value]:
            return False
        if self.categories and item.category not in self.categories:
            return False
        if self.regions and item.region not in self.regions:
            return False
        return not self.originators or item.originator in self.originators


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """A standing request of ``partner`` for ``purposes``, over the items ``scope`` covers.

    In force from ``valid_from`` until ``valid_until`` (if any), unless suspended (until it is
    resumed) or ended (for good). ``version`` counts its terms: 1 when made, one more with each
    amendment, so that a countersignature of one version never stands for another.
    """

    id: str
    partner: str
    purposes: frozenset[str]
    scope: AgreementScope
    valid_from: datetime
    valid_until: datetime | None = None
    version: int = 1
    suspended_at: datetime | None = None
    ended_at: datetime | None = None
    # How long its partner has to acknowledge a recall of a release it started (issue 21).
    recall_ack_within: timedelta | None = None
    # Onward sharing its originator consents to in advance (issue 21): the recipients (agency
    # ids or ISO 3166 country codes) and purposes for which a partner's consent request to
    # share onward what this agreement's scope covers is granted at once, without a liaison.
    onward_to: frozenset[str] = frozenset()
    onward_purposes: frozenset[str] = frozenset()

    def consents_onward(
        self, *, item: Item, recipient: str, country: str, purpose: str, at: datetime
    ) -> bool:
        """Whether the agreement, in force at ``at``, consents in advance to its partner
        sharing ``item`` onward with ``recipient`` (of ``country``) for ``purpose``: the
        recipient is named by its id, or its country by its ISO 3166 code in any case."""
        return (
            bool(self.onward_to)
            and (
                recipient in self.onward_to
                or country.upper() in {name.upper() for name in self.onward_to}
            )
            and purpose in self.onward_purposes
            and self.covers(item, at)
        )

    def in_force(self, at: datetime) -> bool:
        if at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        if self.ended_at is not None and at >= self.ended_at:
            return False
        return self.suspended_at is None or at < self.suspended_at

    def status(self, at: datetime) -> str:
        """ended, suspended, expired, pending (not yet valid) or active."""
        if self.ended_at is not None and at >= self.ended_at:
            return "ended"
        if self.suspended_at is not None and at >= self.suspended_at:
            return "suspended"
        if self.valid_until is not None and at >= self.valid_until:
            return "expired"
        if at < self.valid_from:
            return "pending"
        return "active"

    def covers(self, item: Item, at: datetime) -> bool:
        """Whether the agreement, in force at ``at``, starts requests for ``item``."""
        return self.in_force(at) and self.scope.matches(item)

    def statement(self) -> dict[str, Json]:
        """What the partner countersigns: every term, canonicalised by RFC 8785. A recall
        acknowledgement deadline is stated (in seconds) only when set, and onward consent
        only when given, so the terms of the agreements made before they existed read as
        they were signed."""
        terms: dict[str, Json] = {
            "type": "garante.agreement/v1",
            "id": self.id,
            "partner": self.partner,
            "version": self.version,
            "purposes": sorted(self.purposes),
            "categories": sorted(self.scope.categories),
            "regions": sorted(self.scope.regions),
            "tlp_ceiling": self.scope.tlp_ceiling.value,
            "originators": sorted(self.scope.originators),
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until) if self.valid_until else None,
        }
        if self.recall_ack_within is not None:
            terms["recall_ack_within"] = int(self.recall_ack_within.total_seconds())
        if self.onward_to:
            terms["onward_to"] = sorted(self.onward_to)
            terms["onward_purposes"] = sorted(self.onward_purposes)
        return terms


def statement_onward(statement: Mapping[str, Json]) -> tuple[frozenset[str], frozenset[str]]:
    """The onward recipients and purposes an agreement's statement consents to, if any."""
    found: list[frozenset[str]] = []
    for key in ("onward_to", "onward_purposes"):
        values = statement.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{key} is not a list of names")
        found.append(frozenset(str(v) for v in values))
    return found[0], found[1]


def statement_ack_within(statement: Mapping[str, Json]) -> timedelta | None:
    """The recall acknowledgement deadline an agreement's statement states, if any."""
    seconds = statement.get("recall_ack_within")
    if seconds is None:
        return None
    if type(seconds) is not int:
        raise ValueError("recall_ack_within is not a whole number of seconds")
    return timedelta(seconds=seconds)
