"""Properties of ``decide`` over random small worlds (see ``policy_strategies``).

Each property is a sentence of DESIGN.md's "The decision" that must hold whatever the data:
deny orders bind, unknowns never release, decisions are reproducible, lifting and adding
orders move outcomes only in the direction they should, and a foreign release always rests on
an undertaking.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from garante.domain import Decision, Order, Outcome
from garante.policy import decide
from tests.policy.policy_builders import (
    AT,
    days,
    decide_for,
    order,
    requirement,
    scope,
    undertaking,
)
from tests.policy.policy_strategies import (
    BAD_EFFECT,
    BAD_PROTECTION,
    BAD_PURPOSE,
    BAD_TLPS,
    PROTECTIONS,
    PURPOSES,
    UNKNOWN_CONDITION,
    VALID_EFFECTS,
    VALID_TLPS,
    World,
    order_strategy,
    worlds,
)

PROPERTY = settings(max_examples=200, deadline=None)


def decision_for(world: World, orders: list[Order] | tuple[Order, ...] | None = None) -> Decision:
    return decide(world.request, world.state(orders=orders))


def carves_out(world: World, target: Order) -> bool:
    """An exemption in force, whose scope matches the request, names ``target``."""
    return any(
        x.effect == "exempt" and target.id in x.exempts and world.in_force(x) and world.matches(x)
        for x in world.orders
    )


def unknowns_in_play(world: World) -> list[str]:
    """What the engine must look at for this request and cannot recognise.

    Deliberately conservative: it lists only unknowns that no rule lets the engine step around
    (an out-of-scope order, an expired undertaking, an order some exemption may carve out are
    left out), so that every one listed must keep the request from being released.
    """
    found = []
    if world.item.tlp not in VALID_TLPS:
        found.append(f"tlp {world.item.tlp}")
    exemptions = [x for x in world.orders if x.effect == "exempt"]
    for o in world.orders:
        if o.effect == "exempt" or not o.in_window(AT) or not world.matches(o):
            continue
        if not world.condition_known(o):
            found.append(f"order {o.id} on unknown condition {o.while_condition}")
            continue
        if not world.in_force(o):
            continue
        if o.effect not in VALID_EFFECTS:
            found.append(f"order {o.id} effect {o.effect}")
            continue
        naming = [x for x in exemptions if o.id in x.exempts]
        if o.effect == "require" and not naming:
            odd = (o.requires.prohibits - set(PURPOSES)) | (
                o.requires.protections - set(PROTECTIONS)
            )
            if odd:
                found.append(f"order {o.id} requires {sorted(odd)}")
        undecided = [
            x
            for x in naming
            if x.in_window(AT) and world.matches(x) and not world.condition_known(x)
        ]
        if undecided and not carves_out(world, o):
            found.append(f"exemption {undecided[0].id} of {o.id} on an unknown condition")
    for u in world.undertakings:
        if u.agency_id != world.recipient.id or not u.is_active(AT):
            continue
        odd = ((u.permits | u.prohibits) - set(PURPOSES)) | (u.protections - set(PROTECTIONS))
        if odd:
            found.append(f"undertaking {u.id} has {sorted(odd)}")
    return found


# --- deny orders bind -----------------------------------------------------------------------


MAYBE_EXEMPTION = st.none() | order_strategy("o-exempt", effect=st.just("exempt"))


@st.composite
def worlds_with_a_deny_in_force(draw: st.DrawFn) -> tuple[World, Order]:
    """A world plus deny order ``o-deny`` in force whose scope matches the request."""
    world = draw(worlds())
    recipient, item = world.recipient, world.item
    own = {
        "agencies": recipient.id,
        "countries": recipient.country,
        "categories": item.category,
        "regions": item.region,
    }
    dimensions = draw(st.frozensets(st.sampled_from(sorted(own))))
    deny = order(
        "o-deny",
        effect="deny",
        scope=scope(**{d: [own[d]] for d in dimensions}),
        valid_from=days(draw(st.integers(-3, 0))),
        valid_until=draw(st.sampled_from([None, days(1), days(3)])),
        lifted_at=draw(st.sampled_from([None, None, days(2)])),
        while_condition=draw(st.sampled_from([None, "c-on"])),
        sequence=draw(st.integers(0, 3)),
    )
    # Half the time, an exemption naming it, in or out of scope, in or out of force.
    exemption = draw(MAYBE_EXEMPTION)
    extra = () if exemption is None else (replace(exemption, exempts=frozenset({"o-deny"})),)
    return world.with_orders((*world.orders, deny, *extra)), deny


@PROPERTY
@given(worlds_with_a_deny_in_force())
def test_request_matched_by_a_deny_in_force_is_never_released(case: tuple[World, Order]) -> None:
    world, deny = case
    decision = decision_for(world)
    note(f"{decision}")
    if carves_out(world, deny):
        return
    assert decision.outcome != Outcome.RELEASED
    # An embargo or a review (step 2) comes before orders (step 3): held until it ends.
    assert decision.outcome == Outcome.DENIED or decision.rules[0].rule in {
        "fail-closed",
        "2.review",
        "2.embargo",
    }


# --- unknowns never release -----------------------------------------------------------------


UNKNOWN_KINDS = (
    "tlp",
    "order effect",
    "order condition",
    "require clause",
    "undertaking permits",
    "undertaking prohibits",
    "undertaking protections",
)


@st.composite
def worlds_with_an_unknown(draw: st.DrawFn) -> tuple[World, str]:
    """A world plus one thing the engine cannot recognise, placed where the request meets it."""
    world = draw(worlds())
    kind = draw(st.sampled_from(UNKNOWN_KINDS))
    # In force and unscoped, under an id no exemption names: the request cannot step around it.
    unknown_order = order("o-odd", valid_from=days(draw(st.integers(-3, 0))), sequence=9)
    if kind == "tlp":
        items = tuple(
            replace(i, tlp=draw(st.sampled_from(BAD_TLPS))) if i.id == world.item.id else i
            for i in world.items
        )
        return replace(world, items=items), kind
    if kind == "order effect":
        odd = replace(unknown_order, effect=BAD_EFFECT)
        return world.with_orders((*world.orders, odd)), kind
    if kind == "order condition":
        odd = replace(unknown_order, effect="hold", while_condition=UNKNOWN_CONDITION)
        return world.with_orders((*world.orders, odd)), kind
    if kind == "require clause":
        odd = replace(
            unknown_order, effect="require", requires=requirement(protections=[BAD_PROTECTION])
        )
        return world.with_orders((*world.orders, odd)), kind
    clause = kind.removeprefix("undertaking ")
    bad = BAD_PROTECTION if clause == "protections" else BAD_PURPOSE
    odd_clause: dict[str, Any] = {clause: [bad]}
    odd_undertaking = undertaking(
        "u-odd",
        agency_id=world.recipient.id,
        valid_from=days(draw(st.integers(-3, 0))),
        **odd_clause,
    )
    return replace(world, undertakings=(*world.undertakings, odd_undertaking)), kind


@PROPERTY
@given(worlds_with_an_unknown())
def test_unknown_value_met_by_the_request_never_yields_released(
    case: tuple[World, str],
) -> None:
    world, kind = case
    decision = decision_for(world)
    note(f"{kind}: {decision}")
    assert decision.outcome != Outcome.RELEASED


@PROPERTY
@given(worlds())
def test_unknown_value_in_play_never_yields_released(world: World) -> None:
    unknowns = unknowns_in_play(world)
    decision = decision_for(world)
    note(f"unknowns: {unknowns}; {decision}")
    if unknowns:
        assert decision.outcome != Outcome.RELEASED


@PROPERTY
@given(worlds())
def test_decision_cites_every_order_that_applies_in_issue_order(world: World) -> None:
    decision = decision_for(world)
    if decision.rules[0].rule == "fail-closed" or decision.rules[0].rule.startswith("2."):
        return
    applying = [
        o.id
        for o in sorted(world.orders, key=lambda o: (o.sequence, o.id))
        if o.effect in ("deny", "hold", "require")
        and world.in_force(o)
        and world.matches(o)
        and not carves_out(world, o)
    ]
    order_hits = [
        hit.cites.removeprefix("order:")
        for hit in decision.rules
        if hit.rule.startswith("3.") and hit.rule != "3.order-exempted"
    ]
    assert order_hits == applying


# --- reproducible ---------------------------------------------------------------------------


@PROPERTY
@given(worlds(), st.randoms(use_true_random=False))
def test_decide_is_deterministic_whatever_the_order_of_the_orders(
    world: World, rng: random.Random
) -> None:
    first = decision_for(world)
    assert decision_for(world) == first
    shuffled = list(world.orders)
    rng.shuffle(shuffled)
    assert decision_for(world, shuffled) == first


# --- lifting and adding orders --------------------------------------------------------------


@PROPERTY
@given(worlds(min_orders=1), st.data())
def test_lifting_a_non_exempt_order_never_turns_a_release_into_a_denial(
    world: World, data: st.DataObject
) -> None:
    before = decision_for(world)
    liftable = [n for n, o in enumerate(world.orders) if o.effect != "exempt"]
    if before.outcome != Outcome.RELEASED or not liftable:
        return
    n = data.draw(st.sampled_from(liftable), label="lifted order")
    lifted_at = data.draw(st.integers(-3, 0).map(days), label="lifted at")
    orders = list(world.orders)
    orders[n] = replace(orders[n], lifted_at=lifted_at)
    after = decision_for(world, orders)
    note(f"after: {after}")
    assert after.outcome != Outcome.DENIED
    assert after.outcome == Outcome.RELEASED  # stronger: lifting only ever removes a restriction


def test_lifting_an_exempt_order_restores_the_order_it_carved_out() -> None:
    """Intended: an exemption is a carve-out, so lifting it lets the suspension apply again."""
    suspension = order("o-suspend", effect="deny", sequence=1)
    carve_out = order(
        "o-exempt", effect="exempt", exempts=["o-suspend"], scope=scope(agencies=["dea"])
    )
    undertakings = [undertaking()]
    assert decide_for(orders=[suspension, carve_out], undertakings=undertakings).outcome == (
        Outcome.RELEASED
    )
    lifted = replace(carve_out, lifted_at=AT)
    assert decide_for(orders=[suspension, lifted], undertakings=undertakings).outcome == (
        Outcome.DENIED
    )


@PROPERTY
@given(worlds(), order_strategy("o-new"))
def test_adding_an_order_never_releases_a_held_or_denied_request_unless_it_exempts(
    world: World, new: Order
) -> None:
    before = decision_for(world)
    after = decision_for(world, (*world.orders, new))
    note(f"before: {before}\nafter: {after}")
    if before.outcome != Outcome.RELEASED and new.effect != "exempt":
        assert after.outcome != Outcome.RELEASED


# --- foreign releases rest on an undertaking ------------------------------------------------


@PROPERTY
@given(worlds())
def test_release_to_a_foreign_recipient_names_an_active_undertaking_permitting_the_purpose(
    world: World,
) -> None:
    decision = decision_for(world)
    recipient = world.recipient
    if decision.outcome != Outcome.RELEASED or not recipient.needs_undertaking:
        return
    bound = [u for u in world.undertakings if u.id == decision.undertaking_id]
    assert len(bound) == 1, f"released without a known undertaking: {decision}"
    (u,) = bound
    purpose = world.request.purpose
    assert u.agency_id == recipient.id
    assert u.is_active(AT)
    assert purpose in u.permits
    assert purpose not in u.prohibits
    assert u.covers(world.item.category)
    assert f"undertaking:{u.id}" in [hit.cites for hit in decision.rules]
