"""Failing closed: what the engine cannot judge is held, with the reason, never released.

Each test sets up a request that would otherwise be released (DEA has an undertaking for
seizures) and adds one thing the engine does not recognise.
"""

from __future__ import annotations

from typing import Any

import pytest

from garante.domain import Decision, Outcome, Requirement
from tests.policy.policy_builders import (
    days,
    decide_for,
    item,
    order,
    requirement,
    rule_ids,
    scope,
    undertaking,
)

DEA_UNDERTAKING = undertaking()


def assert_held_fail_closed(decision: Decision, *mentions: str) -> None:
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["fail-closed"]
    assert decision.rules[0].cites == "request:1"
    assert decision.rules[0].verdict == Outcome.HELD
    assert decision.undertaking_id is None
    assert decision.explanation.startswith("Held:")
    for text in mentions:
        assert text in decision.rules[0].message
        assert text in decision.explanation


@pytest.mark.parametrize("tlp", ["purple", "AMBER", "tlp:amber", "white", ""])
def test_unknown_tlp_marking_is_held_fail_closed(tlp: str) -> None:
    decision = decide_for("dea", items=[item(tlp=tlp)], undertakings=[DEA_UNDERTAKING])
    assert_held_fail_closed(decision, f"'{tlp}'")


def test_unknown_tlp_marking_is_held_even_for_a_domestic_recipient() -> None:
    decision = decide_for("dipol", items=[item(tlp="purple")])
    assert_held_fail_closed(decision, "purple")


def test_unknown_tlp_marking_is_held_even_for_its_originator() -> None:
    decision = decide_for("dipol", items=[item(tlp="purple", originator="dipol")])
    assert_held_fail_closed(decision)


def test_unknown_order_effect_is_held_fail_closed() -> None:
    decision = decide_for(
        "dea", orders=[order("o-odd", effect="suspend")], undertakings=[DEA_UNDERTAKING]
    )
    assert_held_fail_closed(decision, "o-odd", "suspend")


def test_order_effect_is_case_sensitive_and_unknown_spellings_hold() -> None:
    decision = decide_for("dea", orders=[order(effect="DENY")], undertakings=[DEA_UNDERTAKING])
    assert_held_fail_closed(decision, "DENY")


def test_unknown_order_effect_out_of_scope_is_not_consulted() -> None:
    decision = decide_for(
        "dea",
        orders=[order(effect="suspend", scope=scope(countries=["GB"]))],
        undertakings=[DEA_UNDERTAKING],
    )
    assert decision.outcome == Outcome.RELEASED


def test_unknown_order_effect_not_yet_in_force_is_not_consulted() -> None:
    decision = decide_for(
        "dea", orders=[order(effect="suspend", valid_from=days(1))], undertakings=[DEA_UNDERTAKING]
    )
    assert decision.outcome == Outcome.RELEASED


@pytest.mark.parametrize(
    "clauses",
    [
        {"permits": ["seizure", "surveillance"]},
        {"prohibits": ["lethal-force", "drone-strikes"]},
        {"protections": ["protection-of-life", "good-faith"]},
    ],
    ids=["permits", "prohibits", "protections"],
)
def test_unknown_clause_in_the_recipients_undertaking_is_held_fail_closed(
    clauses: dict[str, Any],
) -> None:
    odd = undertaking("dea-ut-odd", **clauses)
    decision = decide_for("dea", undertakings=[odd])
    assert_held_fail_closed(decision, "dea-ut-odd")


def test_unknown_clause_in_one_undertaking_holds_even_when_another_qualifies() -> None:
    odd = undertaking("dea-ut-odd", permits=["surveillance"], valid_from=days(-90))
    decision = decide_for("dea", undertakings=[DEA_UNDERTAKING, odd])
    assert_held_fail_closed(decision, "surveillance")


def test_unknown_clause_in_an_expired_undertaking_is_not_consulted() -> None:
    expired_odd = undertaking("dea-ut-old", permits=["surveillance"], valid_until=days(-1))
    decision = decide_for("dea", undertakings=[DEA_UNDERTAKING, expired_odd])
    assert decision.outcome == Outcome.RELEASED


@pytest.mark.parametrize(
    "clauses",
    [
        requirement(prohibits=["drone-strikes"]),
        requirement(protections=["good-faith"]),
        requirement(prohibits=["lethal-force"], protections=["protection-of-life", "good-faith"]),
    ],
    ids=["prohibits", "protections", "one-of-several"],
)
def test_unknown_clause_in_a_require_order_is_held_fail_closed(clauses: Requirement) -> None:
    decision = decide_for(
        "dea",
        orders=[order("o-req", effect="require", requires=clauses)],
        undertakings=[DEA_UNDERTAKING],
    )
    assert_held_fail_closed(decision, "o-req")


def test_unknown_clause_in_a_require_order_holds_a_domestic_recipient_too() -> None:
    decision = decide_for(
        "dipol", orders=[order(effect="require", requires=requirement(prohibits=["drone-strikes"]))]
    )
    assert_held_fail_closed(decision, "drone-strikes")


def test_unknown_condition_on_an_exemption_holds_rather_than_carves() -> None:
    decision = decide_for(
        "dea",
        orders=[
            order("o-hold", effect="hold", sequence=1),
            order("o-x", effect="exempt", exempts=["o-hold"], while_condition="?", sequence=2),
        ],
        undertakings=[DEA_UNDERTAKING],
    )
    assert_held_fail_closed(decision, "o-x")


def test_error_while_deciding_is_held_with_its_reason() -> None:
    broken = undertaking()
    object.__setattr__(broken, "permits", None)  # a missing attribute, as from a bad row
    decision = decide_for("dea", undertakings=[broken])
    assert_held_fail_closed(decision, "TypeError")


@pytest.mark.parametrize(("unknown_sequence", "known_sequence"), [(1, 2), (2, 1)])
def test_unknown_condition_on_an_exemption_holds_even_when_another_exemption_carves(
    unknown_sequence: int, known_sequence: int
) -> None:
    """Regression (found by the reference model): every exemption in scope is judged.

    The engine used to stop at the first exemption that carved, so an exemption on an unknown
    condition held the request only when it was issued before the one that carved: the same
    orders gave ``held`` or ``released`` depending on issue order. Now it holds either way, as an
    unknown clause in one undertaking holds even when another qualifies.
    """
    decision = decide_for(
        "dea",
        orders=[
            order("o-hold", effect="hold", sequence=0),
            order("o-x-known", effect="exempt", exempts=["o-hold"], sequence=known_sequence),
            order(
                "o-x-unknown",
                effect="exempt",
                exempts=["o-hold"],
                while_condition="?",
                sequence=unknown_sequence,
            ),
        ],
        undertakings=[DEA_UNDERTAKING],
    )
    assert_held_fail_closed(decision, "o-x-unknown")
