"""Fan-out: an item added starts, in its own transaction, one request per purpose for every
agreement in force that covers it, each decided and logged as a request made by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garante.domain.order import Scope
from garante.domain.roles import Principal, Role
from garante.records import Decided
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.feed import FeedQuery
from tests.service.orders import issue
from tests.support.scenario import scenario_bundle

ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")
DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
HOUR = timedelta(hours=1)


def agree(garante: Garante, partner: str = "dea", **terms: Any) -> str:
    terms.setdefault("purposes", ["seizure"])
    terms.setdefault("tlp_ceiling", "amber")
    return garante.make_agreement(garante.draft_agreement(partner, **terms)).value.id


def add(garante: Garante, item_id: str = "new-lead", **fields: Any) -> list[Decided]:
    return garante.add_item(
        item_id,
        title="A lead",
        category=fields.pop("category", "maritime-interdiction"),
        region=fields.pop("region", "caribbean"),
        tlp=fields.pop("tlp", "amber"),
        originator=fields.pop("originator", "dipol"),
        bundle=scenario_bundle(),
        **fields,
    ).started


def started(decided: list[Decided]) -> list[tuple[str, str, str]]:
    return sorted((d.recipient, d.purpose, d.outcome.value) for d in decided)


def entries(garante: Garante, kind: str) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == kind]


# -- on item add ---------------------------------------------------------------------------


def test_an_item_added_starts_one_request_per_purpose_of_each_covering_agreement(
    world: Garante,
) -> None:
    agree(world, "dea", purposes=["seizure", "arrest"])
    agree(world, "nca", purposes=["seizure"])
    assert started(add(world)) == [
        ("dea", "arrest", "released"),
        ("dea", "seizure", "released"),
        ("nca", "seizure", "released"),
    ]


def test_each_request_started_is_logged_naming_its_agreement_and_decided(world: Garante) -> None:
    agreement_id = agree(world)
    [decided] = add(world)
    [requested] = [e for e in entries(world, "release.requested") if e["item"] == "new-lead"]
    assert requested == {
        "request": decided.request,
        "item": "new-lead",
        "recipient": "dea",
        "purpose": "seizure",
        "agreement": agreement_id,
    }
    [first] = [e for e in entries(world, "release.decided") if e["request"] == decided.request]
    assert first["outcome"] == "released" and first["trigger"] == "request"


def test_a_release_started_by_an_agreement_reaches_the_partners_feed(world: Garante) -> None:
    agree(world)
    [decided] = add(world)
    assert [r.id for r in world.acting_as(DEA).requests()] == [decided.request]
    rows, _more = world.feed_page(FeedQuery(partner_id="dea"))
    assert rows, "the released item's objects are in dea's feed"


def test_a_request_an_order_holds_joins_the_held_queue(world: Garante) -> None:
    issue(world, "hold")  # holds everything for US agencies
    agree(world)
    [decided] = add(world)
    assert decided.outcome == "held"
    assert [h.id for h in world.held_queue()] == [decided.request]


def test_an_order_another_service_object_commits_holds_the_next_fan_out(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    agree(world)
    assert started(add(world, "before")) == [("dea", "seizure", "released")]  # orders kept
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        issue(other, "hold")
    finally:
        other.close()
    assert started(add(world, "after")) == [("dea", "seizure", "held")]


_ISSUE_ELSEWHERE = """
import sys
from datetime import datetime
from garante.service.app import Garante
from garante.service.clock import FixedClock
from tests.service.orders import issue
other = Garante.open(sys.argv[1], clock=FixedClock(datetime.fromisoformat(sys.argv[2])), actor="x")
try:
    issue(other, "hold")
finally:
    other.close()
"""


def test_an_order_another_process_commits_holds_the_next_fan_out_here(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    """A process keeps the orders it read (``store.standing_orders``); an order committed by
    another process (another server) is seen at this one's next decision all the same."""
    agree(world)
    assert started(add(world, "before")) == [("dea", "seizure", "released")]  # orders kept
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    command = [sys.executable, "-c", _ISSUE_ELSEWHERE, db_url, clock.now().isoformat()]
    subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
    assert started(add(world, "after")) == [("dea", "seizure", "held")]


def test_a_held_request_started_by_an_agreement_moves_with_the_queue(world: Garante) -> None:
    order = issue(world, "hold").value
    agree(world)
    [decided] = add(world)
    lifted = world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    assert [(m.request, m.outcome) for m in lifted.moved] == [(decided.request, "released")]


def test_a_request_a_rule_denies_is_denied_and_recorded(world: Garante) -> None:
    agree(world, purposes=["analysis"])  # dea's undertaking does not permit analysis
    assert started(add(world)) == [("dea", "analysis", "denied")]


