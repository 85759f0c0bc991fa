"""Ed25519 signatures over RFC 8785 canonical JSON.

A partner signs its undertaking and an authority its order as canonical JSON, so that the
bytes signed are the same whatever language or library produced the statement. Public keys
travel as base64 of the 32 raw bytes (or PEM); private keys live in PEM files the signer keeps.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from garante.canonical import Json
from garante.canonical import canonical as canonical
from garante.domain.errors import InvalidKey, SignatureError, SignatureRequired


def _base64_of(text: str, size: int) -> bytes | None:
    """Strict base64 of exactly ``size`` bytes, or None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return None
    return raw if len(raw) == size else None


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def parse_public_key(text: str, *, field: str = "public_key") -> bytes:
    """Accept base64 of the 32 raw bytes, or a PEM SubjectPublicKeyInfo."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise InvalidKey(f"the PEM public key cannot be read: {exc}", field=field) from None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey("the public key is not an Ed25519 key", field=field)
        return public_key_bytes(key)
    raw = _base64_of(text, 32)
    if raw is None:
        raise InvalidKey(
            "the public key must be base64 of 32 raw Ed25519 bytes, or a PEM public key",
            field=field,
            hint="create a key pair with `garante keys generate NAME`",
        )
    return raw


def encode_public_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidKey(f"cannot read private key {path}: {exc}", field="key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey(f"{path} is not an Ed25519 private key", field="key")
    return key


def sign_statement(key: Ed25519PrivateKey, statement: Mapping[str, Json]) -> bytes:
    return key.sign(canonical(statement))


def decode_signature(text: str, *, field: str = "signature") -> bytes:
    raw = _base64_of(text.strip(), 64)
    if raw is None:
        raise SignatureError(
            "a signature must be base64 of 64 Ed25519 signature bytes",
            field=field,
        )
    return raw


def encode_signature(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def check_signature(
    *,
    signer: str,
    public_key: bytes | None,
    statement: Mapping[str, Json],
    signature: bytes | None,
    field: str = "signature",
) -> None:
    """Refuse unless the signature verifies; a signer with no registered key may sign or not.

    Why "may": agencies join before they have keys. Once a key is registered, every statement
    of that signer must carry a signature that verifies, and nothing unsigned counts.
    """
    if public_key is None:
        if signature is not None:
            raise SignatureError(
                f"{signer} has no registered public key, so its signature cannot be checked",
                field=field,
                hint=f"register {signer}'s key first, or send the statement unsigned",
            )
        return
    if signature is None:
        raise SignatureRequired(
            f"{signer} has a registered key, so this statement must be signed by it",
            field=field,
            hint="sign the statement's RFC 8785 canonical bytes with the signer's Ed25519 key",
        )
    try:
        message = canonical(statement)
    except ValueError:  # a lone surrogate, NaN, an integer beyond 2**53: RFC 8785 has no form
        raise SignatureError(
            "the statement has no RFC 8785 canonical form, so no signature over it verifies",
            field=field,
        ) from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        raise SignatureError(
            f"the signature does not verify against {signer}'s registered key",
            field=field,
            hint="sign exactly the canonical statement (RFC 8785) with the registered key",
        ) from None
