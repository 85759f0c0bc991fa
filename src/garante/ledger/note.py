"""Signed notes (c2sp.org/signed-note) with Ed25519 and Ed25519 cosignature keys.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(4-byte key ID || signature)>``. Keys are identified by the pair
(name, key ID); the key ID commits to the name, the signature type and the public key,
so one Ed25519 key can serve as a note signer (type 0x01) and as a witness cosigner
(type 0x04, c2sp.org/tlog-cosignature) without one signature passing for the other.

Verifier keys use the ``<name>+<hex key ID>+<base64(type || public key)>`` text form of
golang.org/x/mod/sumdb/note, so keys and notes interoperate with Go tooling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from garante.ledger.errors import KeyFormatError, NoteError, SignatureError

__all__ = [
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "SIG_COSIGNATURE_V1",
    "SIG_ED25519",
    "NoteSignature",
    "NoteSigner",
    "Signer",
    "VerifiedSignature",
    "VerifierKey",
    "check_key_name",
    "cosignature_message",
    "key_id",
    "open_note",
    "open_note_signatures",
    "parse_note",
    "sign_note",
]

SIG_ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures (signed-note, "Signature types")."""
SIG_COSIGNATURE_V1 = 0x04
"""Signature type of timestamped Ed25519 witness cosignatures (tlog-cosignature)."""
MAX_SIGNATURES = 100
"""Signed-note: verifiers SHOULD cap signatures and MUST accept 16; Go caps at 100."""
MAX_TIMESTAMP = 2**63 - 1
"""tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1."""

_EM_DASH_PREFIX = "\u2014 "
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_ED25519_SIG_SIZE = 64
_ED25519_KEY_SIZE = 32


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4] (signed-note, "Signatures").

    Committing to the name and type means the same key under another name or another
    signature type gets a different ID, so verifiers cannot confuse them.
    """
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    """Key names MUST be non-empty with no Unicode spaces or '+' (signed-note, "Format")."""
    if not name:
        raise KeyFormatError("key name is empty", hint="use a schema-less URL like example.com/log")
    bad = [
        ch
        for ch in name
        if ch == "+" or ch.isspace() or ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF
    ]
    if bad:
        raise KeyFormatError(
            f"key name {name!r} contains {bad[0]!r}",
            hint="key names may not contain spaces, control characters or '+'",
        )


def _check_note_chars(text: str, what: str) -> None:
    """Notes MUST be UTF-8 with no control characters but newline (signed-note, "Format")."""
    for i, ch in enumerate(text):
        if ord(ch) < 0x20 and ch != "\n":
            raise NoteError(f"{what} contains control character {ch!r} at offset {i}")
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise NoteError(f"{what} contains a lone surrogate at offset {i}: not valid UTF-8")


def _b64decode(value: str, what: str, error: type[NoteError] | type[KeyFormatError]) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise error(f"{what} is not valid standard base64 (RFC 4648 s4): {value!r}") from exc


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature signs (tlog-cosignature, "Ed25519 signed message").

    A fixed ``cosignature/v1`` header line gives domain separation from plain note
    signatures, then ``time <decimal>``, then the whole checkpoint body.
    """
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside [0, 2^63 - 1]")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


