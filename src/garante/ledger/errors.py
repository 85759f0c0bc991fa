"""Typed errors for the pure ledger core.

The ledger core imports nothing from the rest of Garante, so it cannot raise
``garante.domain.errors.GaranteError``; instead every refusal here is a
``LedgerError`` with the same shape (a stable ``code``, a ``message`` saying what is
wrong, and an optional ``hint`` saying what would be accepted). The service layer
maps these onto its own errors at its edge.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger core raises on bad input."""

    code: str = "ledger.error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message if hint is None else f"{message} ({hint})")
        self.message = message
        self.hint = hint


class ProofError(LedgerError):
    """A proof or root was requested for arguments outside the tree (RFC 9162 s2.1)."""

    code = "ledger.bad_proof_request"


class BadIndexError(ProofError):
    """A leaf index outside ``[0, size)`` (RFC 9162 s2.1.3.1 needs ``0 <= m < n``)."""

    code = "ledger.bad_index"


class BadSizeError(ProofError):
    """A tree size or range that is negative or out of order (RFC 9162 s2.1.4.1)."""

    code = "ledger.bad_size"


class CheckpointError(LedgerError):
    """Checkpoint text that does not follow c2sp.org/tlog-checkpoint."""

    code = "ledger.bad_checkpoint"


class NoteError(LedgerError):
    """A signed note that is malformed per c2sp.org/signed-note."""

    code = "ledger.bad_note"


class KeyFormatError(LedgerError):
    """A verifier or signer key string that is malformed or inconsistent."""

    code = "ledger.bad_key"


class SignatureError(LedgerError):
    """A note whose signatures do not verify (c2sp.org/signed-note, "Signatures")."""

    code = "ledger.bad_signature"
