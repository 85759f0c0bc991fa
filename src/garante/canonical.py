"""RFC 8785 (JCS) canonical JSON, with fast paths for the values Garante itself writes.

For JSON made only of objects with string keys, arrays, strings, booleans, null and integers
within ±2^53, compact JSON with sorted keys and no ASCII escaping is exactly the RFC 8785
bytes, provided no string holds a character outside the Basic Multilingual Plane (JCS sorts
keys by UTF-16 code units, compact JSON writers by code points, and the two orders differ only
there). ``canonical`` writes such values with ``orjson`` (about seven times quicker than the
stdlib encoder, and every audit entry pays it), after a walk that admits only those types;
``orjson`` itself refuses what the walk leaves to it (integers beyond ±(2^53 - 1), keys that
are not exactly ``str``, subclasses, lone surrogates, nesting deeper than it supports), and
then, like anything else (floats, astral characters), the value goes the older way: the stdlib
encoder where it is exact, else the ``rfc8785`` library, whose errors are the ones raised.
``tests/test_canonical.py`` checks the three agree byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import orjson
import rfc8785

# A JSON value and a JSON object, as Python holds them: what a signed statement, an audit
# entry's data or a STIX object is. Precise where ``Any`` would switch checking off.
Json: TypeAlias = "str | int | float | bool | Sequence[Json] | Mapping[str, Json] | None"
JsonObject: TypeAlias = "Mapping[str, Json]"

_MAX_SAFE = 2**53
_ASTRAL = "\U00010000"


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what the stdlib fast path encodes as RFC 8785 does: dicts
    with string keys, lists, tuples, strings, booleans, None and integers within ±2^53 (exact
    types, no subclasses). Characters beyond the BMP are checked on the encoded text instead,
    in one pass in C (``canonical``), not string by string here."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is str or node is None or kind is bool:
            continue
        if kind is dict:
            for key in node:
                if type(key) is not str:
                    return False
            extend(node.values())
        elif kind is int:
            if not -_MAX_SAFE < node < _MAX_SAFE:
                return False
        elif kind is list or kind is tuple:
            extend(node)
        else:
            return False
    return True


PLAIN_LEAVES = frozenset({str, int, bool, type(None)})
"""The types of a plain value's leaves, exactly (no subclasses)."""
_CONTAINERS = frozenset({dict, list, tuple})


def plain_shape(value: Any) -> bool:
    """Whether every value in ``value`` is exactly a dict, list, tuple, str, int, bool or None.

    Only the types of values: ``orjson`` with ``_ORJSON_OPTIONS`` refuses what else the
    stdlib path's ``_plain`` checks (keys that are not exactly ``str``, integers beyond
    ±(2^53 - 1)). What it would write and RFC 8785 would not, or not alike, is what this
    walk refuses: floats (other number forms), and the types it writes natively that are no
    JSON at all (enums, UUIDs, its own fragments). Half the cost of ``_plain``: one loop
    over each container's items, a set lookup per item.
    """
    if type(value) not in _CONTAINERS:
        return type(value) in PLAIN_LEAVES
    stack = [value]
    pop, append = stack.pop, stack.append
    leaves = PLAIN_LEAVES
    while stack:
        node = pop()
        for item in node.values() if type(node) is dict else node:
            kind = type(item)
            if kind in leaves:
                continue
            if kind is dict or kind is list or kind is tuple:
                append(item)
            else:
                return False
    return True


_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
"""One encoder, made once: ``json.dumps`` with these options builds a new one per call."""

