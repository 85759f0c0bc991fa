"""Rule (3): orders in force whose scope matches, unless an exemption in force carves them out.

Unless a test says otherwise, DEA (foreign, US) has signed undertaking ``dea-ut-1`` (permits
seizure and arrest, prohibits lethal-force, protection-of-life), so without orders the request
for a seizure is released: whatever else happens is the order's doing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from garante.domain import Decision, Order, Outcome, Scope, Undertaking
from tests.policy.policy_builders import (
    AT,
    cited,
    days,
    decide_for,
    domestic,
    foreign,
    order,
    requirement,
    rule_ids,
    scope,
    undertaking,
)

DEA_UNDERTAKING = undertaking()  # prohibits lethal-force, protection-of-life
NO_LETHAL_FORCE = requirement(prohibits=["lethal-force"])
PROTECT_LIFE = requirement(protections=["protection-of-life"])
HUMAN_RIGHTS = requirement(protections=["human-rights"])


def decide_with(
    *orders: Order,
    undertakings: Iterable[Undertaking] = (DEA_UNDERTAKING,),
    recipient: str = "dea",
    **kwargs: Any,
) -> Decision:
    return decide_for(recipient, orders=list(orders), undertakings=list(undertakings), **kwargs)


def test_request_is_released_without_orders() -> None:
    assert decide_with().outcome == Outcome.RELEASED


# --- effects --------------------------------------------------------------------------------


def test_deny_order_denies_request_in_scope() -> None:
    decision = decide_with(order("o-deny", effect="deny"))
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["3.order-deny"]
    assert cited(decision) == ["order:o-deny"]
    assert decision.undertaking_id is None


def test_hold_order_holds_request_in_scope() -> None:
    decision = decide_with(order("o-hold", effect="hold"))
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-hold"]
    assert cited(decision) == ["order:o-hold"]


def test_hold_order_holds_a_domestic_recipient_in_scope() -> None:
    decision = decide_with(order("o-hold", effect="hold"), recipient="dipol", undertakings=())
    assert decision.outcome == Outcome.HELD


def test_order_decision_explains_the_order_and_its_authority_in_one_sentence() -> None:
    decision = decide_with(order("o-hold", effect="hold", authority_id="presidency"))
    assert decision.explanation.startswith("Held: order o-hold (hold, issued by presidency)")
    assert decision.explanation.endswith(".")
    assert decision.explanation.count(". ") == 0


@pytest.mark.parametrize(
    ("effect", "rule"),
    [("deny", "3.order-deny"), ("hold", "3.order-hold"), ("require", "3.order-require-unmet")],
)
def test_order_rule_id_names_its_effect(effect: str, rule: str) -> None:
    decision = decide_with(order(effect=effect, requires=HUMAN_RIGHTS))
    assert rule_ids(decision)[0] == rule


def test_decision_records_the_state_version_it_read() -> None:
    assert decide_with(order(effect="hold"), version=42).state_version == 42


# --- require --------------------------------------------------------------------------------


def test_require_order_holds_recipient_whose_undertaking_lacks_the_clauses() -> None:
    decision = decide_with(order("o-req", effect="require", requires=HUMAN_RIGHTS))
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-require-unmet"]
    assert cited(decision) == ["order:o-req"]


def test_require_order_holds_rather_than_denies_recipient_without_any_undertaking() -> None:
    decision = decide_with(order("o-req", effect="require", requires=PROTECT_LIFE), undertakings=())
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-require-unmet"]


def test_require_order_releases_when_undertaking_has_the_clauses_and_binds_it() -> None:
    decision = decide_with(order("o-req", effect="require", requires=NO_LETHAL_FORCE))
    assert decision.outcome == Outcome.RELEASED
    assert decision.undertaking_id == "dea-ut-1"
    assert rule_ids(decision) == ["3.order-require-met", "4.undertaking", "5.release"]
    assert cited(decision)[:2] == ["order:o-req", "undertaking:dea-ut-1"]


def test_require_order_with_prohibits_and_protections_needs_both() -> None:
    both = requirement(prohibits=["lethal-force"], protections=["human-rights"])
    decision = decide_with(order("o-req", effect="require", requires=both))
    assert decision.outcome == Outcome.HELD


def test_require_order_is_not_met_by_an_undertaking_that_does_not_permit_the_purpose() -> None:
    arrests_only = undertaking(permits=["arrest"])
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE), undertakings=[arrests_only]
    )
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-require-unmet"]


def test_require_order_is_not_met_by_an_undertaking_that_does_not_cover_the_category() -> None:
    laundering_only = undertaking(categories=["money-laundering"])
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE), undertakings=[laundering_only]
    )
    assert decision.outcome == Outcome.HELD


def test_require_order_is_not_met_by_an_expired_undertaking() -> None:
    expired = undertaking(valid_until=AT)
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE), undertakings=[expired]
    )
    assert decision.outcome == Outcome.HELD


def test_require_order_binds_the_undertaking_that_meets_it_not_a_newer_one_that_does_not() -> None:
    older_meets = undertaking("dea-ut-1", valid_from=days(-30))
    newer_lacks = undertaking("dea-ut-2", prohibits=(), protections=(), valid_from=days(-1))
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE),
        undertakings=[older_meets, newer_lacks],
    )
    assert decision.outcome == Outcome.RELEASED
    assert decision.undertaking_id == "dea-ut-1"


def test_all_require_orders_must_be_met_by_one_and_the_same_undertaking() -> None:
    no_lethal = undertaking("dea-ut-1", prohibits=["lethal-force"], protections=())
    rights = undertaking("dea-ut-2", prohibits=(), protections=["human-rights"])
    decision = decide_with(
        order("o-req-1", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
        order("o-req-2", effect="require", requires=HUMAN_RIGHTS, sequence=2),
        undertakings=[no_lethal, rights],
    )
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-require-unmet", "3.order-require-unmet"]
    assert cited(decision) == ["order:o-req-1", "order:o-req-2"]


def test_all_require_orders_met_by_one_undertaking_release_under_it() -> None:
    everything = undertaking(protections=["protection-of-life", "human-rights"])
    decision = decide_with(
        order("o-req-1", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
        order("o-req-2", effect="require", requires=HUMAN_RIGHTS, sequence=2),
        undertakings=[everything],
    )
    assert decision.outcome == Outcome.RELEASED
    assert rule_ids(decision)[:2] == ["3.order-require-met", "3.order-require-met"]


def test_require_order_holds_a_domestic_recipient_without_an_undertaking() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE),
        recipient="dipol",
        undertakings=(),
    )
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["3.order-require-unmet"]


def test_require_order_releases_a_domestic_recipient_whose_undertaking_meets_it() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE),
        recipient="dipol",
        undertakings=[undertaking("dipol-ut-1", agency_id="dipol")],
    )
    assert decision.outcome == Outcome.RELEASED


def test_require_order_binds_a_domestic_recipient_to_the_undertaking_that_met_it() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE),
        recipient="dipol",
        undertakings=[undertaking("dipol-ut-1", agency_id="dipol")],
    )
    assert decision.undertaking_id == "dipol-ut-1"
    assert rule_ids(decision) == ["3.order-require-met", "4.undertaking", "5.release"]


# --- scope ----------------------------------------------------------------------------------

IN_SCOPE = {
    "agencies": scope(agencies=["dea", "fbi"]),
    "countries": scope(countries=["US"]),
    "categories": scope(categories=["drug-trafficking"]),
    "regions": scope(regions=["caribbean", "pacific"]),
    "every dimension": scope(
        agencies=["dea"], countries=["US"], categories=["drug-trafficking"], regions=["caribbean"]
    ),
    "everything": scope(),
}
OUT_OF_SCOPE = {
    "agencies": scope(agencies=["fbi"]),
    "countries": scope(countries=["GB", "CO"]),
    "categories": scope(categories=["terrorism"]),
    "regions": scope(regions=["pacific"]),
    "one dimension of four": scope(
        agencies=["dea"], countries=["US"], categories=["drug-trafficking"], regions=["pacific"]
    ),
}


@pytest.mark.parametrize("effect", ["deny", "hold", "require"])
@pytest.mark.parametrize("where", OUT_OF_SCOPE)
def test_order_out_of_scope_does_not_apply(where: str, effect: str) -> None:
    decision = decide_with(order(effect=effect, scope=OUT_OF_SCOPE[where], requires=HUMAN_RIGHTS))
    assert decision.outcome == Outcome.RELEASED
    assert not any(hit.cites.startswith("order:") for hit in decision.rules)


@pytest.mark.parametrize("where", IN_SCOPE)
def test_order_in_scope_applies(where: str) -> None:
    decision = decide_with(order(effect="hold", scope=IN_SCOPE[where]))
    assert decision.outcome == Outcome.HELD


# --- time -----------------------------------------------------------------------------------


def test_order_before_its_valid_from_does_not_apply() -> None:
    decision = decide_with(order(effect="deny", valid_from=days(1)))
    assert decision.outcome == Outcome.RELEASED


def test_order_applies_from_its_valid_from() -> None:
    decision = decide_with(order(effect="deny", valid_from=AT))
    assert decision.outcome == Outcome.DENIED


def test_order_at_its_valid_until_does_not_apply() -> None:
    decision = decide_with(order(effect="deny", valid_until=AT))
    assert decision.outcome == Outcome.RELEASED


def test_order_after_its_valid_until_does_not_apply() -> None:
    decision = decide_with(order(effect="deny", valid_until=days(-0.5)))
    assert decision.outcome == Outcome.RELEASED


def test_order_before_its_valid_until_applies() -> None:
    decision = decide_with(order(effect="deny", valid_until=days(1)))
    assert decision.outcome == Outcome.DENIED


def test_order_lifted_at_the_decision_time_does_not_apply() -> None:
    decision = decide_with(order(effect="deny", lifted_at=AT))
    assert decision.outcome == Outcome.RELEASED


def test_order_lifted_earlier_does_not_apply() -> None:
    decision = decide_with(order(effect="deny", lifted_at=days(-0.5)))
    assert decision.outcome == Outcome.RELEASED


def test_order_lifted_only_later_still_applies() -> None:
    decision = decide_with(order(effect="deny", lifted_at=days(1)))
    assert decision.outcome == Outcome.DENIED


# --- conditions -----------------------------------------------------------------------------


def test_order_while_condition_active_applies() -> None:
    decision = decide_with(
        order("o-strikes", effect="hold", while_condition="vessel-strikes"),
        conditions={"vessel-strikes": True},
    )
    assert decision.outcome == Outcome.HELD
    assert "while condition vessel-strikes is active" in decision.explanation


def test_order_while_condition_inactive_does_not_apply() -> None:
    decision = decide_with(
        order("o-strikes", effect="hold", while_condition="vessel-strikes"),
        conditions={"vessel-strikes": False},
    )
    assert decision.outcome == Outcome.RELEASED


def test_order_on_an_unknown_condition_is_held_fail_closed() -> None:
    decision = decide_with(order("o-strikes", effect="hold", while_condition="vessel-strikes"))
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["fail-closed"]
    assert "vessel-strikes" in decision.rules[0].message


def test_deny_order_on_an_unknown_condition_is_held_not_released() -> None:
    decision = decide_with(order(effect="deny", while_condition="nobody-defined-this"))
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["fail-closed"]


def test_order_out_of_scope_is_not_judged_on_its_unknown_condition() -> None:
    decision = decide_with(
        order(effect="hold", scope=scope(agencies=["fbi"]), while_condition="nobody-defined-this")
    )
    assert decision.outcome == Outcome.RELEASED


# --- exemptions -----------------------------------------------------------------------------

SUSPEND_ALL = order("o-suspend", effect="hold", sequence=1)


def exempt(
    scope_: Scope | None = None, *, exempts: Iterable[str] = ("o-suspend",), **kwargs: Any
) -> Order:
    return order("o-exempt", effect="exempt", scope=scope_, exempts=exempts, sequence=2, **kwargs)


def test_exempt_order_carves_its_scope_out_of_the_order_it_names() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(scope(agencies=["dea"])))
    assert decision.outcome == Outcome.RELEASED
    assert rule_ids(decision)[0] == "3.order-exempted"
    assert cited(decision)[0] == "order:o-exempt"
    assert "o-suspend" in decision.rules[0].message


def test_exempt_order_does_not_carve_outside_its_own_scope() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(scope(agencies=["fbi"])))
    assert decision.outcome == Outcome.HELD
    assert cited(decision) == ["order:o-suspend"]


def test_exempt_order_carves_only_the_orders_it_names() -> None:
    other_hold = order("o-other", effect="hold", sequence=3)
    decision = decide_with(SUSPEND_ALL, other_hold, exempt())
    assert decision.outcome == Outcome.HELD
    assert cited(decision) == ["order:o-exempt", "order:o-other"]


def test_exempt_order_can_carve_out_a_deny() -> None:
    deny = order("o-suspend", effect="deny", sequence=1)
    assert decide_with(deny, exempt()).outcome == Outcome.RELEASED


def test_exempt_order_can_carve_out_a_require() -> None:
    require = order("o-suspend", effect="require", requires=HUMAN_RIGHTS, sequence=1)
    assert decide_with(require, exempt()).outcome == Outcome.RELEASED


def test_exempt_order_not_yet_in_force_does_not_carve() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(valid_from=days(1)))
    assert decision.outcome == Outcome.HELD


def test_exempt_order_past_its_valid_until_does_not_carve() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(valid_until=AT))
    assert decision.outcome == Outcome.HELD


def test_lifted_exempt_order_does_not_carve() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(lifted_at=AT))
    assert decision.outcome == Outcome.HELD


def test_exempt_order_while_condition_inactive_does_not_carve() -> None:
    decision = decide_with(
        SUSPEND_ALL, exempt(while_condition="talks-open"), conditions={"talks-open": False}
    )
    assert decision.outcome == Outcome.HELD


def test_exempt_order_while_condition_active_carves() -> None:
    decision = decide_with(
        SUSPEND_ALL, exempt(while_condition="talks-open"), conditions={"talks-open": True}
    )
    assert decision.outcome == Outcome.RELEASED


def test_exempt_order_alone_changes_nothing() -> None:
    decision = decide_with(exempt())
    assert decision.outcome == Outcome.RELEASED
    assert rule_ids(decision) == ["4.undertaking", "5.release"]


def test_exempted_order_still_leaves_rule_4_to_decide() -> None:
    decision = decide_with(SUSPEND_ALL, exempt(), undertakings=())
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["3.order-exempted", "4.no-undertaking"]


# --- several orders -------------------------------------------------------------------------


@pytest.mark.parametrize(("deny_sequence", "hold_sequence"), [(1, 2), (2, 1)])
def test_deny_beats_hold_when_both_match(deny_sequence: int, hold_sequence: int) -> None:
    decision = decide_with(
        order("o-deny", effect="deny", sequence=deny_sequence),
        order("o-hold", effect="hold", sequence=hold_sequence),
    )
    assert decision.outcome == Outcome.DENIED
    assert "order o-deny" in decision.explanation


def test_deny_beats_a_met_require() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
        order("o-deny", effect="deny", sequence=2),
    )
    assert decision.outcome == Outcome.DENIED


def test_hold_beats_a_met_require() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
        order("o-hold", effect="hold", sequence=2),
    )
    assert decision.outcome == Outcome.HELD


def test_first_of_several_holds_is_the_one_explained() -> None:
    decision = decide_with(
        order("o-later", effect="hold", sequence=5), order("o-first", effect="hold", sequence=1)
    )
    assert "order o-first" in decision.explanation


def test_every_matching_order_is_cited_in_issue_order() -> None:
    decision = decide_with(
        order("a-third", effect="hold", sequence=3),
        order("z-first", effect="deny", sequence=1),
        order("m-second", effect="hold", sequence=2),
        order("unrelated", effect="deny", sequence=0, scope=scope(agencies=["fbi"])),
    )
    assert cited(decision) == ["order:z-first", "order:m-second", "order:a-third"]
    assert rule_ids(decision) == ["3.order-deny", "3.order-hold", "3.order-hold"]


def test_orders_issued_in_the_same_sequence_are_cited_by_id() -> None:
    decision = decide_with(
        order("b", effect="hold", sequence=1),
        order("a", effect="hold", sequence=1),
        order("c", effect="deny", sequence=1),
    )
    assert cited(decision) == ["order:a", "order:b", "order:c"]


def test_every_matching_require_order_is_cited_in_issue_order() -> None:
    decision = decide_with(
        order("o-req-2", effect="require", requires=PROTECT_LIFE, sequence=2),
        order("o-req-1", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
    )
    assert cited(decision)[:2] == ["order:o-req-1", "order:o-req-2"]


def test_matching_require_order_is_cited_when_a_hold_decides() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=HUMAN_RIGHTS, sequence=1),
        order("o-hold", effect="hold", sequence=2),
    )
    assert cited(decision) == ["order:o-req", "order:o-hold"]


def test_matching_require_order_is_cited_when_a_deny_decides() -> None:
    decision = decide_with(
        order("o-deny", effect="deny", sequence=1),
        order("o-req", effect="require", requires=NO_LETHAL_FORCE, sequence=2),
    )
    assert decision.outcome == Outcome.DENIED
    assert cited(decision) == ["order:o-deny", "order:o-req"]


def test_require_orders_are_cited_in_issue_order_among_holds() -> None:
    decision = decide_with(
        order("o-req-3", effect="require", requires=HUMAN_RIGHTS, sequence=3),
        order("o-hold-2", effect="hold", sequence=2),
        order("o-req-1", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
    )
    assert cited(decision) == ["order:o-req-1", "order:o-hold-2", "order:o-req-3"]
    assert rule_ids(decision) == ["3.order-require-unmet", "3.order-hold", "3.order-require-unmet"]


def test_exemption_is_cited_where_the_order_it_carves_out_stands() -> None:
    decision = decide_with(
        order("o-req", effect="require", requires=NO_LETHAL_FORCE, sequence=1),
        order("o-hold", effect="hold", sequence=2),
        order("o-req-2", effect="require", requires=PROTECT_LIFE, sequence=3),
        order("o-x", effect="exempt", exempts=["o-hold"], sequence=9),
    )
    assert decision.outcome == Outcome.RELEASED
    assert cited(decision)[:3] == ["order:o-req", "order:o-x", "order:o-req-2"]


def test_orders_concern_foreign_and_domestic_recipients_alike() -> None:
    decision = decide_for(
        "dijin",
        agencies=[domestic("dipol"), domestic("dijin"), foreign("dea")],
        orders=[order(effect="deny", scope=scope(countries=["CO"]))],
    )
    assert decision.outcome == Outcome.DENIED