class NoteSigner(ABC):
    """An Ed25519 key with its key name, however the private half is kept; signs notes.

    The key name, the key IDs and the verifier key follow from the name and the public key
    alone, here, so every kind of signer (a key in a file, a key in an HSM) gives the same
    verifier line for the same key. A subclass only says how to ``sign``.
    """

    def __init__(self, name: str, public_key: bytes) -> None:
        check_key_name(name)
        if len(public_key) != _ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
        self._name = name
        self._public = public_key

    @property
    def name(self) -> str:
        """The key name that appears in signature lines."""
        return self._name

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key (RFC 8032)."""
        return self._public

    @property
    def key_id(self) -> bytes:
        """4-byte key ID for note signatures (type 0x01)."""
        return key_id(self._name, SIG_ED25519, self._public)

    @property
    def cosignature_key_id(self) -> bytes:
        """4-byte key ID for witness cosignatures (type 0x04)."""
        return key_id(self._name, SIG_COSIGNATURE_V1, self._public)

    @abstractmethod
    def sign(self, message: bytes) -> bytes:
        """A raw 64-byte Ed25519 signature over ``message`` (RFC 8032)."""

    def verifier_key(self, sig_type: int = SIG_ED25519) -> VerifierKey:
        """The public verifier key for this signer, as a note signer or a cosigner."""
        return VerifierKey.from_public_key(self._name, self._public, sig_type)


class Signer(NoteSigner):
    """An Ed25519 private key held in memory with its key name; signs notes (type 0x01).

    The same key can produce witness cosignatures (type 0x04); those carry their own
    key ID (``cosignature_key_id``) so verifiers keep the two apart.
    """

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(
            name, private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        self._key = private_key

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A fresh random key; used by tests and by operators bootstrapping a log."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key_string(cls, text: str) -> Signer:
        """Parse Go's ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`` form."""
        parts = text.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise KeyFormatError(
                "private key string must look like PRIVATE+KEY+<name>+<hex id>+<base64>"
            )
        name, id_hex, material = parts[2], parts[3], parts[4]
        raw = _b64decode(material, "private key material", KeyFormatError)
        if len(raw) != 1 + _ED25519_KEY_SIZE or raw[0] != SIG_ED25519:
            raise KeyFormatError("private key material must be 0x01 followed by a 32-byte seed")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if not _HEX8.fullmatch(id_hex) or bytes.fromhex(id_hex) != signer.key_id:
            raise KeyFormatError(f"private key ID {id_hex!r} does not match its key and name")
        return signer

    def to_private_key_string(self) -> str:
        """Inverse of ``from_private_key_string``. The result is a secret."""
        seed = self._key.private_bytes_raw()
        material = base64.b64encode(bytes([SIG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self._name}+{self.key_id.hex()}+{material}"

    def sign(self, message: bytes) -> bytes:
        """A raw 64-byte Ed25519 signature over ``message`` (RFC 8032)."""
        return self._key.sign(message)


@dataclass(frozen=True)
class VerifierKey:
    """A trusted public key: name, key ID, signature type (0x01 or 0x04), raw key."""

    name: str
    key_id: bytes
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
            raise KeyFormatError(
                f"unsupported signature type 0x{self.sig_type:02x}",
                hint="supported: 0x01 (Ed25519 note) and 0x04 (Ed25519 cosignature)",
            )
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(self.public_key)}")
        if self.key_id != key_id(self.name, self.sig_type, self.public_key):
            raise KeyFormatError(
                f"key ID {self.key_id.hex()} does not match name {self.name!r} and its key",
                hint="key ID = SHA-256(name || 0x0A || type || public key)[:4]",
            )

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes, sig_type: int) -> VerifierKey:
        """Build a verifier key, deriving the key ID as signed-note recommends."""
        check_key_name(name)
        return cls(name, key_id(name, sig_type, public_key), sig_type, public_key)

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse ``<name>+<8 hex digits>+<base64(type || public key)>``."""
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError(f"verifier key {text!r} is not <name>+<hex key ID>+<base64 key>")
        name, id_hex, material = parts
        if not _HEX8.fullmatch(id_hex):
            raise KeyFormatError(f"key ID {id_hex!r} is not 8 hexadecimal digits")
        raw = _b64decode(material, "verifier key material", KeyFormatError)
        if not raw:
            raise KeyFormatError("verifier key material is empty")
        return cls(name, bytes.fromhex(id_hex), raw[0], raw[1:])

    def to_text(self) -> str:
        """The ``<name>+<hex key ID>+<base64(type || key)>`` form (inverse of ``parse``)."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, text: str, signature: bytes) -> int | None:
        """Check ``signature`` (the bytes after the key ID) over note ``text``.

        Returns ``None`` for a valid type 0x01 signature, or the POSIX timestamp of a
        valid type 0x04 cosignature. Raises ``SignatureError`` if it does not verify.
        """
        timestamp: int | None = None
        message = text.encode()
        if self.sig_type == SIG_COSIGNATURE_V1:
            if len(signature) != 8 + _ED25519_SIG_SIZE:
                raise SignatureError(
                    f"cosignature from {self.name} must be 72 bytes after the key ID, "
                    f"got {len(signature)}"
                )
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                raise SignatureError(f"cosignature from {self.name} has timestamp > 2^63 - 1")
            message = cosignature_message(text, timestamp)
            signature = signature[8:]
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureError(
                f"invalid signature for key {self.name}+{self.key_id.hex()}"
            ) from exc
        return timestamp


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line: key name, key ID, and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        """``— <name> <base64(key ID || signature)>`` plus the newline."""
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{_EM_DASH_PREFIX}{self.name} {blob}\n"

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, without its newline (signed-note, "Format")."""
        if not line.startswith(_EM_DASH_PREFIX):
            raise NoteError(
                f"signature line {line[:40]!r} does not start with an em dash (U+2014) and space"
            )
        name, sep, blob = line[len(_EM_DASH_PREFIX) :].partition(" ")
        if not sep or " " in blob:
            raise NoteError(f"signature line {line[:40]!r} is not '— <name> <base64>'")
        try:
            check_key_name(name)
        except KeyFormatError as exc:
            raise NoteError(f"signature line has a bad key name: {exc.message}") from exc
        raw = _b64decode(blob, f"signature from {name}", NoteError)
        if len(raw) < 5:
            raise NoteError(f"signature from {name} is shorter than a key ID plus one byte")
        return cls(name, raw[:4], raw[4:])


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: who, which key, and the cosignature time if any."""

    name: str
    key_id: bytes
    sig_type: int
    timestamp: int | None


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_note_chars(text, "note text")


