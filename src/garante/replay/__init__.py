"""``garante audit replay``: the state, the signatures, the entitlements and the decisions,
all re-derived from the log alone (DESIGN.md, "Who may do what")."""

from garante.replay.entries import LoggedEntry, UnreadableEntry
from garante.replay.projection import Projection
from garante.replay.replayer import Disagreement, Replayer, ReplayReport

__all__ = [
    "Disagreement",
    "LoggedEntry",
    "Projection",
    "ReplayReport",
    "Replayer",
    "UnreadableEntry",
]
