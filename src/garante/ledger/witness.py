"""A witness for Garante's log: cosign a checkpoint only if the log stayed append-only.

This is the decision half of c2sp.org/tlog-witness ``add-checkpoint``, with no I/O:
the caller loads the witness's state for one log, calls ``witness_checkpoint`` and
persists the returned state *before* handing out the cosignature (and holds a lock
around load-check-persist, so two requests cannot roll each other back; tlog-witness,
last paragraph of "add-checkpoint").

The rules, in the order they are checked:

1. The checkpoint must carry a valid signature from the log's key (type 0x01);
   signatures from other keys are ignored (tlog-witness: 403 otherwise).
2. Its origin must be the log's origin: the one the caller configured, else the
   one in the state (tlog-witness: 404 for an unknown origin).
3. The proof must be at most 63 hashes of 32 bytes each.
4. A checkpoint smaller than the stored one is a rollback: a log never shrinks.
5. If the client states the old size it proves from, it must be at most the new
   size (400) and equal to the stored size, or 0 with no state (409, and the
   error carries the stored size so the client can retry).
6. With no state -- the first checkpoint seen for this log -- the checkpoint is
   trusted on first use. tlog-witness says the proof from old size 0 MUST be empty,
   so a non-empty proof is refused rather than ignored.
7. The same size must come with the same root, and an empty proof; the same
   checkpoint again is accepted and cosigned again with the new timestamp, which is
   what tlog-cosignature's semantics ask ("the largest consistent tree head observed
   as of the time").
8. A larger size needs an RFC 9162 consistency proof from the stored (size, root).

Every refusal is a ``WitnessError`` with a stable ``code``; a refusal never changes the
state (``WitnessState`` is frozen and is only ever replaced by the caller).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from garante.ledger.checkpoint import Checkpoint, cosign
from garante.ledger.errors import (
    CheckpointError,
    KeyFormatError,
    LedgerError,
    NoteError,
    SignatureError,
)
from garante.ledger.note import (
    MAX_TIMESTAMP,
    SIG_ED25519,
    NoteSigner,
    VerifierKey,
    open_note,
)
from garante.ledger.verify import HASH_SIZE, VerificationError, verify_consistency

__all__ = [
    "MAX_PROOF_HASHES",
    "WitnessBadCheckpoint",
    "WitnessBadRequest",
    "WitnessBadSignature",
    "WitnessError",
    "WitnessFork",
    "WitnessOldSizeMismatch",
    "WitnessRollback",
    "WitnessState",
    "WitnessStateError",
    "WitnessWrongOrigin",
    "witness_checkpoint",
]

MAX_PROOF_HASHES = 63
"""tlog-witness: a client MUST NOT send more than 63 consistency proof lines."""

_KEEP_BOTH = (
    "keep both signed checkpoints as evidence and report them to the log operator "
    "and to the log's other witnesses and monitors"
)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


# -- errors ---------------------------------------------------------------------------


class WitnessError(LedgerError):
    """Base of every refusal to cosign. ``code`` is stable for programs."""

    code = "witness.error"


class WitnessBadCheckpoint(WitnessError):
    """The submission is not a well-formed signed checkpoint (signed-note, tlog-checkpoint)."""

    code = "witness.bad_checkpoint"


class WitnessBadSignature(WitnessError):
    """No valid signature from the log's key, or a bad one from it (tlog-witness: 403)."""

    code = "witness.bad_signature"


class WitnessWrongOrigin(WitnessError):
    """The checkpoint is for another log than this state or configuration (404)."""

    code = "witness.wrong_origin"


class WitnessBadRequest(WitnessError):
    """A malformed request: proof too long, wrong hash size, non-empty where it must be
    empty, or an old size above the checkpoint size (tlog-witness: 400 / 422)."""

    code = "witness.bad_request"