def test_an_embargoed_item_fans_out_held_until_the_embargo_ends(
    world: Garante, clock: FixedClock
) -> None:
    agree(world)
    [decided] = add(world, embargo_until=clock.now() + HOUR)
    assert decided.outcome == "held"
    assert [h.id for h in world.held_queue()] == [decided.request]


def test_an_item_no_agreement_covers_starts_nothing(world: Garante) -> None:
    agree(world, categories=["terrorism"])
    size = world.ledger_size()
    assert add(world) == []
    assert world.ledger_size() == size + 1  # the item alone


def test_the_item_and_what_it_started_are_in_one_transaction(world: Garante) -> None:
    agree(world, "dea", purposes=["seizure", "arrest"])
    before = world.ledger_size()
    add(world)
    kinds = [json.loads(e.entry)["kind"] for e in world.entries(before, world.ledger_size())]
    assert kinds[0] == "item.added"
    assert kinds.count("release.requested") == 2 and kinds.count("release.decided") == 2


def test_an_analyst_adding_an_item_sees_what_it_started(world: Garante) -> None:
    agree(world)
    assert started(world.acting_as(ANALYST).add_item(
        "desk-lead",
        title="A lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    ).started) == [("dea", "seizure", "released")]  # fmt: skip


# -- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "item", "covered"),
    [
        ({"categories": ["maritime-interdiction"]}, {}, True),
        ({"categories": ["terrorism"]}, {}, False),
        ({"regions": ["caribbean", "pacific"]}, {"region": "pacific"}, True),
        ({"regions": ["pacific"]}, {}, False),
        ({"originators": ["dipol"]}, {}, True),
        ({"originators": ["dea"]}, {}, False),
    ],
    ids=["category", "other-category", "region", "other-region", "originator", "other-origin"],
)
def test_each_scope_dimension_decides_what_an_agreement_covers(
    world: Garante, terms: dict[str, Any], item: dict[str, str], covered: bool
) -> None:
    agree(world, **terms)
    assert bool(add(world, **item)) == covered


@pytest.mark.parametrize(
    ("ceiling", "marking", "covered"),
    [
        ("clear", "clear", True),
        ("clear", "green", False),
        ("green", "green", True),
        ("green", "amber", False),
        ("amber", "amber", True),
        ("amber", "amber+strict", False),
        ("amber+strict", "amber+strict", True),
        ("amber+strict", "red", False),
        ("red", "red", True),
    ],
)
def test_the_tlp_ceiling_is_the_most_restricted_marking_an_agreement_takes(
    world: Garante, ceiling: str, marking: str, covered: bool
) -> None:
    agree(world, tlp_ceiling=ceiling)
    assert bool(add(world, tlp=marking)) == covered


# -- no duplicates -------------------------------------------------------------------------


def test_agreements_overlapping_on_a_purpose_start_one_request_for_it(world: Garante) -> None:
    agree(world, purposes=["seizure"], agreement_id="dea-maritime")
    agree(world, purposes=["seizure", "arrest"], agreement_id="dea-all")
    assert started(add(world)) == [("dea", "arrest", "released"), ("dea", "seizure", "released")]
    requested = [e for e in entries(world, "release.requested") if e["item"] == "new-lead"]
    assert sorted((e["purpose"], e["agreement"]) for e in requested) == [
        ("arrest", "dea-all"),
        ("seizure", "dea-all"),  # the first agreement by id takes it
    ]


def test_a_backfill_skips_what_was_already_requested_by_hand(
    world: Garante, clock: FixedClock
) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    terms = world.draft_agreement("dea", purposes=["seizure", "arrest"], tlp_ceiling="amber")
    backfilled = world.make_agreement(terms, backfill_from=clock.now() - HOUR).started
    assert started(backfilled) == [("dea", "arrest", "released")]


def test_a_second_backfill_starts_nothing_the_first_started(
    world: Garante, clock: FixedClock
) -> None:
    since = clock.now() - HOUR
    first = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    assert len(world.make_agreement(first, backfill_from=since).started) == 1
    second = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="red")
    assert world.make_agreement(second, backfill_from=since).started == []


# -- what another instance on the same store changed ----------------------------------------