def sign_note(text: str, *signers: NoteSigner) -> str:
    """Sign ``text`` with each signer (Ed25519, type 0x01) and return the note."""
    _check_text(text)
    if not signers:
        raise NoteError("sign_note needs at least one signer")
    lines = [NoteSignature(s.name, s.key_id, s.sign(text.encode())).to_line() for s in signers]
    return text + "\n" + "".join(lines)


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and signature lines without verifying anything.

    The text is separated from the signatures by the last blank line; it keeps its
    final newline (signed-note, "Format").
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    _check_note_chars(note, "note")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line separating the text from signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block:
        raise NoteError("note has no signature lines after the blank line")
    if not block.endswith("\n"):
        raise NoteError("the last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures; at most {MAX_SIGNATURES} accepted")
    return text, [NoteSignature.parse_line(line) for line in lines]


def open_note_signatures(
    note: str | bytes, verifiers: Iterable[VerifierKey]
) -> tuple[str, list[VerifiedSignature]]:
    """Verify a note; return its text and every signature that verified.

    Per signed-note, "Signatures": lines from unknown (name, key ID) pairs are ignored;
    a known key's bad signature rejects the whole note; a note with no verified
    signature from a known key is rejected.
    """
    text, sigs = parse_note(note)
    known: dict[tuple[str, bytes], set[VerifierKey]] = {}
    for v in verifiers:
        known.setdefault((v.name, v.key_id), set()).add(v)
    verified: list[VerifiedSignature] = []
    seen: set[tuple[str, bytes, bytes]] = set()
    for sig in sigs:
        candidates = known.get((sig.name, sig.key_id))
        if not candidates:
            continue
        if len(candidates) > 1:
            raise SignatureError(f"ambiguous key {sig.name}+{sig.key_id.hex()}: several match")
        (key,) = candidates
        timestamp = key.verify(text, sig.signature)
        if (sig.name, sig.key_id, sig.signature) not in seen:
            seen.add((sig.name, sig.key_id, sig.signature))
            verified.append(VerifiedSignature(sig.name, sig.key_id, key.sig_type, timestamp))
    if not verified:
        signers = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in sigs)
        raise SignatureError(
            f"note has no signature from a known key (signed by: {signers})",
            hint="add the signer's verifier key to the trusted set",
        )
    return text, verified


def open_note(note: str | bytes, verifiers: Iterable[VerifierKey]) -> tuple[str, tuple[str, ...]]:
    """Verify a note; return its text and the names of the keys that signed it."""
    text, verified = open_note_signatures(note, verifiers)
    names = tuple(dict.fromkeys(v.name for v in verified))
    return text, names
