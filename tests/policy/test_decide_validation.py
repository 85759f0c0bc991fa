"""Rule (1): a request naming an unknown item, agency or purpose is an error, not a decision."""

from __future__ import annotations

import pytest

from garante.domain import Vocabulary
from garante.domain.errors import AgencyNotFound, ItemNotFound, UnknownValue
from garante.policy import decide
from tests.policy.policy_builders import item, order, request, state


def test_unknown_item_raises_item_not_found_on_field_item() -> None:
    with pytest.raises(ItemNotFound) as raised:
        decide(request(item_id="no-such-item"), state())
    assert raised.value.field == "item"
    assert raised.value.code == "item.not_found"
    assert "no-such-item" in raised.value.message


def test_unknown_recipient_raises_agency_not_found_on_field_recipient() -> None:
    with pytest.raises(AgencyNotFound) as raised:
        decide(request(recipient_id="cia"), state())
    assert raised.value.field == "recipient"
    assert raised.value.code == "agency.not_found"
    assert "cia" in raised.value.message


def test_unknown_recipient_hint_suggests_the_closest_agency() -> None:
    with pytest.raises(AgencyNotFound) as raised:
        decide(request(recipient_id="dae"), state())
    assert raised.value.hint is not None
    assert "dea" in raised.value.hint


def test_unknown_purpose_raises_unknown_value_on_field_purpose() -> None:
    with pytest.raises(UnknownValue) as raised:
        decide(request(purpose="regime-change"), state())
    assert raised.value.field == "purpose"
    assert raised.value.code == "validation.unknown_value"
    assert "regime-change" in raised.value.message


def test_unknown_purpose_hint_suggests_the_closest_purpose() -> None:
    with pytest.raises(UnknownValue) as raised:
        decide(request(purpose="seizures"), state())
    assert raised.value.hint is not None
    assert "did you mean 'seizure'" in raised.value.hint


def test_purpose_outside_the_configured_vocabulary_is_unknown() -> None:
    narrow = Vocabulary(purposes=frozenset({"analysis"}))
    with pytest.raises(UnknownValue) as raised:
        decide(request(purpose="seizure"), state(vocabulary=narrow))
    assert raised.value.field == "purpose"


def test_item_is_checked_before_recipient_and_purpose() -> None:
    with pytest.raises(ItemNotFound):
        decide(request("no-such-item", "cia", "regime-change"), state())


def test_recipient_is_checked_before_purpose() -> None:
    with pytest.raises(AgencyNotFound):
        decide(request(recipient_id="cia", purpose="regime-change"), state())


def test_validation_precedes_every_order() -> None:
    deny_everything = order(effect="deny")
    with pytest.raises(UnknownValue):
        decide(request(purpose="regime-change"), state(orders=[deny_everything]))


def test_validation_precedes_fail_closed_markings() -> None:
    with pytest.raises(UnknownValue):
        decide(request(purpose="regime-change"), state(items=[item(tlp="purple")]))
