"""The decision: a pure function of a request and a snapshot of the state."""

from garante.policy.decide import decide
from garante.policy.state import OrderIndex, PolicyState

__all__ = ["OrderIndex", "PolicyState", "decide"]
