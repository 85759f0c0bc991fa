"""Checkpoints (c2sp.org/tlog-checkpoint) and witness cosignatures (c2sp.org/tlog-cosignature).

A checkpoint is the note text ``<origin>\\n<size>\\n<base64 root>\\n`` plus optional
extension lines; it is what a log signs and what witnesses cosign. ``parse`` accepts
exactly the text ``to_text`` produces (canonical decimal, canonical base64), so a
checkpoint has one text form and two parties can compare checkpoints byte for byte.

Signed-note primitives live in ``garante.ledger.note`` and are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from garante.ledger.errors import CheckpointError, LedgerError, NoteError, SignatureError
from garante.ledger.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    NoteSignature,
    NoteSigner,
    Signer,
    VerifiedSignature,
    VerifierKey,
    cosignature_message,
    key_id,
    open_note,
    open_note_signatures,
    parse_note,
    sign_note,
)

__all__ = [
    "SIG_COSIGNATURE_V1",
    "SIG_ED25519",
    "Checkpoint",
    "NoteSignature",
    "Signer",
    "VerifiedSignature",
    "VerifierKey",
    "cosign",
    "cosignature_message",
    "cosigners",
    "key_id",
    "open_checkpoint",
    "open_note",
    "open_note_signatures",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "verify_cosignature",
]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = 2**64 - 1  # tree sizes are uint64 in RFC 9162 and the Go tooling
_ROOT_SIZE = 32


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head at a size: origin, tree size, RFC 6962 root hash, extensions."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointError("line 1 (origin) is empty", hint="origin MUST be non-empty")
        _check_line(self.origin, 1, "origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"tree size {self.size!r} is not an integer in [0, 2^64 - 1]")
        if len(self.root_hash) != _ROOT_SIZE:
            raise CheckpointError(
                f"root hash must be {_ROOT_SIZE} bytes (SHA-256), got {len(self.root_hash)}"
            )
        for n, ext in enumerate(self.extensions, start=4):
            if not ext:
                raise CheckpointError(
                    f"line {n} (extension) is empty; extensions MUST be non-empty"
                )
            _check_line(ext, n, "extension")

    def to_text(self) -> str:
        """The note text: origin, decimal size, base64 root, then extension lines."""
        root = base64.b64encode(self.root_hash).decode()
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text, naming the first line that is wrong."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            missing = ("origin", "tree size", "root hash")[len(lines)]
            raise CheckpointError(
                f"checkpoint has {len(lines)} line(s); "
                f"line {len(lines) + 1} ({missing}) is missing",
                hint="need origin, tree size and root hash lines",
            )
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line):
            raise CheckpointError(
                f"line 2 (tree size) {size_line[:40]!r} is not a decimal number",
                hint="ASCII digits with no sign, spaces or leading zeros",
            )
        if len(size_line) > _MAX_SIZE_DIGITS:
            # Python refuses to parse a number past 4,300 digits with a ValueError that is not
            # ours to leak; no uint64 is longer than 20 digits anyway.
            raise CheckpointError(
                f"tree size {size_line[:40]}... is not an integer in [0, 2^64 - 1]"
            )
        try:
            root = base64.b64decode(root_line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise CheckpointError(
                f"line 3 (root hash) {root_line[:60]!r} is not standard base64"
            ) from exc
        if len(root) != _ROOT_SIZE:
            raise CheckpointError(
                f"line 3 (root hash) decodes to {len(root)} bytes, not {_ROOT_SIZE}"
            )
        if base64.b64encode(root).decode() != root_line:
            raise CheckpointError("line 3 (root hash) is not canonical base64")
        return cls(origin, int(size_line), root, tuple(extensions))


_MAX_SIZE_DIGITS = len(str(2**64 - 1))


def _check_line(value: str, n: int, what: str) -> None:
    for ch in value:
        if ord(ch) < 0x20:
            raise CheckpointError(f"line {n} ({what}) contains control character {ch!r}")
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise CheckpointError(f"line {n} ({what}) contains a lone surrogate (not UTF-8)")


def sign_checkpoint(checkpoint: Checkpoint, *signers: NoteSigner) -> str:
    """The checkpoint as a signed note (tlog-checkpoint, "Signatures")."""
    return sign_note(checkpoint.to_text(), *signers)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[VerifierKey]
) -> tuple[Checkpoint, tuple[str, ...]]:
    """Verify a signed checkpoint and parse it; returns it and the names that signed."""
    text, names = open_note(note, verifiers)
    return Checkpoint.parse(text), names


def cosign(checkpoint_text: str, signer: NoteSigner, timestamp: int) -> str:
    """A witness cosignature line over a checkpoint (tlog-cosignature, Ed25519).

    The signature is over ``cosignature/v1\\ntime <t>\\n`` plus the checkpoint body and
    is encoded as ``base64(key ID || 8-byte big-endian timestamp || signature)`` with
    the type 0x04 key ID. Append the returned line to the signed checkpoint note.
    """
    Checkpoint.parse(checkpoint_text)
    message = cosignature_message(checkpoint_text, timestamp)
    payload = timestamp.to_bytes(8, "big") + signer.sign(message)
    return NoteSignature(signer.name, signer.cosignature_key_id, payload).to_line()


def verify_cosignature(checkpoint_text: str, line: str, verifier: VerifierKey) -> int:
    """Check one cosignature line against a checkpoint; return its POSIX timestamp."""
    if verifier.sig_type != SIG_COSIGNATURE_V1:
        raise SignatureError(
            f"verifier {verifier.name} is type 0x{verifier.sig_type:02x}, not a cosigner (0x04)"
        )
    Checkpoint.parse(checkpoint_text)
    sig = NoteSignature.parse_line(line.removesuffix("\n"))
    if (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
        raise SignatureError(
            f"cosignature is from {sig.name}+{sig.key_id.hex()}, "
            f"not {verifier.name}+{verifier.key_id.hex()}"
        )
    timestamp = verifier.verify(checkpoint_text, sig.signature)
    if timestamp is None:  # pragma: no cover - type 0x04 always yields a timestamp
        raise NoteError("cosignature carried no timestamp")
    return timestamp


def cosigners(note: str | bytes, witnesses: Iterable[VerifierKey]) -> list[VerifierKey]:
    """The ``witnesses`` (type 0x04 keys) whose cosignature in the signed checkpoint ``note``
    verifies over its text: what a reader that requires N witnesses counts. A line that fails
    to verify counts for nobody; the note's other signatures are not looked at here."""
    text, signatures = parse_note(note)
    found: list[VerifierKey] = []
    for key in dict.fromkeys(witnesses):
        for sig in signatures:
            if (sig.name, sig.key_id) != (key.name, key.key_id):
                continue
            try:
                verify_cosignature(text, sig.to_line(), key)
            except LedgerError:
                continue
            found.append(key)
            break
    return found
