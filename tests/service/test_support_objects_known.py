"""The support objects a release puts in a partner's feed (the operator's identity, the trace
extension, the TLP marking, the undertaking's statement) are asked of the store only until a
committed fan-out has put them there: a process remembers them after the commit, and never
after a rollback, so a partner's feed always gets each of them once. On both stores."""

from __future__ import annotations

from collections import Counter

import pytest

from garante.service import fanout, items
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.feed import FeedQuery
from tests.support.scenario import own_bundle

SUPPORT_TYPES = ("identity", "extension-definition", "marking-definition")


class Failed(Exception):
    """A fan-out's transaction failing after its feed rows were written."""


def agree(garante: Garante, partner: str) -> None:
    garante.make_agreement(
        garante.draft_agreement(partner, purposes=["seizure"], tlp_ceiling="amber")
    )


def add(garante: Garante, item_id: str) -> None:
    garante.add_item(
        item_id,
        title=item_id,
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=own_bundle(item_id),
    )


def support_in_feed(garante: Garante, partner: str) -> Counter[str]:
    """How many times each support object is in ``partner``'s feed."""
    rows, _more = garante.feed_page(FeedQuery(partner_id=partner, limit=1_000))
    return Counter(row.object_id for row in rows if row.object_type in SUPPORT_TYPES)


def test_every_fan_out_to_a_partner_leaves_each_support_object_once_in_its_feed(
    world: Garante,
) -> None:
    agree(world, "dea")
    add(world, "first")
    first = support_in_feed(world, "dea")
    add(world, "second")
    add(world, "third")
    assert support_in_feed(world, "dea") == first
    assert set(first.values()) == {1}
    assert len(first) == 4  # identity, trace extension, TLP:AMBER, dea's statement


def test_a_fan_out_rolled_back_leaves_the_next_one_to_add_the_support_objects(
    world: Garante,
) -> None:
    agree(world, "dea")
    with pytest.raises(Failed), world.context.writes("test") as tx:
        row = items.add_item(
            tx,
            item_id="rolled-back",
            title="rolled-back",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
            releasable_to=[],
            content=items.parse_bundle(own_bundle("rolled-back")),
        )
        assert fanout.fan_out(tx, row), "the fan-out released to dea before the failure"
        raise Failed
    assert support_in_feed(world, "dea") == Counter()
    add(world, "kept")
    support = support_in_feed(world, "dea")
    assert len(support) == 4 and set(support.values()) == {1}


def test_a_second_service_object_on_the_same_store_finds_what_the_first_added(
    world: Garante, db_url: str, clock: FixedClock
) -> None:
    agree(world, "dea")
    add(world, "first")
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        add(other, "second")
    finally:
        other.close()
    support = support_in_feed(world, "dea")
    assert len(support) == 4 and set(support.values()) == {1}
