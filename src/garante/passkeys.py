"""WebAuthn: registering a passkey or security key, and verifying what it signs.

Both checks run offline, on nothing but what the log keeps: the service runs them when an
authority registers a credential or signs an order with one, and ``audit replay`` runs them
again on the entry. The verification itself is py_webauthn's (``webauthn``): the relying party
id's hash in the authenticator data, the origin and type in the client data, user presence,
and the signature over ``authenticatorData || SHA-256(clientDataJSON)`` with the credential's
COSE public key. What Garante adds is the challenge, which is never random here: it is the
SHA-256 of the canonical statement (RFC 8785), so an assertion says which statement it signs;
and the signature counter, which must grow with every signature unless the authenticator keeps
none (both 0).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import parse_attestation_object
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorAssertionResponse,
    AuthenticatorAttestationResponse,
    PublicKeyCredentialType,
    RegistrationCredential,
)

from garante.canonical import Json, canonical
from garante.domain.errors import SignatureError, ValidationError
from garante.domain.passkeys import Assertion, Attestation, Passkey, RelyingParty


def encode(raw: bytes) -> str:
    """base64url without padding, as WebAuthn writes binary in JSON."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(text: str, *, field: str) -> bytes:
    """Strict base64url (padding optional); anything else is refused naming ``field``."""
    try:
        raw = text.strip().encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise ValidationError(
            f"{field} must be base64url, as navigator.credentials returns it", field=field
        ) from None


def challenge_of(statement: Mapping[str, Json]) -> bytes:
    """The challenge an authenticator signs for ``statement``: SHA-256 of its canonical bytes."""
    try:
        return hashlib.sha256(canonical(statement)).digest()
    except ValueError:
        raise SignatureError(
            "the statement has no RFC 8785 canonical form, so no assertion over it verifies"
        ) from None


@dataclass(frozen=True, kw_only=True, slots=True)
class NewCredential:
    """What an attestation registers: the credential's id and COSE public key (base64url) and
    the counter it starts at."""

    credential_id: str
    public_key: str
    sign_count: int


def verify_attestation(
    attestation: Attestation, *, rp: RelyingParty, field: str = "attestation"
) -> NewCredential:
    """Check what ``navigator.credentials.create`` returned for ``rp`` and the attestation's
    own challenge; the new credential. Attestation formats are checked as py_webauthn does
    ("none", as passkeys send, carries no statement to check)."""
    client_data = decode(attestation.client_data_json, field=f"{field}.client_data_json")
    attestation_object = decode(attestation.attestation_object, field=f"{field}.attestation_object")
    challenge = decode(attestation.challenge, field=f"{field}.challenge")
    try:
        # The credential's id is read from the attested data, so the one the browser reports
        # beside it is not needed: give the library the same value both ways.
        parsed = parse_attestation_object(attestation_object)
        attested = parsed.auth_data.attested_credential_data
        raw_id = attested.credential_id if attested is not None else b""
        verified = verify_registration_response(
            credential=RegistrationCredential(
                id=encode(raw_id),
                raw_id=raw_id,
                response=AuthenticatorAttestationResponse(
                    client_data_json=client_data, attestation_object=attestation_object
                ),
                type=PublicKeyCredentialType.PUBLIC_KEY,
            ),
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
        )
    except WebAuthnException as exc:
        raise SignatureError(
            f"the new credential does not verify: {exc}",
            field=field,
            hint=f"create it in the console at {rp.origin} (relying party {rp.rp_id})",
        ) from None
    except Exception:  # a malformed CBOR structure: py_webauthn lets its parser's errors out
        raise SignatureError(
            "the attestation object cannot be read", field=f"{field}.attestation_object"
        ) from None
    return NewCredential(
        credential_id=encode(verified.credential_id),
        public_key=encode(verified.credential_public_key),
        sign_count=verified.sign_count,
    )


def verify_assertion(
    assertion: Assertion,
    *,
    signer: str,
    passkey: Passkey,
    statement: Mapping[str, Json],
    field: str = "assertion",
) -> int:
    """Refuse unless ``assertion`` is ``passkey``'s signature over ``statement``; the counter
    it reported, which the caller keeps for the next one.

    The client data must be of a ``webauthn.get`` at the passkey's origin with the statement's
    hash as challenge, the authenticator data of its relying party with the user present, and
    the counter must be above the last one (unless both are 0: an authenticator without one).
    """
    if assertion.credential_id != passkey.credential_id:
        raise SignatureError(
            f"the assertion is by credential {assertion.credential_id}, not {signer}'s "
            f"{passkey.credential_id}",
            field=f"{field}.credential_id",
        )
    raw_id = decode(assertion.credential_id, field=f"{field}.credential_id")
    response = AuthenticatorAssertionResponse(
        client_data_json=decode(assertion.client_data_json, field=f"{field}.client_data_json"),
        authenticator_data=decode(
            assertion.authenticator_data, field=f"{field}.authenticator_data"
        ),
        signature=decode(assertion.signature, field=f"{field}.signature"),
    )
    try:
        verified = verify_authentication_response(
            credential=AuthenticationCredential(
                id=encode(raw_id),
                raw_id=raw_id,
                response=response,
                type=PublicKeyCredentialType.PUBLIC_KEY,
            ),
            expected_challenge=challenge_of(statement),
            expected_rp_id=passkey.rp_id,
            expected_origin=passkey.origin,
            credential_public_key=decode(passkey.public_key, field="public_key"),
            # The counter is checked below, with a message of its own.
            credential_current_sign_count=0,
        )
    except WebAuthnException as exc:
        challenge = "challenge was not expected" in str(exc)
        raise SignatureError(
            f"the assertion does not verify against {signer}'s passkey: "
            + ("it signs another statement" if challenge else str(exc)),
            field=field,
            hint="sign exactly this statement: the challenge is the SHA-256 of its RFC 8785 "
            "canonical bytes",
        ) from None
    except Exception:  # malformed authenticator data or key: py_webauthn lets them out
        raise SignatureError(
            f"the assertion cannot be read as {signer}'s passkey's", field=field
        ) from None
    count = verified.new_sign_count
    if (count > 0 or passkey.sign_count > 0) and count <= passkey.sign_count:
        raise SignatureError(
            f"the passkey's signature counter went from {passkey.sign_count} to {count}: it "
            "must grow with every signature, so this assertion is a replay or the "
            "authenticator was cloned",
            field=f"{field}.authenticator_data",
            hint="sign again with the authenticator itself; if it is lost or copied, register "
            "a new passkey",
        )
    return count


def reported_count(assertion: Assertion) -> int | None:
    """The signature counter the assertion's authenticator data reports (bytes 33 to 36, big
    endian, after the rp id hash and the flags), or None if it is too short to hold one."""
    try:
        raw = decode(assertion.authenticator_data, field="assertion.authenticator_data")
    except ValidationError:
        return None
    return int.from_bytes(raw[33:37], "big") if len(raw) >= 37 else None