def test_a_fanout_decides_on_an_undertaking_another_instance_revoked(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    agree(world)
    assert started(add(world, "before")) == [("dea", "seizure", "released")]
    [undertaking] = world.undertakings("dea")
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        other.revoke_undertaking(undertaking.id, reason="breach")
    finally:
        other.close()
    assert started(add(world, "after")) == [("dea", "seizure", "denied")]


def test_a_fanout_decides_on_an_undertaking_another_instance_recorded(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    world.register_agency("afp", name="AFP", country="AU")
    agree(world, "afp")
    assert started(add(world, "before")) == [("afp", "seizure", "denied")]
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        other.record_undertaking(
            other.draft_undertaking("afp", permits=["seizure"]), signature=None
        )
    finally:
        other.close()
    assert started(add(world, "after")) == [("afp", "seizure", "released")]


# -- agreements not in force ---------------------------------------------------------------


def test_a_suspended_agreement_starts_nothing_until_resumed(world: Garante) -> None:
    agreement_id = agree(world)
    world.suspend_agreement(agreement_id, reason="audit")
    assert add(world, "during") == []
    world.resume_agreement(agreement_id, reason="audit over")
    assert started(add(world, "after")) == [("dea", "seizure", "released")]


def test_an_ended_agreement_starts_nothing(world: Garante) -> None:
    agreement_id = agree(world)
    world.end_agreement(agreement_id, reason="the operation closed")
    assert add(world) == []


def test_an_agreement_not_yet_valid_starts_nothing_until_it_is(
    world: Garante, clock: FixedClock
) -> None:
    agree(world, valid_from=clock.now() + HOUR)
    assert add(world, "early") == []
    clock.set(clock.now() + HOUR)
    assert started(add(world, "on-time")) == [("dea", "seizure", "released")]


def test_an_expired_agreement_starts_nothing(world: Garante, clock: FixedClock) -> None:
    agree(world, valid_until=clock.now() + HOUR)
    clock.set(clock.now() + HOUR)
    assert add(world) == []


def test_an_amendment_applies_to_items_added_after_it(world: Garante) -> None:
    agreement_id = agree(world, regions=["caribbean"])
    amended = world.draft_agreement_amendment(agreement_id, regions=["pacific"])
    world.amend_agreement(amended, reason="the Pacific routes")
    assert add(world, "caribbean-lead") == []
    assert started(add(world, "pacific-lead", region="pacific")) == [("dea", "seizure", "released")]


# -- never more than by hand ---------------------------------------------------------------

_ids = count()

orders = st.one_of(
    st.none(),
    st.builds(
        lambda effect, countries, categories: (effect, countries, categories),
        st.sampled_from(["hold", "deny"]),
        st.frozensets(st.sampled_from(["US", "GB"]), max_size=1),
        st.frozensets(st.sampled_from(["maritime-interdiction", "terrorism"]), max_size=1),
    ),
)
agreements = st.lists(
    st.fixed_dictionaries(
        {
            "partner": st.sampled_from(["dea", "fbi", "nca"]),
            "purposes": st.lists(
                st.sampled_from(["seizure", "arrest", "analysis", "lethal-force"]),
                min_size=1,
                max_size=3,
                unique=True,
            ),
            "tlp_ceiling": st.sampled_from(["clear", "green", "amber", "amber+strict", "red"]),
            "categories": st.lists(
                st.sampled_from(["maritime-interdiction", "terrorism"]), max_size=1
            ),
        }
    ),
    min_size=1,
    max_size=3,
)
items = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["maritime-interdiction", "terrorism"]),
        "region": st.sampled_from(["caribbean", "pacific"]),
        "tlp": st.sampled_from(["clear", "green", "amber", "amber+strict", "red"]),
        "originator": st.sampled_from(["dipol", "dea"]),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=orders, made=agreements, item=items)
def test_no_release_an_agreement_starts_is_released_where_a_request_by_hand_would_not_be(
    world: Garante,
    order: tuple[str, frozenset[str], frozenset[str]] | None,
    made: list[dict[str, Any]],
    item: dict[str, str],
) -> None:
    """Each example adds its order and agreements to the one store, adds one item, then asks
    by hand, at the same instant, for every (partner, purpose) the fan-out started: ``decide``
    on the same state must give the same outcome, so an agreement never releases more."""
    issued = None
    if order is not None:
        effect, countries, categories = order
        scope = Scope(countries=countries, categories=categories)
        issued = issue(world, effect, scope=scope, everything=not (countries or categories))
    made_ids = [agree(world, **terms) for terms in made]
    auto = add(world, f"prop-{next(_ids)}", **item)
    for decided in auto:
        by_hand = world.request_release(
            decided.item, recipient=decided.recipient, purpose=decided.purpose
        )
        assert not (decided.outcome == "released" and by_hand.outcome != "released")
        assert decided.outcome == by_hand.outcome, (decided.explanation, by_hand.explanation)
    for agreement_id in made_ids:
        world.end_agreement(agreement_id, reason="example over")
    if issued is not None:
        world.lift_order(issued.value.id, authority_id="presidency", reason="over", signature=None)
