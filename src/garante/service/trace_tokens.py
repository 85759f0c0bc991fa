"""Trace tokens: the per-release value every delivered copy carries, naming its release.

A token is a UUID version 7 (RFC 9562, section 5.7), written as 32 lowercase hex digits: 48
bits of Unix time in milliseconds, then 74 random bits. Why not 128 random bits, as tokens were
before: each token is a key of the ``feed_releases`` unique index, and random keys put each
release's key on an index page of its own, so a fan-out to 100 partners rewrote about 100 pages
of that index (400 KB of write-ahead log) for 100 short keys; tokens that begin with the time
land together at the index's end, on one or two pages. The 74 random bits keep a token
unguessable (a partner cannot name another partner's release); what the time prefix tells the
partner who holds it, when it was released, its feed's ``date_added`` already says.
"""

from __future__ import annotations

import secrets
import time

_RANDOM_BYTES = 10  # 80 bits drawn, 74 of them kept (the version and variant take 6)
_MS_MASK = (1 << 48) - 1
_RAND_A_BITS = 12
_RAND_B_MASK = (1 << 62) - 1


def uuid7_hex(unix_ms: int, random: bytes) -> str:
    """The UUIDv7 of ``unix_ms`` and 10 ``random`` bytes, in 32 lowercase hex digits.

    Layout (RFC 9562, 5.7): unix_ts_ms (48) | ver = 7 (4) | rand_a (12) | var = 0b10 (2) |
    rand_b (62).
    """
    if len(random) != _RANDOM_BYTES:
        raise ValueError(f"a UUIDv7 takes {_RANDOM_BYTES} random bytes, not {len(random)}")
    bits = int.from_bytes(random, "big")
    rand_a = bits >> (80 - _RAND_A_BITS)
    rand_b = bits & _RAND_B_MASK
    value = (unix_ms & _MS_MASK) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return f"{value:032x}"


def new_trace_tokens(count: int) -> list[str]:
    """``count`` fresh trace tokens, all of this millisecond: the random bytes are drawn from
    the system's source once for all of them, not once per release of a fan-out."""
    unix_ms = time.time_ns() // 1_000_000
    random = secrets.token_bytes(_RANDOM_BYTES * count)
    return [
        uuid7_hex(unix_ms, random[i : i + _RANDOM_BYTES])
        for i in range(0, _RANDOM_BYTES * count, _RANDOM_BYTES)
    ]
