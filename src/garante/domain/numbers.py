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


INT64_MIN = -(2**63)

# The ranges of the numbers people give, one place for every interface (the API's schemas,
# the CLI's options, the service's checks). Ids, indices and sizes fit a 64-bit column; a
# count that a signed statement carries stays far below 2**53, beyond which RFC 8785 JSON has
# no exact form; a number of days stays within what datetimes reach.
MAX_EVENTS = 100_000  # a derived condition's min_events
MAX_WINDOW_DAYS = 3650  # a derived condition's window_days: ten years
MAX_COUNT = 100_000  # an outcome's casualties and persons
MIN_INTERVAL, MAX_INTERVAL = 10, 366 * 86400  # seconds between a source's pulls
MAX_PORT = 65_535
