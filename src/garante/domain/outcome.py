"""Outcomes: what a partner did with what it received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from garante.domain.timeutil import iso

if TYPE_CHECKING:
    from garante.canonical import Json


class OutcomeKind(StrEnum):
    SEIZURE = "seizure"
    ARREST = "arrest"
    INTERDICTION = "interdiction"
    NO_ACTION = "no-action"
    LETHAL_FORCE = "lethal-force"
    OTHER = "other"


# The purpose an outcome amounts to, for checking it against the undertaking's clauses.
PURPOSE_OF = {
    OutcomeKind.SEIZURE: "seizure",
    OutcomeKind.ARREST: "arrest",
    OutcomeKind.INTERDICTION: "interdiction",
    OutcomeKind.LETHAL_FORCE: "lethal-force",
}


@dataclass(frozen=True, kw_only=True)
class OutcomeReport:
    """One reported outcome of one release."""

    request_id: int
    agency_id: str
    kind: str
    occurred_at: datetime
    casualties: int = 0
    persons: int = 0
    quantities: dict[str, float] = field(default_factory=dict)
    place: str = ""
    note: str = ""

    def statement(self) -> dict[str, Json]:
        """What a partner signs when it reports (RFC 8785 canonical JSON)."""
        return {
            "type": "garante.outcome/v1",
            "release": self.request_id,
            "agency": self.agency_id,
            "kind": self.kind,
            "occurred_at": iso(self.occurred_at),
            "casualties": self.casualties,
            "persons": self.persons,
            "quantities": dict(sorted(self.quantities.items())),
            "place": self.place,
            "note": self.note,
        }
