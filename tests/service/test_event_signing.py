"""An event a derived condition counts is the reporting agency's word, signed when it has a key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from garante.domain.errors import (
    AgencyNotFound,
    NotEntitled,
    SignatureError,
    SignatureRequired,
    UnknownValue,
    ValidationError,
)
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import encode_signature, public_key_bytes, sign_statement

ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")


@pytest.fixture
def keyed(world: Garante) -> Garante:
    """DIPOL, which reports strikes, has a registered key."""
    world.set_agency_key("dipol", public_key_bytes(demo_key("dipol").public_key()))
    return world


def _terms(world: Garante, **changes: Any) -> dict[str, Any]:
    at: datetime = world.clock.now()
    return {
        "kind": "vessel-strike",
        "region": "caribbean",
        "occurred_at": at,
        "source": "navy patrol",
        "note": "strike off La Guajira",
        "agency_id": "dipol",
        **changes,
    }


def _state(world: Garante) -> tuple[int, int, bool]:
    """Events stored, entries logged, and whether the derived condition holds."""
    [strikes] = [c for c in world.conditions() if c.id == "strikes"]
    return len(world.events()), world.ledger_size(), strikes.active


def _recorded(world: Garante, start: int) -> dict[str, Any]:
    entries = world.entries(start, world.ledger_size())
    [entry] = [e for e in entries if e.kind == "event.recorded"]
    data: dict[str, Any] = json.loads(entry.entry)["data"]
    return data


def test_a_signed_event_is_accepted_and_logged_with_its_statement(keyed: Garante) -> None:
    terms = _terms(keyed)
    statement = keyed.event_statement(**terms)
    signature = sign_statement(demo_key("dipol"), statement)
    before = keyed.ledger_size()
    event = keyed.record_event(**terms, signature=signature).value
    assert (event.agency, event.signed) == ("dipol", True)
    data = _recorded(keyed, before)
    assert data["statement"] == statement
    assert data["statement"]["type"] == "garante.event/v1"
    assert (data["agency"], data["signature"]) == ("dipol", encode_signature(signature))


def test_an_unsigned_event_is_refused_when_the_agency_has_a_key(keyed: Garante) -> None:
    before = _state(keyed)
    with pytest.raises(SignatureRequired) as refused:
        keyed.record_event(**_terms(keyed))
    assert refused.value.code == "signature.required"
    assert _state(keyed) == before


def test_an_event_signed_by_another_key_is_refused(keyed: Garante) -> None:
    terms = _terms(keyed)
    forged = sign_statement(demo_key("dea"), keyed.event_statement(**terms))
    before = _state(keyed)
    with pytest.raises(SignatureError) as refused:
        keyed.record_event(**terms, signature=forged)
    assert refused.value.code == "signature.invalid"
    assert _state(keyed) == before


def test_a_signature_over_other_terms_is_refused(keyed: Garante) -> None:
    signed = keyed.event_statement(**_terms(keyed, region="pacific"))
    signature = sign_statement(demo_key("dipol"), signed)
    with pytest.raises(SignatureError):
        keyed.record_event(**_terms(keyed), signature=signature)


def test_an_event_of_an_agency_without_a_key_is_recorded_unsigned(world: Garante) -> None:
    before = world.ledger_size()
    event = world.record_event(**_terms(world)).value
    assert (event.agency, event.signed) == ("dipol", False)
    data = _recorded(world, before)
    assert data["signature"] is None and data["statement"]["agency"] == "dipol"


def test_an_analyst_reports_for_its_own_agency_by_default(world: Garante) -> None:
    terms = {k: v for k, v in _terms(world).items() if k != "agency_id"}
    event = world.acting_as(ANALYST).record_event(**terms).value
    assert event.agency == "dipol"


def test_an_analyst_cannot_report_for_another_agency(world: Garante) -> None:
    before = _state(world)
    with pytest.raises(NotEntitled) as refused:
        world.acting_as(ANALYST).record_event(**_terms(world, agency_id="dea"))
    assert refused.value.field == "agency"
    with pytest.raises(NotEntitled):
        world.acting_as(ANALYST).event_statement(**_terms(world, agency_id="dea"))
    assert _state(world) == before


def test_the_operator_must_name_the_reporting_agency(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        world.record_event(**_terms(world, agency_id=None))
    assert refused.value.field == "agency"


def test_the_reporting_agency_must_be_registered(world: Garante) -> None:
    before = _state(world)
    with pytest.raises(AgencyNotFound):
        world.record_event(**_terms(world, agency_id="ghost"))
    assert _state(world) == before


def test_an_event_of_a_kind_no_condition_counts_is_refused_with_the_kind_meant(
    world: Garante,
) -> None:
    before = _state(world)
    with pytest.raises(
        UnknownValue, match="no condition counts events of kind 'vesel-strike'"
    ) as x:
        world.record_event(**_terms(world, kind="vesel-strike"))
    assert x.value.field == "kind" and "did you mean 'vessel-strike'" in (x.value.hint or "")
    with pytest.raises(UnknownValue):
        world.event_statement(**_terms(world, kind="vesel-strike"))
    assert _state(world) == before
