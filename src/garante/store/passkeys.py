"""Authorities' passkeys (WebAuthn credentials)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.domain.passkeys import Passkey
from garante.store.schema import AuthorityPasskeyRow


def get(session: Session, credential_id: str) -> AuthorityPasskeyRow | None:
    return session.get(AuthorityPasskeyRow, credential_id)


def of_authority(session: Session, authority_id: str) -> list[AuthorityPasskeyRow]:
    """The authority's passkeys, oldest first."""
    query = (
        select(AuthorityPasskeyRow)
        .where(AuthorityPasskeyRow.authority_id == authority_id)
        .order_by(AuthorityPasskeyRow.created_at, AuthorityPasskeyRow.credential_id)
    )
    return list(session.scalars(query))


def add(session: Session, passkey: Passkey, *, at: datetime) -> AuthorityPasskeyRow:
    """A new passkey (written with the next flush)."""
    row = AuthorityPasskeyRow(
        credential_id=passkey.credential_id,
        authority_id=passkey.authority,
        public_key=passkey.public_key,
        rp_id=passkey.rp_id,
        origin=passkey.origin,
        sign_count=passkey.sign_count,
        created_at=at,
    )
    session.add(row)
    return row


def value(row: AuthorityPasskeyRow) -> Passkey:
    return Passkey(
        credential_id=row.credential_id,
        authority=row.authority_id,
        public_key=row.public_key,
        rp_id=row.rp_id,
        origin=row.origin,
        sign_count=row.sign_count,
    )
