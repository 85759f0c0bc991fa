"""The links of ``garante db check`` are derived from the event classes, and agree with them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pytest

from garante.domain.events import (
    EVENTS,
    AgencyRegistered,
    AuditEvent,
    EventKind,
    OrderIssued,
    ReleaseDecided,
    TokenRevoked,
    ref,
    refs,
)
from garante.store import integrity
from garante.store.integrity import UnlinkedColumn, event_field
from garante.store.schema import AgencyRow, Base, DecisionRow, OrderVersionRow

DIALECTS = ["sqlite", "postgresql"]


def links(dialect: str) -> list[integrity._Link]:
    return integrity._links(integrity._entry_field(dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_field_a_link_reads_exists_on_its_event_class(dialect: str) -> None:
    for link in links(dialect):
        for event, name, _member in link.fields:
            assert name in {f.name for f in fields(event)}, (link.name, event.__name__, name)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_event_a_link_reads_is_of_a_kind_it_checks(dialect: str) -> None:
    for link in links(dialect):
        assert {event.entry_kind for event, _, _ in link.fields} == set(link.kinds), link.name


def test_every_kind_that_records_a_row_is_linked() -> None:
    linked = {kind for link in links("sqlite") for kind in link.kinds}
    # Settings have no row to compare with; integrity.NOT_LINKED says so in every report.
    assert linked == set(EventKind) - {EventKind.SETTINGS_CHANGED}


def test_every_column_an_event_field_holds_is_in_the_schema() -> None:
    tables = Base.metadata.tables
    for event in EVENTS.values():
        for f, reference in refs(event):
            table, column = reference.column.split(".")
            assert column in tables[table].columns, (event.__name__, f.name, reference.column)


def test_a_member_reference_is_made_only_on_an_object_field() -> None:
    for event in EVENTS.values():
        for f, reference in refs(event):
            if reference.member is not None:
                assert f.name == "statement", (event.__name__, f.name)


def test_a_column_is_found_in_the_field_that_holds_it() -> None:
    assert event_field(AgencyRegistered, AgencyRow.id) == ("agency", None)


def test_a_column_is_found_in_a_member_of_a_statement() -> None:
    assert event_field(OrderIssued, OrderVersionRow.version) == ("statement", "version")


def test_a_foreign_key_is_found_in_the_field_holding_the_row_it_references() -> None:
    assert event_field(ReleaseDecided, DecisionRow.request_id) == ("request", None)


def test_an_event_that_holds_no_such_column_fails_the_link() -> None:
    with pytest.raises(UnlinkedColumn, match=r"TokenRevoked has no field holding agencies\.id"):
        event_field(TokenRevoked, AgencyRow.id)


def test_two_fields_holding_one_column_fail_the_link() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Twice(AuditEvent):
        entry_kind = EventKind.AGENCY_REGISTERED
        agency: str = field(metadata=ref("agencies.id"))
        again: str = field(metadata=ref("agencies.id"))

    with pytest.raises(UnlinkedColumn, match=r"2 fields holding agencies\.id"):
        event_field(Twice, AgencyRow.id)
