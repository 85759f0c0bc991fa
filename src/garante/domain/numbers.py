"""Whole numbers from text: ASCII digits only, and small enough for a 64-bit column.

``str.isdigit`` accepts '²' and other Unicode digits that ``int`` then refuses, and ``int``
parses a 20-digit number that no database column holds: either became a 500. Every query
parameter, header and setting that should be a count or an id goes through here.
"""

from __future__ import annotations

INT64_MAX = 2**63 - 1


def whole_number(text: str, *, maximum: int = INT64_MAX) -> int | None:
    """The number ``text`` writes in ASCII digits, if it is at most ``maximum``; else None."""
    if not text or len(text) > len(str(maximum)) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None
