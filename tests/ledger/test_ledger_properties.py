"""Hypothesis properties: proofs from the stored tree verify, and any tampering fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.ledger import merkle
from garante.ledger.verify import VerificationError, verify_consistency, verify_inclusion
from tests.support.memlog import MemoryLog


def _entry_lists(min_size: int, *, unique: bool = False) -> st.SearchStrategy[list[bytes]]:
    """A size drawn uniformly from [min_size, 300], then that many random entries."""
    return st.integers(min_size, 300).flatmap(
        lambda n: st.lists(st.binary(max_size=8), min_size=n, max_size=n, unique=unique)
    )


entry_lists = _entry_lists(1)


def _flip(value: bytes, position: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


@settings(max_examples=40, deadline=None)
@given(entries=entry_lists)
def test_every_inclusion_proof_verifies_against_whole_log_root(entries: list[bytes]) -> None:
    log = MemoryLog(entries)
    hashes = [merkle.leaf_hash(e) for e in entries]
    for size in {len(entries), max(1, len(entries) // 2 + 1)}:
        root = merkle.root_from_leaf_hashes(hashes[:size])
        assert merkle.root(size, log.get) == root
        for index in range(size):
            verify_inclusion(
                hashes[index], index, size, merkle.inclusion_proof(index, size, log.get), root
            )


@settings(max_examples=40, deadline=None)
@given(entries=entry_lists)
def test_every_consistency_proof_verifies_against_whole_log_roots(entries: list[bytes]) -> None:
    log = MemoryLog(entries)
    hashes = [merkle.leaf_hash(e) for e in entries]
    n = len(entries)
    new_root = merkle.root_from_leaf_hashes(hashes)
    for old in range(n + 1):
        old_root = merkle.root_from_leaf_hashes(hashes[:old])
        verify_consistency(old, n, old_root, new_root, merkle.consistency_proof(old, n, log.get))


@given(entries=entry_lists, data=st.data())
@settings(max_examples=150, deadline=None)
def test_flipping_any_byte_breaks_inclusion(entries: list[bytes], data: st.DataObject) -> None:
    log = MemoryLog(entries)
    n = len(entries)
    index = data.draw(st.integers(0, n - 1), label="index")
    leaf = merkle.leaf_hash(entries[index])
    proof = merkle.inclusion_proof(index, n, log.get)
    root = merkle.root(n, log.get)
    verify_inclusion(leaf, index, n, proof, root)
    target = data.draw(st.sampled_from(["leaf", "root", "proof"] if proof else ["leaf", "root"]))
    pos = data.draw(st.integers(0, 31), label="byte")
    if target == "leaf":
        leaf = _flip(leaf, pos)
    elif target == "root":
        root = _flip(root, pos)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        proof[i] = _flip(proof[i], pos)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, n, proof, root)


@given(entries=_entry_lists(2), data=st.data())
@settings(max_examples=150, deadline=None)
def test_flipping_any_byte_breaks_consistency(entries: list[bytes], data: st.DataObject) -> None:
    log = MemoryLog(entries)
    n = len(entries)
    old = data.draw(st.integers(1, n - 1), label="old size")
    proof = merkle.consistency_proof(old, n, log.get)
    old_root, new_root = merkle.root(old, log.get), merkle.root(n, log.get)
    verify_consistency(old, n, old_root, new_root, proof)
    target = data.draw(st.sampled_from(["old root", "new root", "proof"]))
    pos = data.draw(st.integers(0, 31), label="byte")
    if target == "old root":
        old_root = _flip(old_root, pos)
    elif target == "new root":
        new_root = _flip(new_root, pos)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        proof[i] = _flip(proof[i], pos)
    with pytest.raises(VerificationError):
        verify_consistency(old, n, old_root, new_root, proof)


@given(entries=_entry_lists(2, unique=True), data=st.data())
@settings(max_examples=100, deadline=None)
def test_inclusion_proof_for_another_index_fails(entries: list[bytes], data: st.DataObject) -> None:
    log = MemoryLog(entries)
    n = len(entries)
    index = data.draw(st.integers(0, n - 1))
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != index))
    proof = merkle.inclusion_proof(index, n, log.get)
    leaf = merkle.leaf_hash(entries[index])
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, other, n, proof, merkle.root(n, log.get))


@given(entries=entry_lists, extra=st.binary())
@settings(max_examples=100, deadline=None)
def test_root_from_leaf_hashes_matches_stored_root_after_each_append(
    entries: list[bytes], extra: bytes
) -> None:
    log = MemoryLog(entries)
    log.append(extra)
    hashes = [merkle.leaf_hash(e) for e in [*entries, extra]]
    assert merkle.root(log.size, log.get) == merkle.root_from_leaf_hashes(hashes)
