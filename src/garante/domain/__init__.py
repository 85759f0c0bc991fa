"""Typed values of Garante's concepts (DESIGN.md, "Concepts"): no I/O here."""

from garante.domain.condition import Condition, ConditionRule, Event, condition_active
from garante.domain.decision import Decision, Outcome, Rule, RuleHit
from garante.domain.item import Item
from garante.domain.order import Effect, Order, Requirement, Scope
from garante.domain.parties import Agency, Authority
from garante.domain.request import ReleaseRequest
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp, Vocabulary

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
