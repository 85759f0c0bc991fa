"""An audit entry's bytes: the plain path (``plain_data`` and ``canonical_plain``) writes what
the reference path (``canonical`` of ``data()``) writes, for every kind of event."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest
import rfc8785

from garante.canonical import canonical, canonical_plain
from garante.domain.condition import ConditionRule
from garante.domain.decision import Outcome
from garante.domain.events import (
    EVENTS,
    AgencyKeySet,
    AuditEvent,
    DeliveredObject,
    EventKind,
    EventRecorded,
    RuleCited,
)
from garante.domain.order import Acting
from garante.domain.passkeys import Assertion, Attestation
from garante.service.transaction import entry_bytes

AT = datetime(2025, 11, 13, 9, 30, tzinfo=UTC)
NOW = "2025-11-15T12:00:00Z"
ACTOR = "operator"

# A value for each type a field of an event is declared with; text beyond ASCII, nested
# objects and arrays, so each path meets more than the simplest JSON.
SAMPLES: dict[str, Any] = {
    "str": "señal-ñ",
    "int": 7,
    "bool": True,
    "datetime": AT,
    "JsonObject": {
        "type": "garante.test/v1",
        "n": -(2**53 - 1),
        "nested": {"list": [1, "b", None, True, {"k": "v"}], "empty": {}},
        "ok": False,
    },
    "Outcome": Outcome.HELD,
    "Acting": Acting.SUPERIOR,
    "Assertion": Assertion(
        credential_id="cred", authenticator_data="auth", client_data_json="{}", signature="sig"
    ),
    "Attestation": Attestation(challenge="c", client_data_json="{}", attestation_object="o"),
    "ConditionRule": ConditionRule(kind="vessel-strike", region="caribbean", min_events=2),
    "tuple[DeliveredObject, ...]": (DeliveredObject(id="report--1", digest="sha256:ab"),),
    "tuple[RuleCited, ...]": (RuleCited(rule="3.order", cites="order:us-suspension"),),
    "tuple[int, ...]": (1, 2, 3),
    "tuple[str, ...]": ("a", "ü"),
}


def sample(cls: type[AuditEvent], *, none: bool) -> AuditEvent:
    """An event of ``cls`` with a value in each field, or None in each field that may be."""
    values = {}
    for f in fields(cls):
        declared = str(f.type)
        may_be_none = declared.endswith(" | None")
        values[f.name] = None if none and may_be_none else SAMPLES[declared.removesuffix(" | None")]
    return cls(**values)


def reference(event: AuditEvent) -> bytes:
    kind = event.entry_kind.value
    return canonical({"v": 1, "kind": kind, "at": NOW, "actor": ACTOR, "data": event.data()})


def plain(event: AuditEvent) -> bytes | None:
    """The plain path alone: None where it would hand the entry to the reference path."""
    data = event.plain_data()
    if data is None:
        return None
    kind = event.entry_kind.value
    return canonical_plain({"v": 1, "kind": kind, "at": NOW, "actor": ACTOR, "data": data})


@pytest.mark.parametrize("none", [False, True], ids=["values", "nones"])
@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_the_plain_path_writes_the_reference_bytes_for_every_kind(
    kind: EventKind, none: bool
) -> None:
    event = sample(EVENTS[kind], none=none)
    assert plain(event) == reference(event)


def recorded(**changes: Any) -> EventRecorded:
    event = sample(EventRecorded, none=False)
    assert isinstance(event, EventRecorded)
    return replace(event, **changes)


class Label(StrEnum):
    STRIKE = "vessel-strike"


def test_a_subclass_of_str_in_a_field_is_logged_as_its_text_on_the_plain_path() -> None:
    event = recorded(kind=Label.STRIKE)
    assert plain(event) == reference(event)


def test_an_instant_not_in_utc_is_logged_in_utc_on_the_plain_path() -> None:
    event = recorded(occurred_at=AT.astimezone(timezone(timedelta(hours=-5))))
    assert plain(event) == reference(event)


@pytest.mark.parametrize(
    "statement",
    [{"when": AT}, {"nested": {"label": Label.STRIKE}}, {"list": [{"when": AT}]}],
    ids=["instant", "nested-subclass", "nested-instant"],
)
def test_a_statement_the_data_converts_is_converted_on_the_plain_path(
    statement: dict[str, Any],
) -> None:
    event = recorded(statement=statement)
    assert plain(event) == reference(event)


def test_a_float_takes_the_reference_path() -> None:
    event = recorded(statement={"score": 0.5, "exponent": 1e21})
    assert event.plain_data() is None
    assert entry_bytes(EventKind.EVENT_RECORDED.value, NOW, ACTOR, event) == reference(event)


@pytest.mark.parametrize(
    "statement",
    [
        {"text": "emoji \U0001f600"},  # beyond the BMP: JCS sorts keys by UTF-16 units
        {"\U0001f600": 1, "\ue000": 2},  # keys whose orders differ between UTF-16 and UTF-8
        {1: "key not text"},
        {Label.STRIKE: "key a subclass of str"},
    ],
    ids=["astral-text", "astral-keys", "int-key", "subclass-key"],
)
def test_what_orjson_cannot_write_as_rfc_8785_takes_the_reference_path(
    statement: dict[Any, Any],
) -> None:
    event = AgencyKeySet(
        agency="dea", public_key="key", statement=statement, signature=None, recovered_by=None
    )
    assert plain(event) is None
    assert entry_bytes(EventKind.AGENCY_KEY_SET.value, NOW, ACTOR, event) == reference(event)


@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_an_entry_is_written_with_the_reference_bytes(kind: EventKind) -> None:
    event = sample(EVENTS[kind], none=False)
    assert entry_bytes(kind.value, NOW, ACTOR, event) == reference(event)


def test_an_integer_beyond_what_a_double_holds_is_refused_as_before() -> None:
    event = recorded(statement={"big": 2**53})
    assert plain(event) is None
    with pytest.raises(rfc8785.IntegerDomainError):
        entry_bytes(EventKind.EVENT_RECORDED.value, NOW, ACTOR, event)


@pytest.mark.parametrize(
    "at",
    [AT.replace(microsecond=999_999), datetime(7, 1, 2, 3, 4, 5, tzinfo=UTC)],
    ids=["fraction-of-a-second", "year-of-one-digit"],
)
def test_an_instant_in_utc_is_written_as_iso_writes_it_on_the_plain_path(at: datetime) -> None:
    event = recorded(occurred_at=at)
    assert plain(event) == reference(event)


def test_an_actor_beyond_the_bmp_takes_the_reference_path() -> None:
    event = recorded()
    actor = "operator \U0001f600"
    expected = canonical(
        {"v": 1, "kind": event.entry_kind.value, "at": NOW, "actor": actor, "data": event.data()}
    )
    assert entry_bytes(EventKind.EVENT_RECORDED.value, NOW, actor, event) == expected