class WitnessOldSizeMismatch(WitnessError):
    """The client proves from an old size that is not the stored one (tlog-witness: 409).

    ``stored_size`` is what tlog-witness puts in the 409 body: the client should fetch
    a consistency proof from that size and submit again.
    """

    code = "witness.old_size_mismatch"

    def __init__(self, message: str, *, stored_size: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.stored_size = stored_size


class _Divergence(WitnessError):
    """Shared shape of fork and rollback: the stored and the offered tree heads."""

    def __init__(
        self, message: str, *, stored: WitnessState, offered: Checkpoint, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.stored = stored
        self.offered = offered


class WitnessFork(_Divergence):
    """The offered checkpoint is not an append-only extension of the stored one.

    ``conclusive`` is true when the log signed two different roots for the same size:
    that pair of signed checkpoints proves the log forked. It is false when a
    consistency proof failed to verify: either the log forked or the proof is wrong,
    and a witness cannot tell which; the log can settle it with a valid proof.
    """

    code = "witness.fork"

    def __init__(
        self,
        message: str,
        *,
        stored: WitnessState,
        offered: Checkpoint,
        conclusive: bool,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, stored=stored, offered=offered, hint=hint)
        self.conclusive = conclusive


class WitnessRollback(_Divergence):
    """The offered checkpoint is smaller than one this witness already cosigned."""

    code = "witness.rollback"


class WitnessStateError(WitnessError):
    """Stored witness state that is malformed (a damaged or hand-edited state file)."""

    code = "witness.bad_state"


# -- state ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WitnessState:
    """The latest checkpoint a witness cosigned for one log: origin, size, root hash."""

    origin: str
    size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        try:
            Checkpoint(self.origin, self.size, self.root_hash)
        except CheckpointError as exc:
            raise WitnessStateError(f"invalid witness state: {exc.message}") from exc

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> WitnessState:
        """The state that records ``checkpoint`` (its extension lines are not kept)."""
        return cls(checkpoint.origin, checkpoint.size, checkpoint.root_hash)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: ``{"origin": str, "size": int, "root_hash": base64}``."""
        return {"origin": self.origin, "size": self.size, "root_hash": _b64(self.root_hash)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WitnessState:
        """Inverse of ``to_dict``; strict about types and the base64 root."""
        if not isinstance(data, Mapping):
            raise WitnessStateError(f"witness state must be an object, got {type(data).__name__}")
        missing = [k for k in ("origin", "size", "root_hash") if k not in data]
        if missing:
            raise WitnessStateError(f"witness state is missing {', '.join(missing)}")
        origin, size, root = data["origin"], data["size"], data["root_hash"]
        if not isinstance(origin, str):
            raise WitnessStateError("witness state origin must be a string")
        if isinstance(size, bool) or not isinstance(size, int):
            raise WitnessStateError("witness state size must be an integer")
        if not isinstance(root, str):
            raise WitnessStateError("witness state root_hash must be a base64 string")
        try:
            root_hash = base64.b64decode(root.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise WitnessStateError(f"witness state root_hash {root!r} is not base64") from exc
        return cls(origin, size, root_hash)

    def describe(self) -> str:
        """``size N, root <base64>`` for messages."""
        return f"size {self.size}, root {_b64(self.root_hash)}"


def _describe(checkpoint: Checkpoint) -> str:
    return f"size {checkpoint.size}, root {_b64(checkpoint.root_hash)}"


# -- the witness ----------------------------------------------------------------------


def witness_checkpoint(
    state: WitnessState | None,
    signed_checkpoint: str,
    consistency_proof: Sequence[bytes],
    log_key: VerifierKey,
    witness: NoteSigner,
    timestamp: int,
    *,
    origin: str | None = None,
    old_size: int | None = None,
) -> tuple[WitnessState, str]:
    """Check a signed checkpoint against the stored state; cosign it if it is consistent.

    ``state`` is the latest checkpoint cosigned for this log, or ``None`` for the first
    one (trust on first use: the proof must then be empty). ``consistency_proof`` is an
    RFC 9162 proof from ``state.size`` to the checkpoint's size. ``origin`` is the log's
    configured origin; if omitted, the state's origin is required (and any origin is
    trusted on first use). ``old_size`` is the size the client says it proves from, as
    in the tlog-witness request's ``old`` line; if omitted it is not checked.

    Returns the new state (persist it before releasing the cosignature) and the
    cosignature line (type 0x04, ending in a newline) to append to the signed note.
    Raises a ``WitnessError`` subclass on every refusal, ``KeyFormatError`` if
    ``log_key`` is not a note-signing key, and ``NoteError`` for a bad timestamp.
    """
    if log_key.sig_type != SIG_ED25519:
        raise KeyFormatError(
            f"log key {log_key.name} is type 0x{log_key.sig_type:02x}; "
            "a log signs checkpoints with a type 0x01 (Ed25519 note) key"
        )
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside [0, 2^63 - 1]")

    checkpoint, text = _open(signed_checkpoint, log_key)
    _check_origin(checkpoint, state, origin)
    proof = _check_proof_shape(consistency_proof)

    if state is not None and checkpoint.size < state.size:
        raise WitnessRollback(
            f"log {checkpoint.origin} signed a checkpoint at {_describe(checkpoint)}, "
            f"but this witness already cosigned {state.describe()}: a log never shrinks",
            stored=state,
            offered=checkpoint,
            hint="if this is an old checkpoint replayed, there is nothing to do; if the "
            f"log presents it as its latest, it rolled back: {_KEEP_BOTH}",
        )
    stored_size = 0 if state is None else state.size
    if old_size is not None:
        _check_old_size(old_size, stored_size, checkpoint)

    if state is None:
        if proof:
            raise WitnessBadRequest(
                f"first checkpoint for {checkpoint.origin} came with a {len(proof)}-hash "
                "consistency proof; with no previous checkpoint the old size is 0 and "
                "the proof must be empty",
                hint="tlog-witness: the proof MUST be empty if the old size is zero",
            )
    elif checkpoint.size == state.size:
        _check_same_size(state, checkpoint, proof)
    else:
        _check_growth(state, checkpoint, proof)

    return WitnessState.of(checkpoint), cosign(text, witness, timestamp)


def _open(signed_checkpoint: str, log_key: VerifierKey) -> tuple[Checkpoint, str]:
    try:
        text, _names = open_note(signed_checkpoint, [log_key])
    except SignatureError as exc:
        raise WitnessBadSignature(
            f"checkpoint has no valid signature from log key "
            f"{log_key.name}+{log_key.key_id.hex()}: {exc.message}",
            hint="the witness cosigns only checkpoints signed by the log key it was given",
        ) from exc
    except NoteError as exc:
        raise WitnessBadCheckpoint(f"not a signed note: {exc.message}", hint=exc.hint) from exc
    try:
        return Checkpoint.parse(text), text
    except CheckpointError as exc:
        raise WitnessBadCheckpoint(
            f"signed note is not a checkpoint: {exc.message}", hint=exc.hint
        ) from exc


def _check_origin(checkpoint: Checkpoint, state: WitnessState | None, origin: str | None) -> None:
    expected = [o for o in (origin, None if state is None else state.origin) if o is not None]
    for want in expected:
        if checkpoint.origin != want:
            raise WitnessWrongOrigin(
                f"checkpoint origin {checkpoint.origin!r} is not this log's origin {want!r}",
                hint="each log is witnessed under one origin; submit the checkpoint to the "
                "state and key configured for its own log",
            )


def _check_proof_shape(consistency_proof: Sequence[bytes]) -> list[bytes]:
    proof = list(consistency_proof)
    if len(proof) > MAX_PROOF_HASHES:
        raise WitnessBadRequest(
            f"consistency proof has {len(proof)} hashes; at most {MAX_PROOF_HASHES} accepted",
            hint="tlog-witness: a client MUST NOT send more than 63 proof lines",
        )
    for i, h in enumerate(proof):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            size = len(h) if isinstance(h, bytes) else type(h).__name__
            raise WitnessBadRequest(f"proof[{i}] must be {HASH_SIZE} bytes (SHA-256), got {size}")
    return proof


def _check_old_size(old_size: int, stored_size: int, checkpoint: Checkpoint) -> None:
    if isinstance(old_size, bool) or old_size < 0:
        raise WitnessBadRequest(f"old size {old_size!r} is not a non-negative integer")
    if old_size > checkpoint.size:
        raise WitnessBadRequest(
            f"old size {old_size} is above the checkpoint size {checkpoint.size}",
            hint="the old size is the size the proof starts from; it cannot exceed the new one",
        )
    if old_size != stored_size:
        raise WitnessOldSizeMismatch(
            f"the proof is from size {old_size}, but the latest checkpoint this witness "
            f"cosigned for {checkpoint.origin} has size {stored_size}",
            stored_size=stored_size,
            hint=f"fetch a consistency proof from size {stored_size} to "
            f"{checkpoint.size} and submit again",
        )


def _check_same_size(state: WitnessState, checkpoint: Checkpoint, proof: list[bytes]) -> None:
    if checkpoint.root_hash != state.root_hash:
        raise WitnessFork(
            f"log {checkpoint.origin} forked: it signed {_describe(checkpoint)}, but this "
            f"witness already cosigned {state.describe()} -- two roots for one size",
            stored=state,
            offered=checkpoint,
            conclusive=True,
            hint=f"the two signed checkpoints prove the log misbehaved: {_KEEP_BOTH}",
        )
    if proof:
        raise WitnessBadRequest(
            f"checkpoint repeats size {checkpoint.size} but came with a "
            f"{len(proof)}-hash proof; the proof between equal sizes is empty"
        )


def _check_growth(state: WitnessState, checkpoint: Checkpoint, proof: list[bytes]) -> None:
    try:
        verify_consistency(
            state.size, checkpoint.size, state.root_hash, checkpoint.root_hash, proof
        )
    except VerificationError as exc:
        raise WitnessFork(
            f"log {checkpoint.origin} may have forked: the consistency proof from the "
            f"cosigned {state.describe()} to the offered {_describe(checkpoint)} does not "
            f"verify ({exc})",
            stored=state,
            offered=checkpoint,
            conclusive=False,
            hint="a witness cannot tell a forked log from a wrong proof: ask the log for "
            f"a proof from size {state.size}; if it cannot give one that verifies, it "
            f"forked: {_KEEP_BOTH}",
        ) from exc
