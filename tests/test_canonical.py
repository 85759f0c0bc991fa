"""The canonical JSON fast paths give exactly the RFC 8785 bytes."""

from __future__ import annotations

import enum
import json
import uuid
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.canonical import _canonical_stdlib, canonical, is_canonical

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


# -- the orjson path: byte for byte the stdlib path's and the library's ---------------------

# Text that reaches every case the encoders could disagree on: control characters (short
# escapes and \u00xx), quotes and backslashes, DEL and the line separators (not escaped),
# characters just below and above U+FFFF, private-use characters (U+E000..U+F8FF, which sort
# after astral ones in UTF-16 order but before them in code-point order).
_tricky_text = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x20),
        st.sampled_from(['"', "\\", "/", "\x7f", "\u2028", "\u2029", "\ufeff", "\uffff"]),
        st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF),
        st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
        st.characters(codec="utf-8"),
    ),
    max_size=8,
)
any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _tricky_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(_tricky_text, children, max_size=4)
    ),
    max_leaves=24,
)


@settings(max_examples=1500)
@given(any_json)
def test_canonical_is_the_stdlib_paths_and_rfc8785s_bytes_for_any_json(value: Any) -> None:
    assert canonical(value) == _canonical_stdlib(value) == bytes(rfc8785.dumps(value))


@settings(max_examples=300)
@given(st.integers())
def test_canonical_of_any_integer_matches_rfc8785_or_raises_as_it_does(value: int) -> None:
    try:
        expected = bytes(rfc8785.dumps({"n": value}))
    except rfc8785.IntegerDomainError:
        with pytest.raises(rfc8785.IntegerDomainError):
            canonical({"n": value})
        return
    assert canonical({"n": value}) == expected


@pytest.mark.parametrize(
    "value",
    [1e21, 1e-7, 1.0, -0.0, 0.1, 5e-324, 1.7976931348623157e308, 123456789012345680.0],
)
def test_floats_take_the_es6_number_form(value: float) -> None:
    assert canonical({"x": value}) == bytes(rfc8785.dumps({"x": value}))


def test_the_float_1e21_is_written_with_its_exponent_sign() -> None:
    assert canonical(1e21) == b"1e+21"


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb01": 2},
        {"\U00010000": 1, "\ue000": 2, "\uffff": 3},
        {"a\U0001f600": 1, "a\uffff": 2},
    ],
)
def test_keys_sort_by_utf16_code_units_next_to_private_use_characters(value: Any) -> None:
    assert canonical(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize("value", [2**53 - 1, -(2**53) + 1, 0, -1])
def test_integers_within_two_to_the_53_are_written_as_they_are(value: int) -> None:
    assert canonical([value]) == f"[{value}]".encode() == bytes(rfc8785.dumps([value]))


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**64, -(2**70)])
def test_integers_from_two_to_the_53_are_refused_as_rfc8785_refuses_them(value: int) -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps([value])
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical([value])


def test_control_characters_take_the_short_escapes_and_lowercase_hex() -> None:
    text = "".join(chr(code) for code in range(0x20)) + "\x7f"
    expected = (
        b'"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n'
        b"\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015"
        b'\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\x7f"'
    )
    assert canonical(text) == expected == bytes(rfc8785.dumps(text))


def test_quotes_backslashes_slashes_and_line_separators_are_written_as_rfc8785_does() -> None:
    text = '"\\/\u2028\u2029\u00e9'
    assert canonical({text: text}) == bytes(rfc8785.dumps({text: text}))


def test_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        _canonical_stdlib("\ud800")
    with pytest.raises(UnicodeEncodeError):
        canonical("\ud800")


def test_non_string_keys_take_the_library_and_its_error() -> None:
    values: list[Any] = [{1: "a"}, {None: "a"}]
    for value in values:
        with pytest.raises(rfc8785.CanonicalizationError):
            rfc8785.dumps(value)
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical(value)


class _Text(str):
    pass


class _Number(int):
    pass


class _Kind(enum.Enum):
    A = "a"


@pytest.mark.parametrize(
    "value",
    [{_Text("k"): 1}, {"k": _Text("v")}, [_Number(3)], [_Kind.A], [uuid.UUID(int=1)]],
    ids=["str-subclass-key", "str-subclass", "int-subclass", "enum", "uuid"],
)
def test_what_is_not_plain_json_gets_what_the_stdlib_path_gives(value: Any) -> None:
    try:
        expected: bytes | type[BaseException] = _canonical_stdlib(value)
    except Exception as error:  # the library refuses it: so must the orjson path
        expected = type(error)
    if isinstance(expected, bytes):
        assert canonical(value) == expected
    else:
        with pytest.raises(expected):
            canonical(value)


def test_nesting_deeper_than_orjson_takes_goes_the_stdlib_way() -> None:
    value: Any = []
    for _ in range(300):
        value = [value]
    assert canonical(value) == _canonical_stdlib(value) == b"[" * 301 + b"]" * 301
