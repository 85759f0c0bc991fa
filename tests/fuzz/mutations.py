"""Hypothesis strategies for hostile input: arbitrary values, and valid examples mutated.

``mutated(text)`` starts from a valid example and applies a few edits of the kinds that break
parsers: a flipped, deleted or inserted byte, a slice duplicated or cut, odd Unicode (a lone
surrogate, a NUL, a right-to-left mark, a non-characters), a huge number. ``json_values`` are
JSON-shaped values of any type, nested deep; ``mutated_json(value)`` changes a valid JSON
value's members: types swapped, keys removed or added, numbers made huge.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ODD_TEXT = [
    "\x00",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "\u202e",  # right-to-left override
    "\ufeff",  # byte order mark
    "\uffff",  # a non-character
    "\U0001f4a9",
    "e\u0301",  # a combining accent
    "\r\n",
    "\n",
    " ",
    "—",
    "9" * 5000,  # beyond Python's default int parsing limit of 4300 digits
    str(2**64),
    "-1",
    "1e999",
    "NaN",
]

odd_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=20))


@st.composite
def mutated(draw: st.DrawFn, text: str, max_edits: int = 4) -> str:
    """``text`` with one to ``max_edits`` edits at drawn positions."""
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "cut", "duplicate", "swap"]))
        if kind == "flip" and at < len(text):
            text = text[:at] + chr(ord(text[at]) ^ (1 << draw(st.integers(0, 7)))) + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif kind == "insert":
            text = text[:at] + draw(odd_text) + text[at:]
        elif kind == "cut":
            text = text[:at]
        elif kind == "duplicate":
            text = text[:at] + text[at : at + draw(st.integers(1, 40))] + text[at:]
        elif kind == "swap":
            other = draw(st.integers(0, len(text)))
            low, high = sorted((at, other))
            text = text[:low] + text[high:] + text[low:high]
    return text


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if depth % 2 else {"a": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**64, -(2**63) - 1, 10**400, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=12,
) | st.sampled_from([_deep(20), _deep(200)])


@st.composite
def mutated_json(draw: st.DrawFn, value: Any, max_edits: int = 3) -> Any:
    """``value`` (a JSON object or array) with members replaced, removed or added."""
    for _ in range(draw(st.integers(1, max_edits))):
        value = _edit(draw, value)
    return value


def _edit(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["replace", "remove", "recurse", "add"]))
        copy = dict(value)
        if action == "replace":
            copy[key] = draw(json_values)
        elif action == "remove":
            del copy[key]
        elif action == "recurse":
            copy[key] = _edit(draw, copy[key])
        else:
            copy[draw(odd_text)] = draw(json_values)
        return copy
    if isinstance(value, list) and value and draw(st.booleans()):
        at = draw(st.integers(0, len(value) - 1))
        copy_list = list(value)
        copy_list[at] = _edit(draw, copy_list[at]) if draw(st.booleans()) else draw(json_values)
        return copy_list
    return draw(json_values)