_DUMPS = orjson.dumps
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER  # beyond ±(2^53 - 1) raises: RFC 8785 wants IEEE doubles there
    | orjson.OPT_PASSTHROUGH_SUBCLASS  # subclasses of str, int, dict, list raise
    | orjson.OPT_PASSTHROUGH_DATACLASS  # as do dataclasses (no ``default``)
    # The instants ``canonical_plain``'s caller leaves in a value (``canonical``'s walk admits
    # none), each as ``timeutil.iso`` writes it: ``2025-11-15T12:00:00Z``, the year in four
    # digits, the fraction of a second cut.
    | orjson.OPT_UTC_Z
    | orjson.OPT_OMIT_MICROSECONDS
)
_FOUR_BYTE_UTF8 = re.compile(b"[\xf0-\xff]")
"""The lead byte of a character beyond the BMP: the only bytes of valid UTF-8 this high."""


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value."""
    if plain_shape(value):
        encoded = canonical_plain(value)
        if encoded is not None:
            return encoded
    # What orjson cannot give exactly: the stdlib path or the library decides, and raises as
    # it always did.
    return _canonical_stdlib(value)


def canonical_plain(value: Any) -> bytes | None:
    """The RFC 8785 bytes of a value its caller vouches is plain, or None where ``orjson``
    alone cannot give them (the caller then takes ``canonical`` on the value as it would
    otherwise be logged).

    Plain: every value in it, at every depth, is exactly a dict, list, tuple, str, int, bool
    or None, what ``canonical``'s walk admits (``plain_shape``), or an instant in UTC (exactly
    a ``datetime`` whose ``tzinfo`` is ``datetime.UTC``), written as ``timeutil.iso`` writes
    it: orjson does that in C, ten times quicker than formatting it in Python first, and an
    entry records one or more instants. An instant in another zone, or naive, would be written
    as it is, not in UTC: the caller converts those with ``iso``. Why: the audit append builds
    its entry from an event whose fields it checks one by one as it reads them
    (``AuditEvent.plain_data``), so walking the whole entry again before ``orjson`` would
    visit every value twice; that walk was a third of the entry's canonical JSON. What the
    walk leaves to ``orjson`` it still refuses here (big integers, keys that are not exactly
    ``str``), and text beyond the BMP is checked on the bytes, as in ``canonical``.
    """
    try:
        encoded = _DUMPS(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    # orjson writes every character of every key and string as UTF-8: no 4-byte sequence
    # means no character beyond the BMP, so JCS's key order is orjson's.
    if encoded.isascii() or _FOUR_BYTE_UTF8.search(encoded) is None:
        return encoded
    return None


def _canonical_stdlib(value: Any) -> bytes:
    """``canonical`` without ``orjson``: the stdlib encoder where it is exact, else the
    ``rfc8785`` library."""
    if _plain(value):
        text = _ENCODE(value)
        # With ensure_ascii off, every character of every key and string is in the text as
        # it is: none beyond the BMP means JCS's key order is Python's.
        if text.isascii() or max(text) < _ASTRAL:
            return text.encode()
    return bytes(rfc8785.dumps(value))


class _NotSimple(Exception):
    """The document holds something the fast check does not cover."""


def _no_float(text: str) -> Any:
    raise _NotSimple(text)


def _safe_int(text: str) -> int:
    value = int(text)
    if not -_MAX_SAFE < value < _MAX_SAFE:
        raise _NotSimple(text)
    return value


NOT_JSON: object = type("NotJson", (), {"__repr__": lambda self: "NOT_JSON"})()
"""What ``read_canonical`` gives as the value of a document that is not JSON."""


def is_canonical(document: bytes) -> bool:
    """Whether ``document`` is exactly the RFC 8785 form of the JSON it holds.

    The verifier asks this of every entry, so the common case (no floats, no big integers, no
    characters beyond the BMP, hence no 4-byte UTF-8 sequences) is checked by one parse and one
    ``json.dumps``; anything else goes through the library.
    """
    return read_canonical(document)[0]


def read_canonical(document: bytes) -> tuple[bool, object]:
    """``is_canonical(document)``, and the JSON value the document holds (``NOT_JSON`` if
    none), for a reader of the entries that would otherwise parse each one again."""
    try:
        if not document.isascii() and any(byte >= 0xF0 for byte in document):
            raise _NotSimple("astral")
        value = json.loads(document, parse_float=_no_float, parse_int=_safe_int)
    except _NotSimple:
        try:
            value = json.loads(document)
        except ValueError:
            return False, NOT_JSON
        try:
            # JCS numbers are IEEE doubles: read every number as one.
            return bytes(rfc8785.dumps(json.loads(document, parse_int=float))) == document, value
        except (ValueError, TypeError, rfc8785.CanonicalizationError):
            return False, value
    except ValueError:
        return False, NOT_JSON
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return encoded.encode() == document, value
