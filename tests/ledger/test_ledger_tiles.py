"""C2SP tlog-tiles: paths, tile and bundle bodies, and tree heads and proofs read from tiles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.ledger import merkle
from garante.ledger.errors import BadIndexError
from garante.ledger.tiles import (
    TileError,
    TilePathError,
    TileReader,
    TileRef,
    bundle_bytes,
    bundle_entries,
    bundles_for,
    encode_index,
    parse_path,
    tile_bytes,
    tile_for_node,
    tile_hash,
    tile_hashes,
    tile_of,
    tiles_for,
)
from tests.support.memlog import MemoryLog

BIG = 70_000  # reaches a level-2 tile
LOG = MemoryLog(i.to_bytes(4, "big") for i in range(BIG))


def test_an_index_is_written_in_x_prefixed_groups_of_three_digits() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"


def test_paths_of_full_and_partial_tiles_and_bundles() -> None:
    assert TileRef(0, 1234067).path == "tile/0/x001/x234/067"
    assert TileRef(1, 3, 17).path == "tile/1/003.p/17"
    assert TileRef(None, 5).path == "tile/entries/005"
    assert TileRef(None, 1000, 1).path == "tile/entries/x001/000.p/1"


@pytest.mark.parametrize(
    "ref",
    [TileRef(0, 0), TileRef(2, 1234067, 9), TileRef(None, 0, 255), TileRef(63, 10**12)],
)
def test_a_path_parses_back_to_its_tile(ref: TileRef) -> None:
    assert parse_path(ref.path) == ref


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",  # not three digits
        "tile/0/x000/001",  # a leading zero group
        "tile/00/000",  # a level with a leading zero
        "tile/64/000",  # past level 63
        "tile/0/000.p/256",  # a partial tile is narrower than a full one
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/0/001/002",  # only the last group lacks its x
        "tile/entry/000",
        "tile/0/000/",
        "checkpoint",
    ],
)
def test_any_other_spelling_is_not_a_tile_path(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_path(path)


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    """c2sp.org/tlog-tiles: 273 full level 0 tiles, one partial of width 112, one full level 1
    tile, one partial of width 17, and one partial level 2 tile of width 1."""
    refs = tiles_for(70_000)
    assert refs[:273] == [TileRef(0, n) for n in range(273)]
    assert refs[273:] == [TileRef(0, 273, 112), TileRef(1, 0), TileRef(1, 1, 17), TileRef(2, 0, 1)]


def test_a_tree_of_256_has_a_full_level_0_tile_and_a_level_1_tile_of_width_1() -> None:
    assert tiles_for(256) == [TileRef(0, 0), TileRef(1, 0, 1)]


def test_a_million_entries_take_3907_level_0_tiles_16_level_1_and_1_level_2() -> None:
    levels = [ref.level for ref in tiles_for(10**6)]
    assert (levels.count(0), levels.count(1), levels.count(2), len(levels)) == (3907, 16, 1, 3924)
    assert len(bundles_for(10**6)) == 3907


def test_the_empty_tree_has_no_tiles() -> None:
    assert tiles_for(0) == [] and bundles_for(0) == []
    assert tile_of(0, 0, 0) is None


def test_a_tile_beyond_the_tree_is_none() -> None:
    assert tile_of(0, 2, 512) is None
    assert tile_of(None, 1, 300) == TileRef(None, 1, 44)


def test_a_bundle_holds_each_entry_after_its_two_byte_big_endian_length() -> None:
    body = bundle_bytes([b"ab", b"", b"x" * 300])
    assert body[:4] == b"\x00\x02ab" and body[4:6] == b"\x00\x00" and body[6:8] == b"\x01\x2c"
    assert bundle_entries(TileRef(None, 0, 3), body) == [b"ab", b"", b"x" * 300]


def test_an_entry_longer_than_65535_bytes_does_not_fit_a_bundle() -> None:
    with pytest.raises(TileError, match="does not fit"):
        bundle_bytes([b"x" * 65536])


@pytest.mark.parametrize("body", [b"\x00", b"\x00\x05ab", b"\x00\x01a\x00\x01b"])
def test_a_bundle_body_of_the_wrong_shape_is_refused(body: bytes) -> None:
    with pytest.raises(TileError):
        bundle_entries(TileRef(None, 0, 1), body)


def test_a_tile_body_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(TileError, match="should be 64"):
        tile_hashes(TileRef(0, 0, 2), bytes(63))


def test_a_level_1_hash_is_the_hash_of_the_full_level_0_tile_below() -> None:
    level0 = tile_hashes(TileRef(0, 3), LOG.tile(TileRef(0, 3)))
    level1 = tile_hashes(TileRef(1, 0), LOG.tile(TileRef(1, 0)))
    assert level1[3] == tile_hash(level0) == merkle.range_hash(3 * 256, 4 * 256, LOG.get)


def test_a_complete_subtree_lies_in_one_tile() -> None:
    assert tile_for_node(0, 300, 1000) == (TileRef(0, 1), 44, 45)
    assert tile_for_node(3, 33, 1000) == (TileRef(0, 1), 8, 16)  # leaves 264..271
    assert tile_for_node(9, 1, 70_000) == (TileRef(1, 0), 2, 4)
    assert tile_for_node(8, 2, 1000) == (TileRef(1, 0, 3), 2, 3)


def test_an_incomplete_subtree_is_in_no_tile() -> None:
    with pytest.raises(BadIndexError):
        tile_for_node(2, 1, 7)


def test_a_tile_body_is_its_hashes_concatenated() -> None:
    hashes = [bytes([i]) * 32 for i in range(3)]
    assert tile_hashes(TileRef(0, 0, 3), tile_bytes(hashes)) == hashes


def _reader(size: int) -> TileReader:
    return TileReader(size, LOG.tile)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, BIG))
def test_the_root_from_tiles_is_the_tree_head(size: int) -> None:
    assert _reader(size).root() == merkle.root(size, LOG.get)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(1, BIG))
def test_an_inclusion_proof_from_tiles_is_the_proof(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1))
    assert _reader(size).inclusion_proof(index) == merkle.inclusion_proof(index, size, LOG.get)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(1, BIG))
def test_a_consistency_proof_from_tiles_is_the_proof(data: st.DataObject, size: int) -> None:
    old = data.draw(st.integers(0, size))
    assert _reader(size).consistency_proof(old) == merkle.consistency_proof(old, size, LOG.get)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, BIG))
def test_a_proof_reads_only_tiles_the_tree_has(size: int) -> None:
    tree = set(tiles_for(size))
    reader = _reader(size)
    reader.root()
    reader.consistency_proof(max(1, size // 3))
    assert set(reader.fetched) <= tree


def test_a_reader_fetches_each_tile_once() -> None:
    fetched: list[TileRef] = []

    def fetch(ref: TileRef) -> bytes:
        fetched.append(ref)
        return LOG.tile(ref)

    reader = TileReader(70_000, fetch)
    reader.root()
    reader.consistency_proof(69_999)
    reader.inclusion_proof(12)
    assert len(fetched) == len(set(fetched)) == len(reader.fetched)
