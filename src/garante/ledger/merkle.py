"""RFC 9162 section 2.1 Merkle Tree Hash, proofs and append-only storage model.

Everything here is pure: inputs are ``bytes`` and ``int`` and hashes are read through a
``get(level, index)`` callable, so the server can back it with any store and the tests
with a dict.

Storage model. A *complete subtree* is addressed as ``(level, index)``: level 0 index
``i`` is the leaf hash of entry ``i``; level ``L`` index ``k`` is the MTH of leaves
``[k * 2**L, (k + 1) * 2**L)``. Only complete subtrees are ever stored, so a stored hash
never changes once written (the log is append-only), and every hash RFC 9162 proofs need
is either one stored node or a fold of O(log n) of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from garante.ledger.errors import BadIndexError, BadSizeError, LedgerError, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "BadIndexError",
    "BadSizeError",
    "GetNode",
    "LedgerError",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "range_hash",
    "root",
    "root_from_leaf_hashes",
    "subtree_root",
    "subtrees_completed_by_append",
    "subtrees_completed_by_leaf_hash",
]

GetNode = Callable[[int, int], bytes]
"""Reads the stored hash of the complete subtree ``(level, index)``; raises if absent."""

HASH_SIZE = 32
"""SHA-256 output length; every hash in an RFC 9162 SHA-256 log has this size."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH() -- the root of the empty tree (RFC 9162 s2.1.1)."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = HASH(0x00 || d) (RFC 9162 s2.1.1).

    The 0x00 prefix domain-separates leaves from interior nodes so that no interior
    node can be presented as a leaf (second-preimage resistance, RFC 9162 s2.1.1).
    """
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node HASH(0x01 || left || right) (RFC 9162 s2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k, the largest power of two smaller than n, for n > 1 (RFC 9162 s2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def leaf_hashes(entries: Sequence[bytes]) -> list[bytes]:
    """``leaf_hash`` of each entry, in one comprehension: a whole log's worth without a Python
    call per entry."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + entry).digest() for entry in entries]


