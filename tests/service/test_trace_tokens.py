"""Trace tokens are UUIDv7s (RFC 9562): unguessable, and a later release's sorts after an
earlier one's, so a fan-out's tokens land together at the end of their unique index."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from garante.service.app import Garante
from garante.service.trace_tokens import new_trace_tokens, uuid7_hex
from garante.store.schema import FeedReleaseRow
from tests.support.scenario import own_bundle


def test_a_trace_token_is_a_uuid_of_version_7_in_32_hex_digits() -> None:
    [token] = new_trace_tokens(1)
    parsed = uuid.UUID(hex=token)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert token == parsed.hex


def test_a_trace_token_begins_with_the_unix_time_in_milliseconds() -> None:
    assert uuid7_hex(0x0123456789AB, bytes(10)).startswith("0123456789ab7000")


def test_a_trace_token_keeps_74_of_the_random_bits() -> None:
    assert uuid7_hex(0, b"\xff" * 10) == "00000000" + "0000" + "7fff" + "bfff" + "ff" * 6


def test_a_later_millisecond_sorts_after_any_token_of_an_earlier_one() -> None:
    assert uuid7_hex(1_000, b"\x00" * 10) > uuid7_hex(999, b"\xff" * 10)


def test_tokens_drawn_together_are_distinct() -> None:
    assert len(set(new_trace_tokens(10_000))) == 10_000


def test_a_uuid7_needs_ten_random_bytes() -> None:
    with pytest.raises(ValueError, match="10 random bytes"):
        uuid7_hex(0, bytes(16))


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
