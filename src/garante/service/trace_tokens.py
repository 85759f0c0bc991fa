"""Trace tokens: the per-release value every delivered copy carries, naming its release.

A token is a UUID version 7 (RFC 9562, section 5.7), written as 32 lowercase hex digits: 48
bits of Unix time in milliseconds, a 12-bit counter, then 62 random bits. Why not 128 random
bits, as tokens were before: each token is a key of the ``feed_releases`` unique index, and
random keys put each release's key on an index page of its own, so a fan-out to 100 partners
rewrote about 100 pages of that index (400 KB of write-ahead log) for 100 short keys; tokens
that begin with the time land together at the index's end, on one or two pages.

The time is the releasing transaction's instant (its clock's, as every other time it writes),
so what a token tells the partner who holds it, its feed's ``date_added`` says too, on a
pinned clock (the demo's) as on the wall's. Within one millisecond, and when a clock stands
still or steps back, the counter keeps the tokens of one open store in the order they were made
(RFC 9562, 6.2, method 1): it starts at a random value below 2,048 in each new millisecond and
counts up; should it pass 4,095, the token moves to the next millisecond. The 62 random bits
keep a token unguessable, even by a partner that holds the token made just before it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_MS_MASK = (1 << 48) - 1
_COUNTER_LIMIT = 1 << 12  # rand_a: the counter
_COUNTER_START = 1 << 11  # a new millisecond's counter starts below this: room to count up
_RANDOM_BITS = 62  # rand_b
_RANDOM_BYTES = 8  # 64 bits drawn per token, 62 of them kept
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def uuid7_hex(unix_ms: int, counter: int, random: int) -> str:
    """The UUIDv7 of ``unix_ms``, a 12-bit ``counter`` and 62 ``random`` bits, in 32 lowercase
    hex digits.

    Layout (RFC 9562, 5.7): unix_ts_ms (48) | ver = 7 (4) | rand_a (12) | var = 0b10 (2) |
    rand_b (62).
    """
    if not 0 <= counter < _COUNTER_LIMIT:
        raise ValueError(f"a UUIDv7's counter is 12 bits, not {counter}")
    if not 0 <= random < 1 << _RANDOM_BITS:
        raise ValueError(f"a UUIDv7's random part is {_RANDOM_BITS} bits")
    value = (unix_ms & _MS_MASK) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | random
    return f"{value:032x}"


@dataclass
class TokenClock:
    """Where the last token stood (its millisecond and counter): the next never sorts before
    it. One per open store (``Context``), beside its clock, shared by its transactions."""

    unix_ms: int = -1
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def next_positions(
        self, unix_ms: int, count: int, start: Callable[[], int]
    ) -> list[tuple[int, int]]:
        """The (millisecond, counter) of ``count`` tokens made at ``unix_ms``, each after the
        last one made; ``start`` gives a new millisecond's first counter."""
        positions: list[tuple[int, int]] = []
        for _ in range(count):
            if unix_ms > self.unix_ms:
                self.unix_ms, self.counter = unix_ms, start()
            elif self.counter + 1 < _COUNTER_LIMIT:
                self.counter += 1
            else:  # the counter is spent: the next millisecond, as the clock would give it
                self.unix_ms, self.counter = self.unix_ms + 1, start()
            positions.append((self.unix_ms, self.counter))
        return positions


def _counter_start() -> int:
    return secrets.randbelow(_COUNTER_START)


def new_trace_tokens(count: int, at: datetime, clock: TokenClock) -> list[str]:
    """``count`` fresh trace tokens of the instant ``at`` (the transaction's), in order after
    every token ``clock`` gave before. The random bits are drawn from the system's source once
    for all of them, not once per release of a fan-out."""
    unix_ms = (at - _EPOCH) // _MILLISECOND
    drawn = secrets.token_bytes(_RANDOM_BYTES * count)
    randoms = [
        int.from_bytes(drawn[i : i + _RANDOM_BYTES], "big") >> (8 * _RANDOM_BYTES - _RANDOM_BITS)
        for i in range(0, _RANDOM_BYTES * count, _RANDOM_BYTES)
    ]
    with clock.lock:
        positions = clock.next_positions(unix_ms, count, _counter_start)
    return [
        uuid7_hex(ms, counter, random)
        for (ms, counter), random in zip(positions, randoms, strict=True)
    ]
