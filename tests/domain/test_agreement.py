"""A standing agreement's scope and validity, as pure values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from garante.canonical import canonical
from garante.domain.agreement import TLP_ORDER, Agreement, AgreementScope
from garante.domain.item import Item
from garante.domain.vocabulary import Tlp

AT = datetime(2025, 11, 11, 21, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def item(**changes: Any) -> Item:
    base = Item(
        id="lead",
        title="Go-fast lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
    )
    return replace(base, **changes)


def scope(**changes: Any) -> AgreementScope:
    return replace(AgreementScope(tlp_ceiling=Tlp.RED), **changes)


def agreement(**changes: Any) -> Agreement:
    base = Agreement(
        id="dea-ag-1",
        partner="dea",
        purposes=frozenset({"seizure"}),
        scope=scope(),
        valid_from=AT - HOUR,
    )
    return replace(base, **changes)


# -- scope -----------------------------------------------------------------------------------


def test_an_empty_scope_under_the_highest_ceiling_covers_any_item() -> None:
    assert scope().matches(item())


def test_a_scope_with_categories_covers_those_categories_only() -> None:
    narrowed = scope(categories=frozenset({"maritime-interdiction", "terrorism"}))
    assert narrowed.matches(item())
    assert not narrowed.matches(item(category="money-laundering"))


def test_a_scope_with_regions_covers_those_regions_only() -> None:
    narrowed = scope(regions=frozenset({"pacific"}))
    assert narrowed.matches(item(region="pacific"))
    assert not narrowed.matches(item(region="caribbean"))


def test_a_scope_with_originators_covers_their_items_only() -> None:
    narrowed = scope(originators=frozenset({"dijin"}))
    assert narrowed.matches(item(originator="dijin"))
    assert not narrowed.matches(item(originator="dipol"))


def test_every_dimension_of_a_scope_must_match() -> None:
    narrowed = scope(
        categories=frozenset({"maritime-interdiction"}), regions=frozenset({"pacific"})
    )
    assert not narrowed.matches(item())


@pytest.mark.parametrize("ceiling", TLP_ORDER, ids=str)
@pytest.mark.parametrize("marking", TLP_ORDER, ids=str)
def test_a_tlp_ceiling_takes_its_own_marking_and_every_less_restricted_one(
    ceiling: Tlp, marking: Tlp
) -> None:
    covered = scope(tlp_ceiling=ceiling).matches(item(tlp=marking.value))
    assert covered == (TLP_ORDER.index(marking) <= TLP_ORDER.index(ceiling))


def test_the_tlp_order_runs_from_clear_to_red() -> None:
    assert [t.value for t in TLP_ORDER] == ["clear", "green", "amber", "amber+strict", "red"]


@pytest.mark.parametrize("marking", ["purple", "AMBER", "", "white"])
def test_an_item_whose_tlp_is_not_a_known_marking_is_never_covered(marking: str) -> None:
    assert not scope(tlp_ceiling=Tlp.RED).matches(item(tlp=marking))


# -- validity --------------------------------------------------------------------------------


def test_an_agreement_is_in_force_from_its_start() -> None:
    assert agreement(valid_from=AT).in_force(AT)


def test_an_agreement_not_yet_valid_is_not_in_force() -> None:
    pending = agreement(valid_from=AT + HOUR)
    assert not pending.in_force(AT)
    assert pending.status(AT) == "pending"


def test_an_agreement_is_not_in_force_from_its_end() -> None:
    bounded = agreement(valid_until=AT)
    assert bounded.in_force(AT - timedelta(seconds=1))
    assert not bounded.in_force(AT)
    assert bounded.status(AT) == "expired"


def test_a_suspended_agreement_is_never_in_force_while_suspended() -> None:
    suspended = agreement(suspended_at=AT)
    assert not suspended.in_force(AT)
    assert not suspended.in_force(AT + timedelta(days=400))
    assert suspended.status(AT) == "suspended"


def test_an_ended_agreement_is_never_in_force_again() -> None:
    ended = agreement(ended_at=AT, valid_until=None)
    assert not ended.in_force(AT)
    assert not ended.in_force(AT + timedelta(days=400))
    assert ended.status(AT) == "ended"


def test_an_agreement_covers_only_while_in_force_and_in_scope() -> None:
    assert agreement().covers(item(), AT)
    assert not agreement(ended_at=AT).covers(item(), AT)
    assert not agreement(scope=scope(tlp_ceiling=Tlp.GREEN)).covers(item(), AT)


# -- the statement ---------------------------------------------------------------------------


def test_the_statement_names_every_term_in_canonical_order() -> None:
    statement = agreement(
        purposes=frozenset({"seizure", "arrest"}),
        scope=scope(regions=frozenset({"pacific", "caribbean"}), tlp_ceiling=Tlp.AMBER),
        valid_until=AT + timedelta(days=30),
    ).statement()
    assert statement == {
        "type": "garante.agreement/v1",
        "id": "dea-ag-1",
        "partner": "dea",
        "version": 1,
        "purposes": ["arrest", "seizure"],
        "categories": [],
        "regions": ["caribbean", "pacific"],
        "tlp_ceiling": "amber",
        "originators": [],
        "valid_from": "2025-11-11T20:00:00Z",
        "valid_until": "2025-12-11T21:00:00Z",
    }


def test_each_version_has_its_own_statement() -> None:
    first = agreement()
    assert canonical(first.statement()) != canonical(replace(first, version=2).statement())


def test_suspension_is_no_term_the_partner_signs() -> None:
    assert agreement().statement() == agreement(suspended_at=AT).statement()
