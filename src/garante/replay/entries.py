"""One audit entry as an inspector reads it: its bytes parsed, its time an instant.

An entry is the RFC 8785 canonical JSON ``{"v", "kind", "at", "actor", "data"}`` written by
``Transaction.audit``. The bytes are what the log's hashes cover; this is what they say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from garante.domain.errors import GaranteError
from garante.domain.timeutil import parse_time


class UnreadableEntry(ValueError):
    """An entry whose bytes are not the JSON object an audit entry is."""


@lru_cache(maxsize=4096)
def instant(text: str) -> datetime:
    """A logged time (``2025-11-11T21:00:00Z``); cached, since a busy second has many entries."""
    return parse_time(text)


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    index: int
    kind: str
    at: datetime
    actor: str
    data: dict[str, Any]

    @classmethod
    def read(cls, index: int, entry: bytes | str) -> LoggedEntry:
        try:
            value = json.loads(entry)
            return cls(
                index=index,
                kind=str(value["kind"]),
                at=instant(str(value["at"])),
                actor=str(value["actor"]),
                data=dict(value["data"]),
            )
        except (ValueError, KeyError, TypeError, GaranteError) as exc:
            raise UnreadableEntry(f"entry {index} is not an audit entry: {exc}") from None
