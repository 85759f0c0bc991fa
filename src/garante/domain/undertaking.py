"""The guarantee a partner gives about how it will use what it receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from garante.domain.timeutil import iso

if TYPE_CHECKING:
    from garante.canonical import Json


@dataclass(frozen=True, kw_only=True)
class Undertaking:
    """A signed use undertaking.

    ``permits`` and ``prohibits`` are purposes; ``protections`` are safeguards the partner
    commits to (``protection-of-life``). ``categories`` limits the undertaking to some item
    categories; empty covers every category.
    """

    id: str
    agency_id: str
    permits: frozenset[str]
    prohibits: frozenset[str] = frozenset()
    protections: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    signed: bool = False

    def is_active(self, at: datetime) -> bool:
        if at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        return self.revoked_at is None or at < self.revoked_at

    def status(self, at: datetime) -> str:
        if self.revoked_at is not None and at >= self.revoked_at:
            return "revoked"
        if self.valid_until is not None and at >= self.valid_until:
            return "expired"
        if at < self.valid_from:
            return "pending"
        return "active"

    def covers(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def statement(self) -> dict[str, Json]:
        """What the agency signs: every term, canonicalised by RFC 8785 before signing."""
        return undertaking_statement(
            id=self.id,
            agency_id=self.agency_id,
            permits=self.permits,
            prohibits=self.prohibits,
            protections=self.protections,
            categories=self.categories,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
        )


def undertaking_statement(
    *,
    id: str,
    agency_id: str,
    permits: frozenset[str] | tuple[str, ...],
    prohibits: frozenset[str] | tuple[str, ...],
    protections: frozenset[str] | tuple[str, ...],
    categories: frozenset[str] | tuple[str, ...],
    valid_from: datetime,
    valid_until: datetime | None,
) -> dict[str, Json]:
    return {
        "type": "garante.undertaking/v1",
        "id": id,
        "agency": agency_id,
        "permits": sorted(permits),
        "prohibits": sorted(prohibits),
        "protections": sorted(protections),
        "categories": sorted(categories),
        "valid_from": iso(valid_from),
        "valid_until": iso(valid_until) if valid_until else None,
    }
