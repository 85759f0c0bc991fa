"""Cross-check against pymerkle, an independent RFC 9162 implementation on PyPI.

pymerkle (>= 7, "security" mode) hashes leaves as SHA-256(0x00 || d) and nodes as
SHA-256(0x01 || l || r), so its roots must equal ours at every size. Its inclusion path
lists the leaf's own hash beside its first sibling; with that element removed it must be
our RFC 9162 s2.1.3.1 path exactly. Its consistency proofs use another layout, so they
are checked by feeding our roots to pymerkle's own verifier.
"""

from __future__ import annotations

import pytest

from garante.ledger import merkle
from tests.support.memlog import MemoryLog

pymerkle = pytest.importorskip("pymerkle", minversion="7")

ENTRIES = [f"entry {i}".encode() for i in range(130)]


@pytest.fixture(scope="module")
def theirs() -> object:
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in ENTRIES:
        tree.append_entry(entry)
    return tree


@pytest.fixture(scope="module")
def ours() -> MemoryLog:
    return MemoryLog(ENTRIES)


def test_roots_agree_at_every_size(theirs: object, ours: MemoryLog) -> None:
    for size in range(1, len(ENTRIES) + 1):
        assert theirs.get_root(size) == merkle.root(size, ours.get), size  # type: ignore[attr-defined]


def test_inclusion_paths_agree_for_every_leaf(theirs: object, ours: MemoryLog) -> None:
    for size in (1, 2, 3, 5, 8, 13, 64, 65, 100, 130):
        for index in range(size):
            proof = theirs.prove_inclusion(index + 1, size)  # type: ignore[attr-defined]
            path = [bytes.fromhex(h) for h in proof.serialize()["path"]]
            own = merkle.leaf_hash(ENTRIES[index])
            at = 0 if path[0] == own else 1
            assert path[at] == own
            assert path[:at] + path[at + 1 :] == merkle.inclusion_proof(index, size, ours.get)


def test_pymerkle_consistency_proofs_verify_against_our_roots(
    theirs: object, ours: MemoryLog
) -> None:
    for new in (2, 7, 8, 64, 100, 130):
        for old in range(1, new):
            proof = theirs.prove_consistency(old, new)  # type: ignore[attr-defined]
            pymerkle.verify_consistency(
                merkle.root(old, ours.get), merkle.root(new, ours.get), proof
            )


def test_pymerkle_rejects_our_roots_swapped(theirs: object, ours: MemoryLog) -> None:
    proof = theirs.prove_consistency(5, 9)  # type: ignore[attr-defined]
    with pytest.raises(pymerkle.InvalidProof):
        pymerkle.verify_consistency(merkle.root(9, ours.get), merkle.root(5, ours.get), proof)
