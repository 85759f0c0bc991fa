"""Acknowledgements: a partner's signed word that it received a release, or applied a recall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from garante.domain.consent import ConsentRequest
from garante.domain.outcome import OutcomeReport
from garante.domain.timeutil import iso

if TYPE_CHECKING:
    from garante.canonical import Json

STATEMENT_TYPE = "garante.acknowledgement/v1"


class AckKind(StrEnum):
    DELIVERY = "delivery"  # the partner received the release's objects
    RECALL = "recall"  # the partner withdrew the recalled objects from its own systems


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    """One acknowledgement, named by the STIX id of the object that carried it."""

    id: str
    kind: str
    request_id: int
    agency_id: str
    acknowledged_at: datetime

    def statement(self) -> dict[str, Json]:
        """What the partner signs (RFC 8785 canonical JSON)."""
        return {
            "type": STATEMENT_TYPE,
            "id": self.id,
            "of": self.kind,
            "release": self.request_id,
            "agency": self.agency_id,
            "acknowledged_at": iso(self.acknowledged_at),
        }


@dataclass(frozen=True, kw_only=True)
class SignedWrite:
    """One object a partner wrote back, as read from its STIX form: what it states and the
    signature over that statement, or ``problem`` (what is wrong and what to do) if it could
    not be read. ``object_id`` and ``version`` name it in the write's status."""

    object_id: str
    version: str
    content: Acknowledgement | OutcomeReport | ConsentRequest | None = None
    signature: bytes | None = None
    problem: str | None = None
