"""The service's tiles: those of the signed tree, public hashes, entries for internal roles."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from garante.domain.roles import Principal, Role
from garante.ledger.tiles import TileRef, bundle_entries, tile_hashes
from garante.service.app import Garante
from garante.service.tokens import Forbidden
from garante.service.usecases.tiles import TileNotFound, TileUnavailable

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
OVERSEER = Principal(token_id="t-ov", role=Role.OVERSEER, agency_id="dipol")


def _published(world: Garante) -> int:
    return world.publish_checkpoint().size


def test_a_tile_holds_the_leaf_hashes_of_the_signed_tree(world: Garante) -> None:
    size = _published(world)
    ref = TileRef(0, 0, size)
    hashes = tile_hashes(ref, world.acting_as(DEA).log_tile(ref))
    assert [r.leaf_hash for r in world.entries(0, size)] == [
        base64.b64encode(h).decode() for h in hashes
    ]


def test_entries_appended_after_the_checkpoint_are_in_no_tile(world: Garante) -> None:
    size = _published(world)
    world.request_release("lead", recipient="dea", purpose="seizure")
    with pytest.raises(TileNotFound, match=f"beyond the signed tree of size {size}"):
        world.log_tile(TileRef(0, 0, size + 1))


def test_a_partial_tile_of_an_earlier_checkpoint_is_still_served(world: Garante) -> None:
    earlier = _published(world)
    world.request_release("lead", recipient="dea", purpose="seizure")
    later = _published(world)
    assert earlier < later
    assert (
        world.log_tile(TileRef(0, 0, earlier))
        == world.log_tile(TileRef(0, 0, later))[: 32 * earlier]
    )


def test_an_entry_bundle_holds_the_entries_for_an_internal_role(world: Garante) -> None:
    size = _published(world)
    ref = TileRef(None, 0, size)
    bundle = bundle_entries(ref, world.acting_as(OVERSEER).log_entry_bundle(ref))
    assert bundle == [r.entry.encode() for r in world.entries(0, size)]


def test_a_partner_may_not_read_entry_bundles(world: Garante) -> None:
    size = _published(world)
    with pytest.raises(Forbidden):
        world.acting_as(DEA).log_entry_bundle(TileRef(None, 0, size))


@pytest.mark.tampers
def test_a_missing_stored_subtree_makes_its_tile_unavailable_not_short(world: Garante) -> None:
    size = _published(world)
    with world.sessions() as session, session.begin():
        session.execute(text("DELETE FROM ledger_subtrees WHERE level = 0 AND idx = 3"))
    with pytest.raises(TileUnavailable, match="1 missing"):
        world.log_tile(TileRef(0, 0, size))
