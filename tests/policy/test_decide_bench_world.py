"""The benchmark's world, decided by the engine and by the reference model alike.

``bench/decide.py`` times ``decide`` on the world ``bench/world.py`` generates: hundreds of
agencies in sixty countries, thousands of items and undertakings, up to ten thousand orders, most
of them long expired or lifted. Its figures mean something only if the decisions it times are
right, so here the same world, built by the benchmark's own functions, is decided request by
request on one snapshot shared by all of them, as the benchmark and a batch decide, and every
decision must agree with the reference model (``reference.py``), which reads the raw lists with
plain loops. What the shared snapshot keeps for its next requests (``PolicyState.memo``) must
change nothing: each decision must also equal, to the word, the one the request gets on a
snapshot of its own.
"""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from garante.domain import ReleaseRequest, Vocabulary
from garante.policy import PolicyState, decide
from tests.policy.reference import Snapshot, disagreement, observe

#: Requests decided on each state: the reference model reads every order and undertaking of the
#: world for each, so these are kept few; the seed is the benchmark's.
REQUESTS = 250
ORDER_COUNTS = (100, 1_000, 10_000)


def bench_module(name: str) -> ModuleType:
    """A module of ``bench/``, which its scripts import as top-level modules."""
    directory = str(Path(__file__).resolve().parents[2] / "bench")
    if directory not in sys.path:
        sys.path.append(directory)
    __import__(name)
    return sys.modules[name]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return bench_module("decide")


@pytest.fixture(scope="module")
def base(bench: ModuleType) -> Any:
    return bench.build_base(bench.SEED)


@pytest.fixture(scope="module")
def requests(bench: ModuleType, base: Any) -> list[ReleaseRequest]:
    built: list[ReleaseRequest] = bench.build_requests(random.Random(bench.SEED + 1), base, 5_000)
    # Every 20th, so the requests spread over the agencies and items as the benchmark's do.
    return built[::20][:REQUESTS]


def world(bench: ModuleType, base: Any, orders: int) -> tuple[Snapshot, PolicyState]:
    """The benchmark's state with ``orders`` orders, as raw lists and as the engine reads it."""
    state: PolicyState = bench.build_state(base, bench.build_orders(base, orders, bench.SEED))
    snapshot = Snapshot(
        at=state.at,
        version=state.version,
        vocabulary=Vocabulary(),
        agencies=tuple(base.agencies),
        items=tuple(base.items),
        undertakings=tuple(base.undertakings),
        orders=tuple(state.orders),
        conditions=dict(state.conditions),
    )
    return snapshot, state


@pytest.mark.parametrize("orders", ORDER_COUNTS)
def test_every_decision_on_the_bench_world_agrees_with_the_reference_model(
    bench: ModuleType, base: Any, requests: list[ReleaseRequest], orders: int
) -> None:
    snapshot, state = world(bench, base, orders)
    found = [
        problem
        for request in requests
        if (problem := disagreement(request, snapshot, observe(request, snapshot, state)))
    ]
    assert not found, f"{len(found)} of {len(requests)} disagree; the first:\n{found[0]}"


@pytest.mark.parametrize("orders", ORDER_COUNTS)
def test_each_decision_on_the_shared_snapshot_is_the_one_on_a_snapshot_of_its_own(
    bench: ModuleType, base: Any, requests: list[ReleaseRequest], orders: int
) -> None:
    _, shared = world(bench, base, orders)
    for request in requests * 2:  # the second time, every answer comes from the memo
        own = replace(shared)  # the same maps and index, an empty memo
        assert decide(request, shared) == decide(request, own), request
    assert shared.memo, "the snapshot kept nothing: this test no longer reaches the memo"
