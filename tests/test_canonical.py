"""The canonical JSON fast path gives exactly the RFC 8785 bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.canonical import canonical, is_canonical

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500)
@given(json_values)
def test_canonical_equals_rfc8785_for_any_json(value: Any) -> None:
    assert canonical(value) == bytes(rfc8785.dumps(value))


def test_keys_are_sorted_by_utf16_code_units_when_astral_characters_appear() -> None:
    value = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical(value) == bytes(rfc8785.dumps(value))


def test_integers_beyond_two_to_the_53_are_refused_as_rfc8785_says() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical({"n": 2**60})


@settings(max_examples=500)
@given(json_values)
def test_is_canonical_accepts_exactly_the_rfc8785_form(value: Any) -> None:
    form = bytes(rfc8785.dumps(value))
    assert is_canonical(form)
    spaced = json.dumps(value, ensure_ascii=False, indent=1).encode()
    assert is_canonical(spaced) == (spaced == form)


def test_is_canonical_refuses_reordered_keys_and_floats_in_python_form() -> None:
    assert not is_canonical(b'{"b":1,"a":2}')
    assert is_canonical(b'{"a":2,"b":1}')
    assert is_canonical(b'{"x":1e+21}') == (bytes(rfc8785.dumps({"x": 1e21})) == b'{"x":1e+21}')
    assert not is_canonical(b"not json")


@pytest.mark.parametrize(
    "value",
    [
        -0.0,
        1e21,
        {"a": [1, {"b": 2.5}]},
        [2**53 - 1, -(2**53) + 1],
        {"reason": "ratio:1.5, then 1e3", "n": 12},
        {"token": "3e5a1e0f" * 8},
    ],
)
def test_numbers_that_look_like_floats_anywhere_give_the_rfc8785_form(value: Any) -> None:
    assert canonical(value) == bytes(rfc8785.dumps(value))
