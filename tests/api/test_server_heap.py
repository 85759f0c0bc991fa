"""A server keeps the objects it starts with out of the collector's later walks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from garante.heap import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test run collects as before


def test_settling_the_heap_freezes_what_survives_a_collection(unfrozen: None) -> None:
    kept = [[n] for n in range(1000)]  # lists: objects the collector tracks
    settle_heap()
    walked = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
    assert not walked & {id(x) for x in kept}  # no later collection walks them
    assert gc.get_freeze_count() >= len(kept)
