"""Typed values of Garante's concepts (DESIGN.md, "Concepts"): no I/O here.

The names below are found on first use (PEP 562), not imported with the package: every module
of the package imports it first, and ``garante.domain.errors`` alone (all the CLI needs to
start) should not wait for every concept's dataclasses to be built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from garante.domain.condition import Condition, ConditionRule, Event, condition_active
    from garante.domain.decision import Decision, Outcome, Rule, RuleHit
    from garante.domain.item import Item
    from garante.domain.order import Effect, Order, Requirement, Scope
    from garante.domain.parties import Agency, Authority
    from garante.domain.request import ReleaseRequest
    from garante.domain.undertaking import Undertaking
    from garante.domain.vocabulary import Tlp, Vocabulary

_MODULE_OF = {
    "Agency": "parties",
    "Authority": "parties",
    "Condition": "condition",
    "ConditionRule": "condition",
    "Decision": "decision",
    "Effect": "order",
    "Event": "condition",
    "Item": "item",
    "Order": "order",
    "Outcome": "decision",
    "ReleaseRequest": "request",
    "Requirement": "order",
    "Rule": "decision",
    "RuleHit": "decision",
    "Scope": "order",
    "Tlp": "vocabulary",
    "Undertaking": "undertaking",
    "Vocabulary": "vocabulary",
    "condition_active": "condition",
}

__all__ = [
    "Agency",
    "Authority",
    "Condition",
    "ConditionRule",
    "Decision",
    "Effect",
    "Event",
    "Item",
    "Order",
    "Outcome",
    "ReleaseRequest",
    "Requirement",
    "Rule",
    "RuleHit",
    "Scope",
    "Tlp",
    "Undertaking",
    "Vocabulary",
    "condition_active",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once; later look-ups skip this function
    return value
