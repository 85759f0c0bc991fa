"""A decision is a value: the outcome, every rule that spoke, and one plain sentence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    RELEASED = "released"
    HELD = "held"
    DENIED = "denied"


class Rule(StrEnum):
    """Rule ids, numbered after DESIGN.md's precedence so a decision reads against the brief."""

    REVOKED = "2.revoked"
    REVIEW = "2.review"
    RELEASABILITY = "2.releasable-to"
    TLP_RED = "2.tlp-red"
    RECIPIENT_INACTIVE = "2.recipient-inactive"
    EMBARGO = "2.embargo"
    EXPIRED = "2.expired"
    ONWARD_AWAITED = "2.onward-consent-awaited"
    ONWARD_REFUSED = "2.onward-consent-refused"
    ORDER_DENY = "3.order-deny"
    ORDER_HOLD = "3.order-hold"
    ORDER_REQUIRE_UNMET = "3.order-require-unmet"
    ORDER_REQUIRE_MET = "3.order-require-met"
    ORDER_EXEMPTED = "3.order-exempted"
    UNDERTAKING_MISSING = "4.no-undertaking"
    UNDERTAKING_PROHIBITS = "4.undertaking-prohibits"
    UNDERTAKING_BOUND = "4.undertaking"
    DOMESTIC = "4.domestic"
    DEFAULT_RELEASE = "5.release"
    FAIL_CLOSED = "fail-closed"


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleHit:
    """One rule that spoke, the object it cites (``order:us-suspension``), and why."""

    rule: str
    verdict: str
    cites: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": str(self.rule),
            "verdict": str(self.verdict),
            "cites": self.cites,
            "message": self.message,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    outcome: Outcome
    rules: tuple[RuleHit, ...]
    explanation: str
    undertaking_id: str | None = None
    state_version: int = 0
