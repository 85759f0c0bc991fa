"""Bad input is refused with an error naming the field and what would be accepted."""

from __future__ import annotations

import pytest

from garante.domain.errors import (
    AgencyNotFound,
    GaranteError,
    InvalidBundle,
    UnknownValue,
    ValidationError,
)
from garante.domain.order import Scope
from garante.service.app import Garante
from tests.service.orders import issue
from tests.support.scenario import scenario_bundle


def test_unknown_recipient_suggests_the_closest_agency(world: Garante) -> None:
    with pytest.raises(AgencyNotFound) as raised:
        world.request_release("lead", recipient="dae", purpose="seizure")
    assert raised.value.field == "recipient"
    assert "did you mean 'dea'" in (raised.value.hint or "")


def test_unknown_purpose_lists_the_accepted_purposes(world: Garante) -> None:
    with pytest.raises(UnknownValue) as raised:
        world.request_release("lead", recipient="dea", purpose="sezure")
    assert raised.value.field == "purpose"
    assert "did you mean 'seizure'" in (raised.value.hint or "")


def test_malformed_bundle_json_is_refused(world: Garante) -> None:
    with pytest.raises(InvalidBundle, match="not JSON"):
        _add(world, bundle='{"type": "bundle",')


def test_bundle_that_is_not_stix_2_1_is_refused(world: Garante) -> None:
    bundle = scenario_bundle()
    del bundle["objects"][0]["name"]  # a report must have a name
    with pytest.raises(InvalidBundle, match=r"not valid STIX 2\.1") as raised:
        _add(world, bundle=bundle)
    assert raised.value.field == "bundle"


def test_empty_bundle_is_refused(world: Garante) -> None:
    with pytest.raises(InvalidBundle, match="no objects"):
        _add(world, bundle={"type": "bundle", "id": scenario_bundle()["id"], "objects": []})


def test_unknown_tlp_marking_is_refused_on_the_way_in(world: Garante) -> None:
    with pytest.raises(ValidationError) as raised:
        _add(world, tlp="amber-strict")
    assert raised.value.field == "tlp"
    assert "amber+strict" in (raised.value.hint or "")


def test_order_scope_with_a_country_typo_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as raised:
        issue(world, scope=Scope(countries=frozenset({"USA"})))
    assert raised.value.field == "scope.countries"


def test_order_scope_with_a_country_no_agency_is_in_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as raised:
        issue(world, scope=Scope(countries=frozenset({"UK"})))
    assert "GB" in (raised.value.hint or "")
    assert raised.value.field == "scope.countries"


def test_order_scope_with_an_agency_typo_is_refused(world: Garante) -> None:
    with pytest.raises(AgencyNotFound) as raised:
        issue(world, scope=Scope(agencies=frozenset({"deaa"})))
    assert raised.value.field == "scope.agencies"
    assert "did you mean 'dea'" in (raised.value.hint or "")


def test_order_scope_with_an_unknown_category_is_refused(world: Garante) -> None:
    with pytest.raises(UnknownValue) as raised:
        issue(world, scope=Scope(categories=frozenset({"joint-case-work"})))
    assert raised.value.field == "scope.categories"


def test_require_order_without_clauses_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError, match="must name the clauses"):
        issue(world, effect="require")


def test_exempt_order_without_targets_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError, match="must name the orders"):
        issue(world, effect="exempt")


def test_unknown_effect_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as raised:
        issue(world, effect="suspend")
    assert raised.value.field == "effect"


def test_order_on_an_unknown_condition_is_refused(world: Garante) -> None:
    with pytest.raises(GaranteError) as raised:
        issue(world, while_condition="strikez")
    assert raised.value.code == "condition.not_found"


def test_undertaking_that_permits_and_prohibits_the_same_purpose_is_refused(
    world: Garante,
) -> None:
    with pytest.raises(ValidationError, match="both permitted and prohibited"):
        world.draft_undertaking("dea", permits=["seizure"], prohibits=["seizure"])


def _add(world: Garante, **overrides: object) -> None:
    fields: dict[str, object] = {
        "title": "t",
        "category": "maritime-interdiction",
        "region": "caribbean",
        "tlp": "amber",
        "originator": "dipol",
        "bundle": scenario_bundle(),
    }
    fields.update(overrides)
    world.add_item("new-item", **fields)  # type: ignore[arg-type]
