"""Was an outcome within the undertaking the release was made under? A pure judgement.

A breach is a use the partner promised never to make (a prohibited purpose), a use it was never
given (a purpose its undertaking does not permit), or casualties where it promised protection
of life. Like ``decide``, it fails closed: an outcome kind it does not know is a breach to be
looked at, never silently compliant.
"""

from __future__ import annotations

from dataclasses import dataclass

from garante.domain.outcome import PURPOSE_OF, OutcomeKind, OutcomeReport
from garante.domain.undertaking import Undertaking


@dataclass(frozen=True, kw_only=True)
class Compliance:
    breach: bool
    reasons: tuple[str, ...]


def judge(outcome: OutcomeReport, undertaking: Undertaking | None) -> Compliance:
    reasons: list[str] = []
    try:
        kind = OutcomeKind(outcome.kind)
    except ValueError:
        return Compliance(
            breach=True, reasons=(f"outcome kind '{outcome.kind}' is not one Garante judges",)
        )
    if undertaking is None:
        # Released to a domestic service without an undertaking: nothing was promised.
        return Compliance(breach=False, reasons=())
    purpose = PURPOSE_OF.get(kind)
    if purpose is not None:
        if purpose in undertaking.prohibits:
            reasons.append(f"undertaking {undertaking.id} prohibits {purpose}")
        elif purpose not in undertaking.permits:
            reasons.append(f"undertaking {undertaking.id} does not permit {purpose}")
    if outcome.casualties > 0 and "protection-of-life" in undertaking.protections:
        reasons.append(
            f"{outcome.casualties} casualties under undertaking {undertaking.id}, which promises "
            "protection of life"
        )
    return Compliance(breach=bool(reasons), reasons=tuple(reasons))
