"""Checking a tiled log against its signed checkpoint: every change is found, and located."""

from __future__ import annotations

import pytest

from garante.ledger import merkle
from garante.ledger.checkpoint import Checkpoint, sign_checkpoint
from garante.ledger.errors import SignatureError
from garante.ledger.note import Signer
from garante.ledger.tilecheck import check_tiles
from garante.ledger.tiles import TileRef, bundle_bytes, bundles_for, tile_bytes, tiles_for
from tests.support.memlog import MemoryLog

LOG = Signer.generate("garante.example/log")
SIZE = 700  # two full level-0 tiles, a partial one, and a level-1 tile of width 2
ENTRIES = [b'{"n":%d}' % i for i in range(SIZE)]
TREE = MemoryLog(ENTRIES)
NOTE = sign_checkpoint(Checkpoint(LOG.name, SIZE, merkle.root(SIZE, TREE.get)), LOG)


def served(changes: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every tile and bundle of the tree by path, with ``changes`` made to some."""
    tiles = {ref.path: TREE.tile(ref) for ref in tiles_for(SIZE)}
    for ref in bundles_for(SIZE):
        tiles[ref.path] = bundle_bytes(ENTRIES[ref.first : ref.first + ref.width])
    return tiles | (changes or {})


def test_an_honest_tiled_log_verifies_with_one_request_per_tile() -> None:
    tiles = served()
    report = check_tiles(NOTE, LOG.verifier_key(), lambda ref: tiles[ref.path])
    assert report.ok, report.findings
    assert (report.entries, report.latest_verified_size) == (SIZE, SIZE)
    assert sorted(ref.path for ref in report.fetched) == sorted(tiles)
    assert len(report.fetched) == len(tiles) == 3 + 3 + 1


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    with pytest.raises(SignatureError):
        check_tiles(NOTE, Signer.generate(LOG.name).verifier_key(), lambda ref: b"")


def test_a_changed_entry_is_named_by_its_index() -> None:
    entries = ENTRIES[256:512]
    entries[44] = b'{"n":"forged"}'
    tiles = served({"tile/entries/001": bundle_bytes(entries)})
    report = check_tiles(NOTE, LOG.verifier_key(), lambda ref: tiles[ref.path])
    assert report.first_bad_index == 300
    assert str(report.findings[0]) == (
        "entry 300: the entry does not hash to its leaf hash in tile/0/001"
    )


def test_a_changed_level_1_tile_is_named_with_the_entries_it_covers() -> None:
    body = bytearray(TREE.tile(TileRef(1, 0, 2)))
    body[40] ^= 1
    tiles = served({"tile/1/000.p/2": bytes(body)})
    report = check_tiles(NOTE, LOG.verifier_key(), lambda ref: tiles[ref.path])
    assert [str(f) for f in report.findings] == [
        "hash 1 of tile/1/000.p/2 is not the hash of entries 256 to 511",
        "the root computed from the tiles is not the signed one",
    ]
    assert report.first_bad_index == 256


def test_a_tile_and_bundle_changed_together_still_miss_the_signed_root() -> None:
    entries = ENTRIES[:256]
    entries[0] = b"forged"
    hashes = [merkle.leaf_hash(e) for e in entries]
    forged = MemoryLog([*entries, *ENTRIES[256:]])
    tiles = served(
        {
            "tile/entries/000": bundle_bytes(entries),
            "tile/0/000": tile_bytes(hashes),
            "tile/1/000.p/2": forged.tile(TileRef(1, 0, 2)),
        }
    )
    report = check_tiles(NOTE, LOG.verifier_key(), lambda ref: tiles[ref.path])
    assert [str(f) for f in report.findings] == [
        "the entries' root is not the root the checkpoint of size 700 signs"
    ]


def test_a_tile_of_the_wrong_length_is_a_finding() -> None:
    tiles = served({"tile/0/002.p/188": bytes(32)})
    report = check_tiles(NOTE, LOG.verifier_key(), lambda ref: tiles[ref.path])
    assert not report.ok
    assert "tile/0/002.p/188 is 32 bytes" in str(report.findings[0])
