"""What use cases hand back and take across the service boundary, beside domain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Change:
    """What a state change produced: the object as stored, and the held requests it moved."""

    value: dict[str, Any]
    moved: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Page:
    """Keyset pagination: rows whose key is after ``after``, at most ``limit`` of them."""

    after: str | int | None = None
    limit: int = 100
