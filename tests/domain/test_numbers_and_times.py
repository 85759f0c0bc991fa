"""Numbers and times read from text and written back: no input a caller types becomes a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from garante.domain.numbers import INT64_MAX, whole_number
from garante.domain.timeutil import iso, parse_time


@pytest.mark.parametrize("text", ["", "²", "١٢", "-1", "1.5", " 7", "0x10", str(INT64_MAX + 1)])
def test_what_is_not_a_64_bit_whole_number_in_ascii_digits_is_none(text: str) -> None:
    assert whole_number(text) is None


def test_ascii_digits_up_to_the_largest_64_bit_integer_are_a_number() -> None:
    assert (whole_number("0"), whole_number("42")) == (0, 42)
    assert whole_number(str(INT64_MAX)) == INT64_MAX


def test_a_maximum_bounds_the_number() -> None:
    assert whole_number("101", maximum=100) is None


def test_a_year_before_1000_is_written_with_four_digits_and_read_back() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    assert iso(first) == "0001-01-01T00:00:00Z"
    assert parse_time(iso(first)) == first


def test_an_instant_with_an_offset_is_written_as_the_same_instant_in_utc() -> None:
    bogota = timezone(timedelta(hours=-5))
    assert iso(datetime(2025, 12, 31, 22, 30, 5, tzinfo=bogota)) == "2026-01-01T03:30:05Z"


def test_an_instant_is_written_to_the_second_without_its_fraction() -> None:
    assert iso(datetime(2025, 11, 15, 12, 0, 7, 999_999, tzinfo=UTC)) == "2025-11-15T12:00:07Z"
