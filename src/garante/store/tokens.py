"""API tokens as stored: the SHA-256 of the secret, never the secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from garante.store.schema import TokenRow


def get(session: Session, token_id: str) -> TokenRow | None:
    return session.get(TokenRow, token_id)


# What authenticating a request reads, on every request that carries a token: the few columns
# a principal is made of, as a plain row (Core, no ORM object), by a statement built once.
_TOKENS = TokenRow.__table__
_CREDENTIALS = select(
    _TOKENS.c.id,
    _TOKENS.c.token_hash,
    _TOKENS.c.role,
    _TOKENS.c.agency_id,
    _TOKENS.c.authority_id,
    _TOKENS.c.revoked_at,
).where(_TOKENS.c.token_hash == bindparam("token_hash"))


def credentials(session: Session, token_hash: bytes) -> Row[Any, Any, Any, Any, Any, Any] | None:
    """The token stored under ``token_hash``: its id, hash, role, subject and revocation."""
    return session.execute(_CREDENTIALS, {"token_hash": token_hash}).first()


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
