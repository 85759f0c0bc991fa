"""What the service hands back: one frozen dataclass per kind of record, defined once.

The service builds these from what it stored; the API serves them as its response models
(FastAPI reads a dataclass as a schema), the CLI prints them with ``--json``, and the console
renders them. A field added here reaches every interface, and a field an interface reads that
is not here fails ``mypy``, not a user. Times are the log's one text form (``timeutil.iso``),
so what the API says and what the log signed read the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from garante.domain.decision import Outcome, RuleHit

# -- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Decided:
    """A request with the decision that now stands for it: what a write moved in the held
    queue, or what a release request came to. ``previous`` is the outcome it had before."""

    request: int
    item: str
    recipient: str
    purpose: str
    outcome: Outcome
    previous: Outcome | None
    undertaking: str | None
    explanation: str
    rules: tuple[RuleHit, ...]
    trigger: str
    decided_at: str
    state_version: int
