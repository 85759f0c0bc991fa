"""What the service hands back: one frozen dataclass per kind of record, defined once.

The service builds these from what it stored; the API serves them as its response models
(FastAPI reads a dataclass as a schema), the CLI prints them with ``--json``, and the console
renders them. A field added here reaches every interface, and a field an interface reads that
is not here fails ``mypy``, not a user. Times are the log's one text form (``timeutil.iso``),
so what the API says and what the log signed read the same.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from garante.domain.decision import Outcome, RuleHit

# -- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Decided:
    """A request with the decision that now stands for it: what a write moved in the held
    queue, or what a release request came to. ``previous`` is the outcome it had before."""

    request: int
    item: str
    recipient: str
    purpose: str
    outcome: Outcome
    previous: Outcome | None
    undertaking: str | None
    explanation: str
    rules: tuple[RuleHit, ...]
    trigger: str
    decided_at: str
    state_version: int


# -- audit log ---------------------------------------------------------------------------------
#
# Proofs cross the service boundary with their hashes as bytes, for a verifier to use as they
# are; ``encoded()`` gives the form every interface serves (hashes in base64, the entry as its
# canonical JSON text), so the API, the console and the CLI print the same document.


@dataclass(frozen=True, kw_only=True)
class LogKey:
    """The log's verifier key: a C2SP signed-note verifier key, which an inspector should also
    get out of band."""

    log_key: str


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A signed checkpoint as the log serves it: its tree size, its RFC 9162 root (base64 of
    the SHA-256), and the C2SP signed note with witnesses' cosignature lines."""

    size: int
    root_hash: str
    note: str


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """One audit entry: its index and kind, the RFC 8785 canonical JSON of the event, and its
    leaf hash (base64 of SHA-256(0x00 || entry)), as in the proofs."""

    index: int
    kind: str
    entry: str
    leaf_hash: str


@dataclass(frozen=True, kw_only=True)
class EncodedInclusionProof:
    """An RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries, as
    served: the leaf hash and the proof's hashes in base64, the entry as its JSON text."""

    index: int
    size: int
    leaf_hash: str
    entry: str
    proof: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries: the
    entry's bytes, its leaf hash and the proof's hashes, for a verifier to use as they are."""

    index: int
    size: int
    leaf_hash: bytes
    entry: bytes
    proof: tuple[bytes, ...]

    def encoded(self) -> EncodedInclusionProof:
        return EncodedInclusionProof(
            index=self.index,
            size=self.size,
            leaf_hash=_b64(self.leaf_hash),
            entry=self.entry.decode(),
            proof=tuple(_b64(h) for h in self.proof),
        )


@dataclass(frozen=True, kw_only=True)
class EncodedConsistencyProof:
    """An RFC 9162 consistency proof between two tree sizes, its hashes in base64."""

    old_size: int
    new_size: int
    proof: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ConsistencyProof:
    """An RFC 9162 consistency proof between tree sizes ``old_size`` and ``new_size``."""

    old_size: int
    new_size: int
    proof: tuple[bytes, ...]

    def encoded(self) -> EncodedConsistencyProof:
        return EncodedConsistencyProof(
            old_size=self.old_size,
            new_size=self.new_size,
            proof=tuple(_b64(h) for h in self.proof),
        )


@dataclass(frozen=True, kw_only=True)
class EncodedReceipt:
    """A receipt as served: the entry as its JSON text, the proof's hashes in base64, and the
    signed checkpoint they lead to."""

    index: int
    size: int
    entry: str
    proof: tuple[str, ...]
    checkpoint: str


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """Entry ``index``'s inclusion proof in the tree of ``size`` entries, with the signed
    checkpoint (``checkpoint``, a C2SP note) of that size: what a writer keeps to show later
    that the log holds its entry."""

    index: int
    size: int
    leaf_hash: bytes
    entry: bytes
    proof: tuple[bytes, ...]
    checkpoint: str

    def encoded(self) -> EncodedReceipt:
        return EncodedReceipt(
            index=self.index,
            size=self.size,
            entry=self.entry.decode(),
            proof=tuple(_b64(h) for h in self.proof),
            checkpoint=self.checkpoint,
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
