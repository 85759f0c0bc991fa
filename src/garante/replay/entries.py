"""One audit entry as an inspector reads it: its bytes parsed, its data its event.

An entry is the RFC 8785 canonical JSON ``{"v", "kind", "at", "actor", "data"}`` written by
``Transaction.audit``. The bytes are what the log's hashes cover; this is what they say. The
``data`` is read once into the event class of its kind (``domain/events.py``), by a reader
derived from that class's fields, so a check reads typed fields and a field missing or of the
wrong type is named where it is read, not found later as a ``KeyError``.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import TypeVar, cast

from garante.domain.errors import GaranteError
from garante.domain.events import EVENTS, LATER, AuditEvent, JsonObject
from garante.domain.timeutil import parse_time


class UnreadableEntry(ValueError):
    """An entry whose bytes are not the JSON object an audit entry is."""


class UnreadableEvent(ValueError):
    """An entry's data, or a statement in it, that is not what its kind says: a field missing,
    or of another type. The replay names the entry and goes on."""


@lru_cache(maxsize=4096)
def instant(text: str) -> datetime:
    """A logged time (``2025-11-11T21:00:00Z``); cached, since a busy second has many entries."""
    return parse_time(text)


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """An entry read: ``event`` is its data as its kind's class, or None when its kind is one
    this replay does not know or its data cannot be read (``unreadable`` then says why)."""

    index: int
    kind: str
    at: datetime
    actor: str
    event: AuditEvent | None
    unreadable: str | None = None

    @classmethod
    def read(cls, index: int, entry: bytes | str) -> LoggedEntry:
        try:
            value = json.loads(entry)
        except ValueError as exc:
            raise UnreadableEntry(f"entry {index} is not an audit entry: {exc}") from None
        return cls.of(index, value)

    @classmethod
    def of(cls, index: int, value: object) -> LoggedEntry:
        """The entry whose bytes hold the JSON ``value`` (parsed once, by whoever read them)."""
        try:
            if type(value) is not dict:
                raise TypeError(f"{_what(value)} is not an object")
            kind = str(value["kind"])
            at = instant(str(value["at"]))
            actor = str(value["actor"])
            data = value["data"]
        except (ValueError, KeyError, TypeError, GaranteError) as exc:
            raise UnreadableEntry(f"entry {index} is not an audit entry: {exc}") from None
        event_class = _CLASSES.get(kind)
        if event_class is None:
            return cls(index=index, kind=kind, at=at, actor=actor, event=None)
        try:
            event = read_event(event_class, data)
        except UnreadableEvent as exc:
            return cls(
                index=index, kind=kind, at=at, actor=actor, event=None, unreadable=f"data{exc}"
            )
        return cls(index=index, kind=kind, at=at, actor=actor, event=event)


_CLASSES: dict[str, type[AuditEvent]] = {kind.value: event for kind, event in EVENTS.items()}

E = TypeVar("E")


def read_event(event: type[E], data: object) -> E:
    """``data`` as an ``event`` (a dataclass): each field read by the type it declares.

    A field is required unless it has a default (then it may be absent) or is marked
    ``events.later`` (absent from entries logged before it existed: read as None). Keys the
    class does not name are not read.
    """
    reader = _READERS.get(event)
    if reader is None:
        reader = _READERS[event] = _object_reader(event)
    return cast(E, reader(data))


# -- the readers, one per type, built once ---------------------------------------------------

_Read = Callable[[object], object]
_READERS: dict[type, _Read] = {}
_ABSENT = object()


def _what(value: object) -> str:
    return "null" if value is None else f"{json.dumps(value)[:40]} ({type(value).__name__})"


def _exact(kind: type) -> _Read:
    """A JSON string, boolean or number as it is: ``1`` is no boolean, ``true`` no number."""

    def read(value: object) -> object:
        if type(value) is kind:
            return value
        raise UnreadableEvent(f" is {_what(value)}, not {kind.__name__}")

    return read


def _number(value: object) -> object:
    if type(value) is float or type(value) is int:
        return value
    raise UnreadableEvent(f" is {_what(value)}, not a number")


def _time(value: object) -> object:
    if type(value) is str:
        try:
            return instant(value)
        except GaranteError as exc:
            raise UnreadableEvent(f" is not a time: {exc}") from None
    raise UnreadableEvent(f" is {_what(value)}, not a time")


def _json_object(value: object) -> object:
    if type(value) is dict:
        return value
    raise UnreadableEvent(f" is {_what(value)}, not an object")


def _enum(kind: type[Enum]) -> _Read:
    members = {member.value: member for member in kind}

    def read(value: object) -> object:
        found = members.get(value) if type(value) is str else None
        if found is None:
            allowed = ", ".join(str(v) for v in members)
            raise UnreadableEvent(f" is {_what(value)}, not one of {allowed}")
        return found

    return read


def _optional(inner: _Read) -> _Read:
    def read(value: object) -> object:
        return None if value is None else inner(value)

    return read


def _tuple(inner: _Read, plain: type | None) -> _Read:
    def read(value: object) -> object:
        if type(value) is not list:
            raise UnreadableEvent(f" is {_what(value)}, not a list")
        if plain is not None and all(type(item) is plain for item in value):
            return tuple(value)  # the common case, checked at once
        found = []
        for at, item in enumerate(value):
            try:
                found.append(inner(item))
            except UnreadableEvent as exc:
                raise UnreadableEvent(f"[{at}]{exc}") from None
        return tuple(found)

    return read


def _object_reader(kind: type) -> _Read:
    # Signed statements stay the JSON objects they were signed as (``JsonObject``).
    hints = typing.get_type_hints(kind, localns=_JSON_AS_READ)
    # Per field: its name, the plain type a value of it usually has (taken as it is, without
    # a call: the replay reads millions of fields), how to read any other value, and what an
    # entry without it holds (``_ABSENT``: it may not lack it).
    plan: list[tuple[str, type | None, _Read, object]] = []
    for f in fields(kind):
        if f.metadata.get(LATER):
            absent: object = None
        elif f.default is not MISSING:
            absent = f.default
        else:
            absent = _ABSENT
        hint = hints[f.name]
        plan.append((f.name, _plain(hint), _reader(hint), absent))

    def read(value: object) -> object:
        if type(value) is not dict:
            raise UnreadableEvent(f" is {_what(value)}, not an object")
        found: dict[str, object] = {}
        for name, plain, read_field, absent in plan:
            item = value.get(name, _ABSENT)
            if type(item) is plain:
                found[name] = item
            elif item is _ABSENT:
                if absent is _ABSENT:
                    raise UnreadableEvent(f".{name} is missing")
                found[name] = absent
            else:
                try:
                    found[name] = read_field(item)
                except UnreadableEvent as exc:
                    raise UnreadableEvent(f".{name}{exc}") from None
        return kind(**found)

    return read


def _plain(hint: object) -> type | None:
    """``str`` for ``str`` or ``str | None``, and so on; None for any other type."""
    if hint in _PLAIN:
        return cast(type, hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        [inner] = [a for a in typing.get_args(hint) if a is not type(None)]
        return _plain(inner)
    return None


_PLAIN = (str, int, bool)
_JSON_AS_READ = {"JsonObject": Mapping[str, object], "Json": object}


def _reader(hint: object) -> _Read:
    """How a value of the type ``hint`` is read from JSON."""
    if hint in _PLAIN:
        return _exact(cast(type, hint))
    if hint is float:
        return _number
    if hint is datetime:
        return _time
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is types.UnionType or origin is typing.Union:
        [inner] = [a for a in args if a is not type(None)]
        return _optional(_reader(inner))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        plain = args[0] if args[0] in _PLAIN else None
        return _tuple(_reader(args[0]), plain)
    if origin is Mapping:
        return _json_object
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint)
    if isinstance(hint, type) and is_dataclass(hint):
        reader = _READERS.get(hint)
        if reader is None:
            reader = _READERS[hint] = _object_reader(hint)
        return reader
    raise TypeError(f"an audit entry cannot hold a {hint}")


# -- inside a signed statement ---------------------------------------------------------------
#
# A statement stays the JSON object its signer signed (its bytes are what the signature
# covers); the checks read what they compare out of it with these, which name a missing or
# mistyped member as ``read_event`` names a field.


def text(statement: JsonObject, name: str) -> str:
    value = statement.get(name)
    if type(value) is str:
        return value
    raise UnreadableEvent(f"its statement's {name} is {_what(value)}, not a string")


def maybe_text(statement: JsonObject, name: str) -> str | None:
    value = statement.get(name)
    return None if value is None else text(statement, name)


def whole(statement: JsonObject, name: str) -> int:
    value = statement.get(name)
    if type(value) is int:
        return value
    raise UnreadableEvent(f"its statement's {name} is {_what(value)}, not a whole number")


def member(statement: JsonObject, name: str) -> JsonObject:
    value = statement.get(name)
    if isinstance(value, Mapping):
        return value
    raise UnreadableEvent(f"its statement's {name} is {_what(value)}, not an object")


def texts(statement: JsonObject, name: str) -> tuple[str, ...]:
    """A list of strings; absent or null, none."""
    value = statement.get(name)
    if value is None:
        return ()
    if isinstance(value, list) and all(type(item) is str for item in value):
        return tuple(value)
    raise UnreadableEvent(f"its statement's {name} is {_what(value)}, not a list of strings")
