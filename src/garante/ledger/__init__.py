"""Pure core of Garante's verifiable log: RFC 9162 Merkle trees and C2SP checkpoints.

No database and no I/O: functions take ``bytes`` and ``int`` and read stored subtree
hashes through a ``get(level, index)`` callable. ``merkle`` builds roots and proofs
(RFC 9162 s2.1), ``verify`` checks them with nothing but the standard library (so an
inspector can vendor it), ``note`` and ``checkpoint`` implement c2sp.org/signed-note,
c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature.
"""

from garante.ledger.checkpoint import Checkpoint, cosign, verify_cosignature
from garante.ledger.errors import (
    BadIndexError,
    BadSizeError,
    CheckpointError,
    KeyFormatError,
    LedgerError,
    NoteError,
    ProofError,
    SignatureError,
)
from garante.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    root,
    root_from_leaf_hashes,
    subtrees_completed_by_append,
)
from garante.ledger.note import NoteSigner, Signer, VerifierKey, open_note, sign_note
from garante.ledger.verify import VerificationError, verify_consistency, verify_inclusion

__all__ = [
    "EMPTY_ROOT",
    "BadIndexError",
    "BadSizeError",
    "Checkpoint",
    "CheckpointError",
    "KeyFormatError",
    "LedgerError",
    "NoteError",
    "NoteSigner",
    "ProofError",
    "SignatureError",
    "Signer",
    "VerificationError",
    "VerifierKey",
    "consistency_proof",
    "cosign",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_note",
    "range_hash",
    "root",
    "root_from_leaf_hashes",
    "sign_note",
    "subtrees_completed_by_append",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
]
