"""Injectable clocks: the system's, or a replayed one for tests and the demo.

Conditions lapse and orders expire as time passes, so the service never calls
``datetime.now()`` itself; it asks its clock. A store can carry a pinned clock in its settings
(the demo store does), so every command run against it sees the scenario's time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


class FixedClock:
    """A clock that stands still until told to move; used to replay a scenario."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.astimezone(UTC) < self._at:
            raise ValueError("a replayed clock never runs backwards")
        self._at = at.astimezone(UTC).replace(microsecond=0)