def subtree_root(hashes: Sequence[bytes]) -> bytes:
    """MTH of a complete subtree given its 2**k leaf hashes, one level at a time.

    Each level is one comprehension over the pairs of the level below, so a verifier pays one
    SHA-256 per interior node and almost nothing else. The count must be a power of two (a
    complete subtree): anything else is a caller's error, not a tree.
    """
    count = len(hashes)
    if count == 0 or count & (count - 1):
        raise BadSizeError(f"a complete subtree has 2**k leaves, not {count}")
    sha256 = hashlib.sha256
    level = list(hashes)
    while len(level) > 1:
        pairs = iter(level)
        level = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(pairs, pairs, strict=True)
        ]
    return level[0]


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of a whole log given its leaf hashes, in O(n) time and O(log n) memory.

    Keeps a stack of complete subtrees (one per set bit of the count so far), merging
    equal-sized neighbours as leaves arrive; the final fold from the right is exactly
    the RFC 9162 s2.1.1 recursion, because splitting at the largest power of two below
    n peels off the subtrees in decreasing size. Used to check a whole log and by tests.
    """
    stack: list[bytes] = []
    for count, h in enumerate(hashes, start=1):
        stack.append(h)
        # One merge per trailing zero bit of the new count: those subtrees just completed.
        merges = (count & -count).bit_length() - 1
        for _ in range(merges):
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1]
    for left in reversed(stack[:-1]):
        acc = node_hash(left, acc)
    return acc


def subtrees_completed_by_append(
    size_before: int, leaf: bytes, get: GetNode
) -> list[tuple[int, int, bytes]]:
    """Complete subtrees created by appending entry number ``size_before``.

    ``leaf`` is the entry itself; it is hashed with ``leaf_hash``. Returns
    ``(level, index, hash)`` triples, level 0 first, which the caller stores so that
    later proofs can read them through ``get``. See ``subtrees_completed_by_leaf_hash``.
    """
    return subtrees_completed_by_leaf_hash(size_before, leaf_hash(leaf), get)


def subtrees_completed_by_leaf_hash(
    size_before: int, leaf_hash_value: bytes, get: GetNode
) -> list[tuple[int, int, bytes]]:
    """Complete subtrees created by appending a leaf whose hash is already known.

    Appending leaf ``i`` completes one subtree per trailing one bit of ``i``: the new
    node at level L is ``node_hash(get(L, idx - 1), new)`` while its index is odd.
    That is amortised O(1) reads and writes per append (the count of trailing ones
    averages below one), and it is what makes the stored nodes sufficient for
    RFC 9162 s2.1.3 and s2.1.4 proofs.
    """
    return subtrees_completed_by_leaf_hashes(size_before, (leaf_hash_value,), get)


def subtrees_completed_by_leaf_hashes(
    size_before: int, leaf_hash_values: Sequence[bytes], get: GetNode
) -> list[tuple[int, int, bytes]]:
    """Complete subtrees created by appending leaves whose hashes are known, in order: the
    triples ``subtrees_completed_by_leaf_hash`` gives for each leaf in turn, concatenated.

    For an integrator's batch. A left sibling the batch itself completed is taken from what
    it made (the last node it made at each level), not asked of ``get``, which is asked only
    for the nodes left of the batch; and the loop runs in one call, not one per leaf, with
    its list of triples per leaf, which cost more than hashing the batch.
    """
    if size_before < 0:
        raise BadSizeError(
            f"size_before must be >= 0, got {size_before}",
            hint="pass the number of leaves already in the log",
        )
    sha256 = hashlib.sha256
    out: list[tuple[int, int, bytes]] = []
    append = out.append
    # Per level, the last node made at an even index: the only nodes a later one of the
    # batch needs as its left sibling.
    made: dict[int, tuple[int, bytes]] = {}
    for index, acc in enumerate(leaf_hash_values, start=size_before):
        if len(acc) != HASH_SIZE:
            _check_hash(acc, "leaf hash")
        level = 0
        append((0, index, acc))
        while index & 1:
            last = made.get(level)
            left = last[1] if last is not None and last[0] == index - 1 else get(level, index - 1)
            acc = sha256(b"\x01" + left + acc).digest()
            level, index = level + 1, index >> 1
            append((level, index, acc))
        made[level] = (index, acc)
    return out


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise LedgerError(
            f"{what} must be {HASH_SIZE} bytes (SHA-256), got {len(value)}",
            hint="pass a raw digest, not hex or base64",
        )


def range_hash(lo: int, hi: int, get: GetNode) -> bytes:
    """MTH(D[lo:hi]) built from stored complete subtrees (RFC 9162 s2.1.1).

    Follows the RFC recursion: if the range is itself a complete aligned subtree it is
    one ``get``; otherwise split at ``k``, the largest power of two below ``hi - lo``.
    Every range an RFC 9162 proof asks for starts at a multiple of the next power of
    two at or above its length, and for those the left part is always a single stored
    node, so this costs O(log n) reads. Other ranges are still answered correctly but
    may read up to O(hi - lo) nodes. ``range_hash(x, x)`` is the empty root.
    """
    if lo < 0 or hi < lo:
        raise BadSizeError(
            f"range [{lo}, {hi}) is invalid",
            hint="need 0 <= lo <= hi",
        )
    if lo == hi:
        return EMPTY_ROOT
    spine: list[bytes] = []
    while True:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            level = n.bit_length() - 1
            acc = get(level, lo >> level)
            break
        k = _largest_power_of_two_below(n)
        spine.append(range_hash(lo, lo + k, get))
        lo += k
    for left in reversed(spine):
        acc = node_hash(left, acc)
    return acc


def root(size: int, get: GetNode) -> bytes:
    """MTH(D[0:size]) -- the tree head at ``size`` (RFC 9162 s2.1.1), O(log size) reads."""
    if size < 0:
        raise BadSizeError(f"tree size must be >= 0, got {size}")
    return range_hash(0, size, get)


def inclusion_proof(index: int, size: int, get: GetNode) -> list[bytes]:
    """PATH(index, D[0:size]) -- the audit path of RFC 9162 s2.1.3.1.

    Walks down from the root collecting the sibling of the side that holds ``index``,
    then reverses, because the RFC lists the path leaf-to-root (each recursive PATH is
    followed by its sibling). Only the first right sibling can be an incomplete
    subtree, so the proof costs O(log size) reads.
    """
    if size <= 0 or not 0 <= index < size:
        raise BadIndexError(
            f"leaf index {index} is not in a tree of size {size}",
            hint="need 0 <= index < size and size >= 1",
        )
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            path.append(range_hash(lo + k, hi, get))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k, get))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get: GetNode) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) -- RFC 9162 s2.1.4.1 (SUBPROOF unrolled).

    The RFC defines PROOF for ``0 < m < n``; for ``m == n`` and ``m == 0`` this returns
    the empty proof, the convention the verifiers follow (every tree is consistent with
    itself, and the empty tree is a prefix of every tree). Reads O(log new_size) nodes.
    """
    if old_size < 0 or new_size < old_size:
        raise BadSizeError(
            f"cannot prove consistency from size {old_size} to size {new_size}",
            hint="need 0 <= old_size <= new_size",
        )
    if old_size == 0 or old_size == new_size:
        return []
    proof: list[bytes] = []
    lo, hi, m = 0, new_size, old_size
    complete = True  # SUBPROOF's b: is D[lo:lo+m] the whole old tree, known to the client?
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            proof.append(range_hash(lo + k, hi, get))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, get))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(range_hash(lo, hi, get))
    proof.reverse()
    return proof
