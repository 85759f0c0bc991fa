"""API tokens as stored: the SHA-256 of the secret, never the secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from garante.store.schema import TokenRow


def get(session: Session, token_id: str) -> TokenRow | None:
    return session.get(TokenRow, token_id)


@dataclass(frozen=True, slots=True)
class Holder:
    """What authenticating a token needs of its row."""

    id: str
    token_hash: bytes
    role: str
    agency_id: str | None
    authority_id: str | None
    revoked: bool


_BY_HASH = select(
    TokenRow.id,
    TokenRow.token_hash,
    TokenRow.role,
    TokenRow.agency_id,
    TokenRow.authority_id,
    TokenRow.revoked_at.is_not(None),
).where(TokenRow.token_hash == bindparam("token_hash"))


def by_hash(session: Session, token_hash: bytes) -> Holder | None:
    """The token with this hash, as one Core row: every API and TAXII request asks."""
    row = session.connection().execute(_BY_HASH, {"token_hash": token_hash}).first()
    return None if row is None else Holder(*row)


def add(
    session: Session,
    *,
    token_id: str,
    token_hash: bytes,
    role: str,
    agency_id: str | None,
    authority_id: str | None,
    label: str,
    at: datetime,
) -> TokenRow:
    """A new token (written with the next flush)."""
    row = TokenRow(
        id=token_id,
        token_hash=token_hash,
        role=role,
        agency_id=agency_id,
        authority_id=authority_id,
        label=label,
        created_at=at,
        revoked_at=None,
    )
    session.add(row)
    return row


def all_by_id(session: Session) -> list[TokenRow]:
    return list(session.scalars(select(TokenRow).order_by(TokenRow.id)))
