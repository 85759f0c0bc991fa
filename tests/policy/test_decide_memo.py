"""What a snapshot keeps for its next requests (``PolicyState.memo``) never changes a decision.

``decide`` keeps what it works out about a snapshot (the orders in force for a scope, an
agency's undertakings for a category and purpose, the wording of each hit) and answers later
requests from it. Every answer must be keyed by all it depends on: here the reference model's
random snapshots, aimed at the corners (unknown conditions and effects, attributes a bad row
left empty, exemptions, undertakings at the edge of their windows), are each decided for many
requests on one shared snapshot, and each decision must equal, to the word, the one the same
request gets on a snapshot of its own.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from garante.domain import Decision, Outcome, ReleaseRequest
from garante.domain.errors import GaranteError
from garante.policy import OrderIndex, PolicyState, decide
from tests.policy.policy_builders import order, request, scope, state, undertaking
from tests.policy.reference_pairs import pairs

SEED = 20251113
SNAPSHOTS = 600
#: Requests decided on each shared snapshot, each twice: the second time from the memo.
PER_SNAPSHOT = 40


def decided(request: ReleaseRequest, snapshot: PolicyState) -> Decision | str:
    """The decision, or the validation error rule (1) raises instead."""
    try:
        return decide(request, snapshot)
    except GaranteError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_a_snapshot_shared_by_many_requests_decides_each_as_its_own_snapshot_would() -> None:
    compared = 0
    for serial, (snapshot, drawn) in enumerate(pairs(SEED, SNAPSHOTS)):
        shared = snapshot.policy_state()
        purposes = sorted(snapshot.vocabulary.purposes | {drawn.purpose})
        combinations = list(itertools.product(snapshot.items, snapshot.agencies, purposes))
        random.Random(serial).shuffle(combinations)
        asked = [
            replace(drawn, item_id=item.id, recipient_id=agency.id, purpose=purpose)
            for item, agency, purpose in combinations[:PER_SNAPSHOT]
        ]
        for each in asked * 2:
            own = replace(shared)  # the same lists and index, nothing kept yet
            assert decided(each, shared) == decided(each, own), f"pair {serial}: {each}"
            compared += 1
    assert compared >= SNAPSHOTS * PER_SNAPSHOT


def test_a_snapshot_made_by_replacing_another_keeps_nothing_of_it() -> None:
    """As ``simulate`` does: the same snapshot with other orders decides by those."""
    base = state(undertakings=[undertaking()])
    released = decide(request(), base)
    assert released.outcome == Outcome.RELEASED
    held = replace(base, orders=OrderIndex([order("o-1", effect="hold", scope=scope())]))
    assert held.memo == {}
    assert decide(request(), held).outcome == Outcome.HELD
    assert decide(request(), base) == released


def test_candidates_handed_out_are_the_callers_to_change() -> None:
    index = OrderIndex([order("o-1", scope=scope(agencies=["dea"]))])
    request = {"agency": "dea", "country": "US", "category": "drug-trafficking", "region": "x"}
    index.candidates(**request).clear()
    assert [o.id for o in index.candidates(**request)] == ["o-1"]
