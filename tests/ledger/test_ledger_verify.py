"""Edge cases of the inspector's verifier (RFC 9162 s2.1.3.2, s2.1.4.2) and its independence."""

from __future__ import annotations

import ast
import hashlib
import inspect

import pytest

from garante.ledger import verify
from garante.ledger.verify import (
    VerificationError,
    roots_from_consistency_proof,
    verify_consistency,
    verify_inclusion,
)

EMPTY = hashlib.sha256(b"").digest()
A = hashlib.sha256(b"a").digest()
B = hashlib.sha256(b"b").digest()


def test_verifier_imports_only_the_standard_library() -> None:
    tree = ast.parse(inspect.getsource(verify))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "hashlib", "hmac", "collections.abc"}


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    verify_inclusion(A, 0, 1, [], A)


def test_inclusion_rejects_index_at_or_past_size() -> None:
    with pytest.raises(VerificationError, match="leaf index 1 is not in a tree of size 1"):
        verify_inclusion(A, 1, 1, [], A)


def test_inclusion_rejects_empty_tree() -> None:
    with pytest.raises(VerificationError, match="leaf index 0 is not in a tree of size 0"):
        verify_inclusion(A, 0, 0, [], EMPTY)


def test_inclusion_rejects_short_leaf_hash() -> None:
    with pytest.raises(VerificationError, match="leaf_hash must be 32 bytes, got 0"):
        verify_inclusion(b"", 0, 1, [], A)


def test_inclusion_rejects_short_root() -> None:
    with pytest.raises(VerificationError, match="root must be 32 bytes"):
        verify_inclusion(A, 0, 1, [], b"")


def test_inclusion_proof_longer_than_tree_is_rejected() -> None:
    with pytest.raises(VerificationError, match="too long"):
        verify_inclusion(A, 0, 2, [B, B], A)


def test_inclusion_proof_shorter_than_tree_is_rejected() -> None:
    with pytest.raises(VerificationError, match="too short"):
        verify_inclusion(A, 0, 4, [B], A)


def test_inclusion_error_names_expected_and_computed_roots() -> None:
    with pytest.raises(VerificationError, match=f"not the expected {B.hex()}"):
        verify_inclusion(A, 0, 1, [], B)


def test_equal_sizes_with_equal_roots_are_consistent() -> None:
    verify_consistency(3, 3, A, A, [])


def test_equal_sizes_with_different_roots_is_a_fork() -> None:
    with pytest.raises(VerificationError, match="the log forked"):
        verify_consistency(3, 3, A, B, [])


def test_equal_sizes_need_an_empty_proof() -> None:
    with pytest.raises(VerificationError, match="must be empty"):
        verify_consistency(3, 3, A, A, [EMPTY])


def test_empty_tree_is_consistent_with_any_tree() -> None:
    verify_consistency(0, 5, EMPTY, A, [])


def test_empty_tree_needs_the_empty_root() -> None:
    with pytest.raises(VerificationError, match="SHA-256 of the empty string"):
        verify_consistency(0, 5, A, B, [])


def test_empty_tree_needs_an_empty_proof() -> None:
    with pytest.raises(VerificationError, match="from the empty tree must be empty"):
        verify_consistency(0, 5, EMPTY, B, [A])


@pytest.mark.parametrize(("old", "new"), [(1, 0), (5, 2), (-1, 3)])
def test_a_log_never_shrinks(old: int, new: int) -> None:
    with pytest.raises(VerificationError, match="a log never shrinks"):
        verify_consistency(old, new, A, B, [])


def test_differing_sizes_need_a_nonempty_proof() -> None:
    with pytest.raises(VerificationError, match="empty but the sizes differ"):
        verify_consistency(1, 2, A, B, [])


def test_roots_from_consistency_proof_refuses_trivial_sizes() -> None:
    with pytest.raises(VerificationError, match="0 < old_size < new_size"):
        roots_from_consistency_proof(2, 2, A, [B])


def test_consistency_rejects_wrong_length_proof_element() -> None:
    with pytest.raises(VerificationError, match=r"proof\[0\] must be 32 bytes, got 3"):
        verify_consistency(1, 2, A, B, [b"abc"])


def test_verification_error_has_stable_code() -> None:
    assert VerificationError.code == "ledger.verification_failed"
