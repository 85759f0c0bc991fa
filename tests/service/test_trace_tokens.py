"""Trace tokens are UUIDv7s (RFC 9562): unguessable, of the releasing transaction's instant,
and a later release's sorts after an earlier one's, so a fan-out's tokens land together at the
end of their unique index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from garante.service.app import Garante
from garante.service.trace_tokens import TokenClock, new_trace_tokens, uuid7_hex
from garante.store.schema import FeedReleaseRow
from tests.support.scenario import own_bundle

AT = datetime(2025, 11, 12, 21, 0, 0, tzinfo=UTC)


def _unix_ms(token: str) -> int:
    return int(token[:12], 16)


def test_a_trace_token_is_a_uuid_of_version_7_in_32_hex_digits() -> None:
    [token] = new_trace_tokens(1, AT, TokenClock())
    parsed = uuid.UUID(hex=token)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert token == parsed.hex


def test_a_trace_token_begins_with_the_unix_time_in_milliseconds() -> None:
    assert uuid7_hex(0x0123456789AB, 0, 0).startswith("0123456789ab7000")


def test_a_trace_token_keeps_the_counter_and_62_random_bits() -> None:
    assert uuid7_hex(0, 0xFFF, (1 << 62) - 1) == "00000000" + "0000" + "7fff" + "bfff" + "ff" * 6


def test_a_counter_past_12_bits_or_random_past_62_is_refused() -> None:
    with pytest.raises(ValueError, match="12 bits"):
        uuid7_hex(0, 1 << 12, 0)
    with pytest.raises(ValueError, match="62 bits"):
        uuid7_hex(0, 0, 1 << 62)


def test_a_later_millisecond_sorts_after_any_token_of_an_earlier_one() -> None:
    assert uuid7_hex(1_000, 0, 0) > uuid7_hex(999, 0xFFF, (1 << 62) - 1)


def test_a_token_tells_the_instant_it_was_made_at_not_the_wall_clock() -> None:
    """A pinned clock (the demo's, in November 2025) is the time its tokens tell."""
    [token] = new_trace_tokens(1, AT, TokenClock())
    assert _unix_ms(token) == int(AT.timestamp() * 1000)


def test_tokens_made_at_one_instant_sort_in_the_order_they_were_made() -> None:
    clock = TokenClock()
    made = [token for count in (50, 50, 1) for token in new_trace_tokens(count, AT, clock)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_a_clock_that_steps_back_still_makes_tokens_that_sort_after() -> None:
    clock = TokenClock()
    later = clock.next_positions(2_000, 1, lambda: 7)
    earlier = clock.next_positions(1_000, 2, lambda: 7)
    assert later + earlier == [(2_000, 7), (2_000, 8), (2_000, 9)]


def test_a_new_millisecond_starts_its_counter_afresh() -> None:
    clock = TokenClock()
    clock.next_positions(1_000, 3, lambda: 100)
    assert clock.next_positions(1_001, 1, lambda: 5) == [(1_001, 5)]


def test_a_spent_counter_moves_the_token_to_the_next_millisecond() -> None:
    clock = TokenClock()
    positions = clock.next_positions(1_000, 3, lambda: 4_094)
    assert positions == [(1_000, 4_094), (1_000, 4_095), (1_001, 4_094)]


def test_tokens_drawn_together_are_distinct() -> None:
    assert len(set(new_trace_tokens(10_000, AT, TokenClock()))) == 10_000


def test_every_release_of_a_fan_out_and_of_a_request_carries_a_uuid7_token(
    world: Garante,
) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    for partner in ("fbi", "nca"):
        world.make_agreement(
            world.draft_agreement(partner, purposes=["seizure"], tlp_ceiling="amber")
        )
    world.add_item(
        "fanned",
        title="fanned",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=own_bundle("fanned"),
    )
    with world.context.reads() as reading:
        tokens = [row.trace_token for row in reading.session.scalars(select(FeedReleaseRow))]
    assert len(tokens) == 3
    assert {uuid.UUID(hex=token).version for token in tokens} == {7}


def test_a_release_s_token_tells_the_store_s_clock(world: Garante) -> None:
    """The demo's store pins its clock to November 2025: its tokens say so, as its feeds do."""
    world.request_release("lead", recipient="dea", purpose="seizure")
    with world.context.reads() as reading:
        [token] = reading.session.scalars(select(FeedReleaseRow.trace_token)).all()
    told = datetime.fromtimestamp(_unix_ms(token) / 1000, UTC)
    assert told - world.clock.now() < timedelta(seconds=1)
    assert told >= world.clock.now()
