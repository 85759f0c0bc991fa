"""What use cases hand back and take across the service boundary, beside domain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from garante.domain.order import Order
from garante.records import Decided, Enforced

V = TypeVar("V")


@dataclass(frozen=True, kw_only=True)
class Change(Generic[V]):
    """What a state change produced: the object as stored, the held requests it moved, and
    the releases not yet delivered it ``withheld`` from partners' feeds or made ``available``
    there again (``feed.enforce``), all in the one transaction.

    Only order writes fill ``withheld`` and ``available`` so far; the other writes that enforce
    releases again (conditions, undertakings, order periods) report ``moved`` alone.

    ``started``: the release requests standing agreements started in the same transaction
    (an item added, an agreement made with a backfill), each with its first decision.

    ``new``: False when the same statement had been recorded before (an outcome reported
    again): ``value`` is what was recorded then, and nothing more was changed or logged.
    """

    value: V
    moved: list[Decided] = field(default_factory=list)
    withheld: tuple[Enforced, ...] = ()
    available: tuple[Enforced, ...] = ()
    started: list[Decided] = field(default_factory=list)
    new: bool = True


@dataclass(frozen=True, kw_only=True)
class Page:
    """Keyset pagination: rows whose key is after ``after``, at most ``limit`` of them."""

    after: str | int | None = None
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class Reach:
    """How many agencies an order's scope reaches (``Scope.reaches``), of how many there are.

    Partners are the agencies that are not domestic. An order scoped to some categories or
    regions reaches an agency for that part of its sharing only.
    """

    partners: int
    of_partners: int
    agencies: int
    of_agencies: int

    def describe(self) -> str:
        every = " (every partner)" if self.of_partners and self.partners == self.of_partners else ""
        return (
            f"Reaches: {self.partners} of {self.of_partners} partners{every}; "
            f"{self.agencies} of {self.of_agencies} agencies in all"
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "partners": self.partners,
            "of_partners": self.of_partners,
            "agencies": self.agencies,
            "of_agencies": self.of_agencies,
        }


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A validated order (or the next version of one), nothing stored, and whom it reaches.

    The authority signs ``order.statement()``; the preview shows ``reach``.
    """

    order: Order
    reach: Reach
