"""Checking a whole log in chunks finds what checking it entry by entry found, at the same index."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.canonical import canonical
from garante.ledger import merkle
from garante.ledger.checkpoint import Checkpoint, sign_checkpoint
from garante.ledger.errors import BadSizeError
from garante.ledger.logcheck import StoredEntry, _RootBuilder, check_log
from garante.ledger.note import Signer

SIGNER = Signer.generate("test/log")
KEY = SIGNER.verifier_key()
# Three chunks and a bit; the checkpoints straddle the chunk boundaries.
SIZE = 9_000
SIZES = (1, 4_095, 4_096, 4_097, 8_192, SIZE)


def entries(count: int) -> list[StoredEntry]:
    rows = [canonical({"v": 1, "n": n}) for n in range(count)]
    return [
        StoredEntry(index=n, entry=row, stored_leaf=merkle.leaf_hash(row))
        for n, row in enumerate(rows)
    ]


def signed(stored: list[StoredEntry], size: int) -> str:
    root = merkle.root_from_leaf_hashes([merkle.leaf_hash(s.entry) for s in stored[:size]])
    return sign_checkpoint(Checkpoint(KEY.name, size, root), SIGNER)


LOG = entries(SIZE)
NOTES = [signed(LOG, size) for size in SIZES]


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 300),
    cuts=st.lists(st.integers(1, 300), max_size=6),
)
def test_extending_in_any_pieces_gives_every_prefix_root(count: int, cuts: list[int]) -> None:
    leaves = [merkle.leaf_hash(n.to_bytes(2, "big")) for n in range(count)]
    builder = _RootBuilder()
    start = 0
    for cut in [*sorted({c for c in cuts if c < count}), count]:
        builder.extend(leaves[start:cut])
        start = cut
        assert builder.root() == merkle.root_from_leaf_hashes(leaves[:cut])


def test_a_subtree_root_needs_a_power_of_two_leaves() -> None:
    with pytest.raises(BadSizeError):
        merkle.subtree_root([bytes(32)] * 3)


def test_a_whole_log_verifies_against_checkpoints_across_chunks() -> None:
    report = check_log(LOG, NOTES, KEY)
    assert report.ok, report.findings
    assert report.entries == SIZE
    assert report.checkpoints_verified == len(SIZES)


def test_a_changed_entry_in_a_later_chunk_is_named_by_its_index() -> None:
    changed = list(LOG)
    changed[5_000] = StoredEntry(
        index=5_000, entry=canonical({"v": 1, "n": -1}), stored_leaf=LOG[5_000].stored_leaf
    )
    report = check_log(changed, NOTES, KEY)
    assert report.first_bad_index == 5_000
    assert report.latest_verified_size == 4_097


def test_a_change_without_stored_leaves_is_bounded_by_the_checkpoints() -> None:
    bare = [StoredEntry(index=s.index, entry=s.entry) for s in LOG]
    bare[5_000] = StoredEntry(index=5_000, entry=canonical({"v": 1, "n": -1}))
    report = check_log(bare, NOTES, KEY)
    assert report.first_bad_index == 4_097
    assert report.checkpoints_verified == 4


def test_a_deleted_entry_is_reported_where_it_is_missing() -> None:
    report = check_log(LOG[:6_000] + LOG[6_001:], NOTES, KEY)
    assert report.first_bad_index == 6_000
    assert "missing" in str(report.findings[0])


def test_entries_beyond_the_log_a_checkpoint_covers_are_reported_deleted() -> None:
    report = check_log(LOG[:8_000], NOTES, KEY)
    assert [f.index for f in report.findings] == [8_000, 8_000]


def test_a_non_canonical_entry_is_reported_by_the_form_check() -> None:
    odd = b'{"n": 1}'
    changed = [*LOG[:10], StoredEntry(index=10, entry=odd)]
    note = signed(changed, 11)
    assert [f.index for f in check_log(changed, [note], KEY).findings] == [10]


def test_the_tree_only_check_skips_the_form_check() -> None:
    odd = b'{"n": 1}'
    changed = [*LOG[:10], StoredEntry(index=10, entry=odd)]
    report = check_log(changed, [signed(changed, 11)], KEY, forms=False)
    assert report.ok
    assert report.checkpoints_verified == 1


def test_each_entry_reaches_the_reader_with_its_parsed_value() -> None:
    seen: list[tuple[int, object]] = []
    check_log(LOG[:5_000], [], KEY, forms=False, then=lambda s, v: seen.append((s.index, v)))
    assert len(seen) == 5_000
    assert seen[4_999] == (4_999, {"v": 1, "n": 4_999})
