"""Authorities' passkeys (WebAuthn): registering one, and checking what an authority signs
with its Ed25519 key or one of its passkeys.

A passkey is a key like the Ed25519 one (DESIGN.md, "Who may do what"): registering it is a
key change, so it needs a statement signed by a key the authority already has (its Ed25519
key, or a passkey it registered before); an authority with no key at all registers its first
one as it would a first Ed25519 key, without proof. Once an authority has any key, each of its
statements must be signed by one of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from garante.canonical import Json, canonical
from garante.domain.errors import (
    AlreadyExists,
    InvalidState,
    NotEntitled,
    SignatureError,
    SignatureRequired,
    ValidationError,
)
from garante.domain.events import AuthorityPasskeyRegistered
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.passkeys import (
    Assertion,
    Attestation,
    Passkey,
    RelyingParty,
    passkey_statement,
)
from garante.passkeys import verify_assertion, verify_attestation
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.signatures import check_signature, encode_signature
from garante.store import passkeys
from garante.store.schema import AuthorityPasskeyRow, AuthorityRow


def relying_party(rp: RelyingParty | None) -> RelyingParty:
    """The configured relying party, or a refusal saying how to configure one."""
    if rp is None:
        raise InvalidState(
            "passkeys are not configured on this server: it has no WebAuthn relying party",
            field="rp_id",
            hint="start `garante serve` with --webauthn-origin https://console.example.org "
            "(GARANTE_WEBAUTHN_ORIGIN), and --webauthn-rp-id if the rp id is not its host",
        )
    return rp


def registration_statement(
    session: Session, *, authority_id: str, attestation: Attestation, rp: RelyingParty | None
) -> tuple[dict[str, str], int]:
    """Check a new credential ``navigator.credentials.create`` returned for ``authority_id``;
    what registering it states (to be signed by the authority's current key) and the counter
    it starts at."""
    authority = _keyed(session, authority_id)
    party = relying_party(rp)
    new = verify_attestation(attestation, rp=party)
    if passkeys.get(session, new.credential_id) is not None:
        raise AlreadyExists(
            f"credential {new.credential_id} is already registered", field="attestation"
        )
    statement = passkey_statement(
        authority.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        rp_id=party.rp_id,
        origin=party.origin,
    )
    return statement, new.sign_count


def register_passkey(
    tx: Transaction,
    *,
    authority_id: str,
    attestation: Attestation,
    rp: RelyingParty | None,
    signature: bytes | None = None,
    assertion: Assertion | None = None,
) -> AuthorityPasskeyRow:
    """Register a passkey for ``authority_id`` with the proof a key change needs."""
    session = tx.session
    statement, count = registration_statement(
        session, authority_id=authority_id, attestation=attestation, rp=rp
    )
    authority = lookup.authority(session, authority_id)
    check_signed(
        session,
        signer=authority_id,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
        assertion=assertion,
    )
    row = passkeys.add(
        session,
        Passkey(
            credential_id=statement["credential_id"],
            authority=authority_id,
            public_key=statement["public_key"],
            rp_id=statement["rp_id"],
            origin=statement["origin"],
            sign_count=count,
        ),
        at=tx.now,
    )
    tx.audit(
        AuthorityPasskeyRegistered(
            authority=authority_id,
            credential_id=row.credential_id,
            statement=dict(statement),
            attestation=attestation,
            sign_count=count,
            signature=_encoded(signature),
            assertion=assertion,
        )
    )
    return row


def check_signed(
    session: Session,
    *,
    signer: str,
    public_key: bytes | None,
    statement: Mapping[str, Json],
    signature: bytes | None,
    assertion: Assertion | None,
) -> None:
    """Refuse unless the statement is signed by one of ``signer``'s keys: its Ed25519 key
    (``public_key``) or one of its passkeys; a signer with no key of either kind may sign or
    not. A passkey's counter moves to the one the assertion reported."""
    if assertion is not None and signature is not None:
        raise ValidationError(
            "give a signature or a passkey assertion, not both",
            field="assertion",
            hint="either key of the authority signs alone",
        )
    if assertion is not None:
        row = passkeys.get(session, assertion.credential_id)
        if row is None or row.authority_id != signer:
            raise SignatureError(
                f"credential {assertion.credential_id} is not a passkey of {signer}",
                field="assertion.credential_id",
                hint=f"sign with a passkey registered for {signer}",
            )
        row.sign_count = verify_assertion(
            assertion, signer=signer, passkey=passkeys.value(row), statement=statement
        )
        return
    if public_key is None and passkeys.of_authority(session, signer):
        raise SignatureRequired(
            f"{signer} signs with a passkey, so this statement must carry its assertion",
            field="assertion",
            hint="sign in the console with the passkey, or send its assertion",
        )
    check_signature(signer=signer, public_key=public_key, statement=statement, signature=signature)


def assertion_text(assertion: Assertion | None) -> str | None:
    """How ``order_versions`` keeps an assertion: canonical JSON."""
    if assertion is None:
        return None
    return canonical(
        {
            "credential_id": assertion.credential_id,
            "authenticator_data": assertion.authenticator_data,
            "client_data_json": assertion.client_data_json,
            "signature": assertion.signature,
        }
    ).decode()


def _keyed(session: Session, authority_id: str) -> AuthorityRow:
    if authority_id == SYSTEM_AUTHORITY:
        raise NotEntitled(
            f"'{SYSTEM_AUTHORITY}' is Garante's breach rule and signs nothing, so it has no "
            "passkey",
            field="authority",
        )
    return lookup.authority(session, authority_id)


def _encoded(signature: bytes | None) -> str | None:
    return encode_signature(signature) if signature else None
