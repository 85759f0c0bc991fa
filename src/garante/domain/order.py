"""Orders: an authority's instruction to deny, hold, condition or exempt sharing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from garante.domain.errors import ScopeNotExplicit
from garante.domain.timeutil import iso

if TYPE_CHECKING:
    from garante.canonical import Json


class Effect(StrEnum):
    DENY = "deny"
    HOLD = "hold"
    REQUIRE = "require"
    EXEMPT = "exempt"


SCOPE_DIMENSIONS = ("agencies", "countries", "categories", "regions")


class Acting(StrEnum):
    """In what right an authority amends or lifts an order; its entry records which.

    ``issuer``: the authority that issued it. ``superior``: one the operator configured as
    superior to the issuer (``garante authorities set-superior``) when it acted. ``any``: an
    automatic breach hold of the system authority, which any authority lifts.
    """

    ISSUER = "issuer"
    SUPERIOR = "superior"
    ANY = "any-authority"


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which requests an order speaks to. Each dimension empty means "any"."""

    agencies: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def matches(self, *, agency: str, country: str, category: str, region: str) -> bool:
        return (
            (not self.agencies or agency in self.agencies)
            and (not self.countries or country in self.countries)
            and (not self.categories or category in self.categories)
            and (not self.regions or region in self.regions)
        )

    def reaches(self, *, agency: str, country: str) -> bool:
        """Speaks to some of what ``agency`` (in ``country``) may receive.

        The agency-level half of ``matches``: an order that reaches an agency but is scoped to
        some categories or regions applies to that part of its sharing only.
        """
        return (not self.agencies or agency in self.agencies) and (
            not self.countries or country in self.countries
        )

    @property
    def everything(self) -> bool:
        """No dimension is named: the order speaks to every request."""
        return not (self.agencies or self.countries or self.categories or self.regions)

    def require_explicit(self, *, everything: bool) -> None:
        """An order that matches every request must be said to, and only such an order.

        An empty scope is easily a slip (options forgotten, a form left blank) and it holds
        the whole of sharing, so whoever drafts it says ``everything`` outright; saying so
        while naming some agencies or categories is refused as contradictory. Interfaces
        translate the hint into their own terms (``--all``, ``"scope": "all"``, a checkbox).
        """
        if everything and not self.everything:
            raise ScopeNotExplicit(
                f"an order for everything names no scope, but this one names {self.describe()}",
                said_everything=True,
                hint="drop the scope to hold everything, or drop 'everything' to keep the scope",
            )
        if not everything and self.everything:
            raise ScopeNotExplicit(
                "an empty scope matches every request of every partner; say so to mean it",
                said_everything=False,
                hint="name agencies, countries, categories or regions, or say the order is "
                "for everything",
            )

    def changed(self, changes: Mapping[str, frozenset[str]]) -> Scope:
        """This scope with only the dimensions named in ``changes`` replaced.

        An amendment that names the agencies must not also drop the categories: that turns
        "hold money laundering for the FBI" into "hold everything for the FBI".
        """
        unknown = set(changes) - set(SCOPE_DIMENSIONS)
        if unknown:
            raise ValueError(f"not scope dimensions: {sorted(unknown)}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "agencies": sorted(self.agencies),
            "countries": sorted(self.countries),
            "categories": sorted(self.categories),
            "regions": sorted(self.regions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> Scope:
        """A scope from its JSON form (``to_dict``); a dimension that is not a list of
        strings is refused, not read as empty."""
        return cls(
            agencies=_strings(data, "agencies"),
            countries=_strings(data, "countries"),
            categories=_strings(data, "categories"),
            regions=_strings(data, "regions"),
        )

    def describe(self) -> str:
        parts = [
            f"{name} {', '.join(sorted(values))}"
            for name, values in (
                ("agencies", self.agencies),
                ("countries", self.countries),
                ("categories", self.categories),
                ("regions", self.regions),
            )
            if values
        ]
        return "; ".join(parts) if parts else "everything"


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """The clauses a ``require`` order asks of the recipient's undertaking."""

    prohibits: frozenset[str] = frozenset()
    protections: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, list[str]]:
        return {"prohibits": sorted(self.prohibits), "protections": sorted(self.protections)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> Requirement:
        return cls(
            prohibits=_strings(data, "prohibits"),
            protections=_strings(data, "protections"),
        )

    def describe(self) -> str:
        parts = []
        if self.prohibits:
            parts.append("prohibits " + ", ".join(sorted(self.prohibits)))
        if self.protections:
            parts.append("guarantees " + ", ".join(sorted(self.protections)))
        return " and ".join(parts) if parts else "no clauses"


@dataclass(frozen=True, kw_only=True)
class Order:
    """An order as it stands at its latest version.

    ``effect`` is kept as the raw string so that an unknown effect reaches the decision and
    holds (fail closed). ``sequence`` orders orders by issue, so that decisions cite them in a
    stable order whatever the storage returns.
    """

    id: str
    authority_id: str
    effect: str
    scope: Scope
    valid_from: datetime
    valid_until: datetime | None = None
    while_condition: str | None = None
    exempts: frozenset[str] = frozenset()
    requires: Requirement = Requirement()
    reason: str = ""
    version: int = 1
    lifted_at: datetime | None = None
    sequence: int = 0

    def in_window(self, at: datetime) -> bool:
        """In force as far as time and lifting go; the condition is checked by the engine."""
        if at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        return self.lifted_at is None or at < self.lifted_at

    def statement(self) -> dict[str, Json]:
        """What the authority signs for this version, canonicalised by RFC 8785."""
        return {
            "type": "garante.order/v1",
            "id": self.id,
            "version": self.version,
            "authority": self.authority_id,
            "effect": self.effect,
            "scope": self.scope.to_dict(),
            "requires": self.requires.to_dict(),
            "exempts": sorted(self.exempts),
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until) if self.valid_until else None,
            "while_condition": self.while_condition,
            "reason": self.reason,
        }


def lift_statement(order_id: str, version: int, reason: str) -> dict[str, Json]:
    """What an authority signs to lift an order.

    No time in it, so a signer can prepare it ahead; the version it creates makes it single-use.
    """
    return {
        "type": "garante.order-lift/v1",
        "id": order_id,
        "version": version,
        "reason": reason,
    }


def _strings(data: Mapping[str, Json], name: str) -> frozenset[str]:
    """``data[name]``, a list of strings (missing or null: none)."""
    value = data.get(name)
    if value is None:
        return frozenset()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of strings, not {value!r}")
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of strings, not {value!r}")
    return frozenset(str(item) for item in value)
