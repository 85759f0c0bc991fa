"""The inspector's verifier for RFC 9162 inclusion and consistency proofs.

This module deliberately imports nothing but the standard library -- not even
``garante.ledger.merkle``. An inspector can read or vendor this one file and check a
Garante log without trusting any server code, and because the verifier does not share
code with the prover, a bug in one cannot silently cancel a bug in the other.

The algorithms are transcribed from RFC 9162 s2.1.3.2 (inclusion) and s2.1.4.2
(consistency), including their step numbering.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "HASH_SIZE",
    "VerificationError",
    "root_from_inclusion_proof",
    "roots_from_consistency_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_EMPTY_ROOT = hashlib.sha256(b"").digest()


class VerificationError(Exception):
    """A proof, leaf or root that does not check out. ``code`` is stable for programs."""

    code = "ledger.verification_failed"


def _node(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right), the interior node hash of RFC 9162 s2.1.1."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(proof: Sequence[bytes], **named: bytes) -> None:
    """Reject wrong-length hashes up front, so a truncated value never reaches a compare."""
    for name, value in named.items():
        if len(value) != HASH_SIZE:
            raise VerificationError(f"{name} must be {HASH_SIZE} bytes, got {len(value)}")
    for i, p in enumerate(proof):
        if len(p) != HASH_SIZE:
            raise VerificationError(f"proof[{i}] must be {HASH_SIZE} bytes, got {len(p)}")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from an audit path, RFC 9162 s2.1.3.2 steps 1-4.

    Raises ``VerificationError`` if the index is outside the tree or the path has the
    wrong length for ``(index, size)``; the caller compares the result to a root.
    """
    _check_hashes(proof, leaf_hash=leaf_hash)
    # Step 1: the leaf must be inside the tree.
    if index < 0 or index >= size:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}")
    # Steps 2-3.
    fn, sn, r = index, size - 1, leaf_hash
    # Step 4.
    for p in proof:
        if sn == 0:  # 4a: more path than tree.
            raise VerificationError(
                f"inclusion proof is too long: {len(proof)} hashes for leaf {index} of {size}"
            )
        if fn & 1 or fn == sn:  # 4b: p is a left sibling.
            r = _node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c.
    # Step 5, first half: the path must reach the root.
    if sn != 0:
        raise VerificationError(
            f"inclusion proof is too short: {len(proof)} hashes for leaf {index} of {size}"
        )
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree ``(size, root)``.

    RFC 9162 s2.1.3.2. Returns ``None`` on success and raises ``VerificationError``
    saying what failed otherwise.
    """
    _check_hashes((), root=root)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise VerificationError(
            f"inclusion proof for leaf {index} of {size} leads to root {computed.hex()}, "
            f"not the expected {root.hex()}"
        )


def roots_from_consistency_proof(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Recompute (old root, new root) from a consistency proof, RFC 9162 s2.1.4.2 1-6.

    Requires ``0 < old_size < new_size``; the trivial cases are handled by
    ``verify_consistency``. Raises ``VerificationError`` for a proof of the wrong shape.
    """
    _check_hashes(proof, old_root=old_root)
    if not 0 < old_size < new_size:
        raise VerificationError(
            f"consistency proof needs 0 < old_size < new_size, got {old_size} and {new_size}"
        )
    # Step 1.
    if not proof:
        raise VerificationError("consistency proof is empty but the sizes differ")
    path = list(proof)
    # Step 2: a power-of-two old tree is a node of the new tree; the client has its hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(
                f"consistency proof is too long: {len(proof)} hashes "
                f"for sizes {old_size} -> {new_size}"
            )
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # Step 7, shape half: sn must reach 0.
    if sn != 0:
        raise VerificationError(
            f"consistency proof is too short: {len(proof)} hashes "
            f"for sizes {old_size} -> {new_size}"
        )
    return fr, sr


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that tree ``(new_size, new_root)`` extends tree ``(old_size, old_root)``.

    RFC 9162 s2.1.4.2 for ``0 < old_size < new_size``. Outside that range, as in common
    practice: equal sizes need an empty proof and equal roots; an old size of 0 needs an
    empty proof and the empty-tree root SHA-256("") as ``old_root``. A smaller new size
    (a log that shrank) always fails. Raises ``VerificationError`` saying what failed.
    """
    _check_hashes(proof, old_root=old_root, new_root=new_root)
    if old_size < 0 or new_size < old_size:
        raise VerificationError(
            f"no consistency from size {old_size} to {new_size}: a log never shrinks"
        )
    if old_size == new_size:
        if proof:
            raise VerificationError("consistency proof between equal sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise VerificationError(
                f"two different roots for the same size {old_size}: the log forked"
            )
        return
    if old_size == 0:
        if proof:
            raise VerificationError("consistency proof from the empty tree must be empty")
        if not hmac.compare_digest(old_root, _EMPTY_ROOT):
            raise VerificationError("old root for size 0 must be SHA-256 of the empty string")
        return
    fr, sr = roots_from_consistency_proof(old_size, new_size, old_root, proof)
    if not hmac.compare_digest(fr, old_root):
        raise VerificationError(
            f"consistency proof does not lead to the old root for size {old_size}"
        )
    if not hmac.compare_digest(sr, new_root):
        raise VerificationError(
            f"consistency proof does not lead to the new root for size {new_size}"
        )
