"""Published RFC 6962 / Certificate Transparency test vectors.

Hex constants transcribed from transparency-dev/merkle:
  - proof/verify_test.go (the 8-leaf test tree: ``leaves``, ``roots``, ``inclusionProofs``,
    ``consistencyProofs``, ``sha256EmptyTreeHash``, ``sha256SomeHash``), the same tree as
    google/certificate-transparency cpp/merkletree/merkle_tree_test.cc;
  - rfc6962/rfc6962_test.go (empty root, empty leaf, "L123456" leaf, "N123"/"N456" node).
Only the constants were transcribed; the Go file's inclusion vectors number leaves from 1,
so they appear here with their 0-based index.
"""

from __future__ import annotations

import pytest

from garante.ledger import merkle
from garante.ledger.verify import (
    VerificationError,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.support.memlog import MemoryLog

H = bytes.fromhex

LEAVES = [
    H(""),
    H("00"),
    H("10"),
    H("2021"),
    H("3031"),
    H("40414243"),
    H("5051525354555657"),
    H("606162636465666768696a6b6c6d6e6f"),
]

ROOTS = [  # ROOTS[n - 1] is MTH of the first n leaves
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")

INCLUSION = [  # (0-based leaf index, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


@pytest.fixture(scope="module")
def log() -> MemoryLog:
    return MemoryLog(LEAVES)


def _id(case: tuple[int, int, list[bytes]]) -> str:
    return f"{case[0]}-{case[1]}"


# --- hashing (rfc6962/rfc6962_test.go) ---------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    expected = H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert expected == merkle.EMPTY_ROOT


def test_empty_leaf_hash_differs_from_empty_root() -> None:
    assert merkle.leaf_hash(b"") == H(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_leaf_hash_prefixes_0x00() -> None:
    assert merkle.leaf_hash(b"L123456") == H(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )


def test_node_hash_prefixes_0x01() -> None:
    assert merkle.node_hash(b"N123", b"N456") == H(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


# --- roots -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 9))
def test_root_from_leaf_hashes_matches_published_root(size: int) -> None:
    hashes = [merkle.leaf_hash(e) for e in LEAVES[:size]]
    assert merkle.root_from_leaf_hashes(hashes) == ROOTS[size - 1]


@pytest.mark.parametrize("size", range(1, 9))
def test_stored_subtree_root_matches_published_root(log: MemoryLog, size: int) -> None:
    assert merkle.root(size, log.get) == ROOTS[size - 1]


def test_root_of_size_zero_is_empty_root(log: MemoryLog) -> None:
    assert merkle.root(0, log.get) == merkle.EMPTY_ROOT


# --- inclusion ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", INCLUSION, ids=_id)
def test_inclusion_proof_matches_published_path(
    log: MemoryLog, case: tuple[int, int, list[bytes]]
) -> None:
    index, size, path = case
    assert merkle.inclusion_proof(index, size, log.get) == path


@pytest.mark.parametrize("case", INCLUSION, ids=_id)
def test_published_inclusion_path_verifies(case: tuple[int, int, list[bytes]]) -> None:
    index, size, path = case
    leaf = merkle.leaf_hash(LEAVES[index])
    assert root_from_inclusion_proof(leaf, index, size, path) == ROOTS[size - 1]
    verify_inclusion(leaf, index, size, path, ROOTS[size - 1])


def _inclusion_probes(
    index: int, size: int, path: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """Corruptions listed in proof/verify_test.go corruptInclusionProof, re-expressed."""
    probes = [
        ("index-1", index - 1, size, path, root, leaf),
        ("index+1", index + 1, size, path, root, leaf),
        ("index^2", index ^ 2, size, path, root, leaf),
        ("size*2", index, size * 2, path, root, leaf),
        ("size/2", index, size // 2, path, root, leaf),
        ("wrong leaf", index, size, path, root, merkle.leaf_hash(b"WrongLeaf")),
        ("empty root", index, size, path, merkle.EMPTY_ROOT, leaf),
        ("random root", index, size, path, SOME_HASH, leaf),
        ("trailing garbage", index, size, [*path, b""], root, leaf),
        ("trailing root", index, size, [*path, root], root, leaf),
        ("preceding garbage", index, size, [b"", *path], root, leaf),
        ("preceding root", index, size, [root, *path], root, leaf),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"proof[{i}] bit 3", index, size, flipped, root, leaf))
    if path:
        probes.append(("removed component", index, size, path[:-1], root, leaf))
    if len(path) > 1:
        probes.append(
            ("inserted component", index, size, [path[0], SOME_HASH, *path[1:]], root, leaf)
        )
    return probes


@pytest.mark.parametrize("case", INCLUSION, ids=_id)
def test_corrupted_published_inclusion_proofs_fail(case: tuple[int, int, list[bytes]]) -> None:
    index, size, path = case
    leaf = merkle.leaf_hash(LEAVES[index])
    accepted = []
    for desc, i, n, p, r, lh in _inclusion_probes(index, size, path, ROOTS[size - 1], leaf):
        try:
            verify_inclusion(lh, i, n, p, r)
        except VerificationError:
            continue
        accepted.append(desc)
    assert accepted == []


# --- consistency -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CONSISTENCY, ids=_id)
def test_consistency_proof_matches_published_proof(
    log: MemoryLog, case: tuple[int, int, list[bytes]]
) -> None:
    old, new, proof = case
    assert merkle.consistency_proof(old, new, log.get) == proof


@pytest.mark.parametrize("case", CONSISTENCY, ids=_id)
def test_published_consistency_proof_verifies(case: tuple[int, int, list[bytes]]) -> None:
    old, new, proof = case
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _consistency_probes(
    old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    """Corruptions listed in proof/verify_test.go corruptConsistencyProof, re-expressed."""
    probes = [
        ("old-1", old - 1, new, r1, r2, proof),
        ("old+1", old + 1, new, r1, r2, proof),
        ("old^2", old ^ 2, new, r1, r2, proof),
        ("new*2", old, new * 2, r1, r2, proof),
        ("new/2", old, new // 2, r1, r2, proof),
        ("wrong root1", old, new, SOME_HASH, r2, proof),
        ("wrong root2", old, new, r1, SOME_HASH, proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing root1", old, new, r1, r2, [*proof, r1]),
        ("trailing root2", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding root1", old, new, r1, r2, [r1, *proof]),
        ("preceding root2", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated", old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((f"proof[{i}] bit 4", old, new, r1, r2, flipped))
    return probes


@pytest.mark.parametrize("case", [c for c in CONSISTENCY if c[2]], ids=_id)
def test_corrupted_published_consistency_proofs_fail(case: tuple[int, int, list[bytes]]) -> None:
    old, new, proof = case
    accepted = []
    for desc, m, n, r1, r2, p in _consistency_probes(
        old, new, ROOTS[old - 1], ROOTS[new - 1], proof
    ):
        try:
            verify_consistency(m, n, r1, r2, p)
        except VerificationError:
            continue
        accepted.append(desc)
    assert accepted == []
