"""Storage model, argument checking and cost bounds of garante.ledger.merkle."""

from __future__ import annotations

import hashlib

import pytest

from garante.ledger import merkle
from garante.ledger.errors import BadIndexError, BadSizeError, LedgerError, ProofError
from garante.ledger.verify import verify_consistency, verify_inclusion
from tests.support.memlog import MemoryLog


def _entries(n: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(n)]


def _mth(entries: list[bytes]) -> bytes:
    """Straight RFC 9162 s2.1.1 recursion, the slow reference for these tests."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return merkle.leaf_hash(entries[0])
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return merkle.node_hash(_mth(entries[:k]), _mth(entries[k:]))


def test_append_stores_one_node_per_complete_subtree() -> None:
    log = MemoryLog(_entries(8))
    assert sorted(log.nodes) == sorted(
        [(0, i) for i in range(8)] + [(1, i) for i in range(4)] + [(2, 0), (2, 1), (3, 0)]
    )


def test_append_returns_level_zero_first() -> None:
    log = MemoryLog(_entries(7))
    out = merkle.subtrees_completed_by_append(7, b"x", log.get)
    assert [(level, index) for level, index, _ in out] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert out[0][2] == merkle.leaf_hash(b"x")


def test_append_to_even_size_completes_only_the_leaf() -> None:
    log = MemoryLog(_entries(6))
    reads_before = log.reads
    out = merkle.subtrees_completed_by_append(6, b"x", log.get)
    assert [(level, index) for level, index, _ in out] == [(0, 6)]
    assert log.reads == reads_before


def test_append_reads_are_amortised_constant() -> None:
    log = MemoryLog(_entries(4096))
    assert log.reads < 4096  # sum of trailing ones of 0..4095 is 4095


def test_every_stored_node_is_the_mth_of_its_range() -> None:
    entries = _entries(37)
    log = MemoryLog(entries)
    for (level, index), h in log.nodes.items():
        assert h == _mth(entries[index << level : (index + 1) << level])


def test_append_by_leaf_hash_equals_append_by_entry() -> None:
    log = MemoryLog(_entries(5))
    by_entry = merkle.subtrees_completed_by_append(5, b"x", log.get)
    by_hash = merkle.subtrees_completed_by_leaf_hash(5, merkle.leaf_hash(b"x"), log.get)
    assert by_entry == by_hash


@pytest.mark.parametrize(("before", "count"), [(0, 1), (0, 16), (5, 11), (7, 1), (13, 50)])
def test_batch_of_leaf_hashes_completes_what_each_leaf_in_turn_completes(
    before: int, count: int
) -> None:
    log = MemoryLog(_entries(before))
    leaves = [merkle.leaf_hash(e) for e in _entries(before + count)[before:]]
    batch = merkle.subtrees_completed_by_leaf_hashes(before, leaves, log.get)
    one_by_one = MemoryLog(_entries(before))
    expected = []
    for offset, leaf in enumerate(leaves):
        made = merkle.subtrees_completed_by_leaf_hash(before + offset, leaf, one_by_one.get)
        one_by_one.nodes.update({(level, index): h for level, index, h in made})
        expected += made
    assert batch == expected


def test_batch_of_leaf_hashes_reads_only_nodes_left_of_it() -> None:
    log = MemoryLog(_entries(7))
    reads = log.reads
    leaves = [merkle.leaf_hash(e) for e in _entries(16)[7:]]
    merkle.subtrees_completed_by_leaf_hashes(7, leaves, log.get)
    assert log.reads - reads == 3  # (0, 6), (1, 2), (2, 0): the left siblings of leaf 7


def test_batch_of_leaf_hashes_rejects_wrong_length_hash() -> None:
    with pytest.raises(LedgerError, match="32 bytes"):
        merkle.subtrees_completed_by_leaf_hashes(0, [bytes(32), b"abc"], MemoryLog().get)


def test_append_rejects_negative_size() -> None:
    with pytest.raises(BadSizeError, match="size_before must be >= 0"):
        merkle.subtrees_completed_by_append(-1, b"x", MemoryLog().get)


def test_append_by_leaf_hash_rejects_wrong_length_hash() -> None:
    with pytest.raises(LedgerError, match="32 bytes"):
        merkle.subtrees_completed_by_leaf_hash(0, b"abc", MemoryLog().get)


@pytest.mark.parametrize("size", range(0, 40))
def test_root_equals_reference_recursion(size: int) -> None:
    entries = _entries(size)
    assert merkle.root(size, MemoryLog(entries).get) == _mth(entries)


@pytest.mark.parametrize(("lo", "hi"), [(0, 5), (1, 3), (3, 9), (5, 6), (2, 2), (7, 20)])
def test_range_hash_of_any_range_is_its_mth(lo: int, hi: int) -> None:
    entries = _entries(20)
    assert merkle.range_hash(lo, hi, MemoryLog(entries).get) == _mth(entries[lo:hi])


def test_range_hash_rejects_reversed_range() -> None:
    with pytest.raises(BadSizeError, match=r"range \[5, 3\) is invalid"):
        merkle.range_hash(5, 3, MemoryLog().get)


def test_range_hash_propagates_missing_node() -> None:
    with pytest.raises(KeyError):
        merkle.range_hash(0, 4, MemoryLog(_entries(3)).get)


def test_root_from_leaf_hashes_of_nothing_is_empty_root() -> None:
    assert merkle.root_from_leaf_hashes([]) == merkle.EMPTY_ROOT


def test_root_from_leaf_hashes_matches_store_for_large_log() -> None:
    entries = _entries(5000)
    log = MemoryLog(entries)
    hashes = [merkle.leaf_hash(e) for e in entries]
    assert merkle.root_from_leaf_hashes(hashes) == merkle.root(5000, log.get)


def test_root_reads_logarithmically_many_nodes() -> None:
    log = MemoryLog(_entries(100_000))
    log.reads = 0
    merkle.root(99_999, log.get)
    assert log.reads <= 17  # one stored node per set bit of the size


def test_inclusion_proof_reads_logarithmically_many_nodes() -> None:
    log = MemoryLog(_entries(100_000))
    for index in (0, 50_000, 99_998):
        log.reads = 0
        merkle.inclusion_proof(index, 99_999, log.get)
        assert log.reads <= 2 * 17


def test_consistency_proof_reads_logarithmically_many_nodes() -> None:
    log = MemoryLog(_entries(100_000))
    for old in (1, 12_345, 65_536, 99_998):
        log.reads = 0
        merkle.consistency_proof(old, 99_999, log.get)
        assert log.reads <= 3 * 17


def test_proofs_of_historical_sizes_verify_against_historical_roots() -> None:
    entries = _entries(300)
    log = MemoryLog(entries)
    size, old = 201, 77
    root = _mth(entries[:size])
    verify_inclusion(
        merkle.leaf_hash(entries[150]), 150, size, merkle.inclusion_proof(150, size, log.get), root
    )
    verify_consistency(
        old, size, _mth(entries[:old]), root, merkle.consistency_proof(old, size, log.get)
    )


@pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (6, 5), (0, 0)])
def test_inclusion_proof_rejects_index_outside_tree(index: int, size: int) -> None:
    with pytest.raises(BadIndexError, match=f"leaf index {index} is not in a tree of size {size}"):
        merkle.inclusion_proof(index, size, MemoryLog(_entries(5)).get)


def test_bad_index_error_has_stable_code_and_hint() -> None:
    with pytest.raises(ProofError) as info:
        merkle.inclusion_proof(9, 5, MemoryLog(_entries(5)).get)
    assert info.value.code == "ledger.bad_index"
    assert info.value.hint == "need 0 <= index < size and size >= 1"


@pytest.mark.parametrize(("old", "new"), [(-1, 3), (4, 3)])
def test_consistency_proof_rejects_shrinking_or_negative_sizes(old: int, new: int) -> None:
    with pytest.raises(BadSizeError, match="need 0 <= old_size <= new_size") as info:
        merkle.consistency_proof(old, new, MemoryLog(_entries(5)).get)
    assert info.value.code == "ledger.bad_size"


@pytest.mark.parametrize(("old", "new"), [(0, 0), (0, 5), (5, 5)])
def test_trivial_consistency_proofs_are_empty(old: int, new: int) -> None:
    assert merkle.consistency_proof(old, new, MemoryLog(_entries(5)).get) == []


def test_root_rejects_negative_size() -> None:
    with pytest.raises(BadSizeError, match="tree size must be >= 0"):
        merkle.root(-1, MemoryLog().get)
