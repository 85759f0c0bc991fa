"""Passkeys and security keys (WebAuthn) that sign an authority's statements, as values.

An authority may sign orders with a WebAuthn credential beside (or instead of) its Ed25519
key. The authenticator signs ``authenticatorData || SHA-256(clientDataJSON)``, and the
clientDataJSON's challenge is the SHA-256 of the canonical statement (RFC 8785): so an
assertion over one statement never verifies for another. The log keeps the assertion's three
parts as base64url, which is all an inspector needs besides the credential's public key, which
the registration entry carries.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSKEY_STATEMENT = "garante.authority-passkey/v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class Assertion:
    """What ``navigator.credentials.get`` returned, each part base64url without padding."""

    credential_id: str
    authenticator_data: str
    client_data_json: str
    signature: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Attestation:
    """What ``navigator.credentials.create`` returned for a new credential, base64url, and
    the challenge it was created with."""

    challenge: str
    client_data_json: str
    attestation_object: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Passkey:
    """A registered credential: its id and COSE public key (base64url), the relying party it
    belongs to (rp id and origin) and the last signature counter it reported."""

    credential_id: str
    authority: str
    public_key: str
    rp_id: str
    origin: str
    sign_count: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RelyingParty:
    """Where the console runs, as WebAuthn names it: ``rp_id`` is its host name (or a parent
    domain of it) and ``origin`` the scheme, host and port the browser shows."""

    rp_id: str
    origin: str


def passkey_statement(
    authority_id: str, *, credential_id: str, public_key: str, rp_id: str, origin: str
) -> dict[str, str]:
    """What registering a credential for ``authority_id`` states: like a key change, it is
    signed by the key (or a passkey) the authority already has, if it has one."""
    return {
        "type": PASSKEY_STATEMENT,
        "authority": authority_id,
        "credential_id": credential_id,
        "public_key": public_key,
        "rp_id": rp_id,
        "origin": origin,
    }
