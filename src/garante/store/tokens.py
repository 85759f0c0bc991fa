"""API tokens as stored: the SHA-256 of the secret, never the secret."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from garante.store.schema import TokenRow
from garante.store.session import driver_cursor, driver_rows, padded, parameter_mark


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


_BY_HASH = (
    f"SELECT id, token_hash, role, agency_id, authority_id, revoked_at IS NOT NULL"
    f" FROM {TokenRow.__tablename__} WHERE token_hash = "
)


def by_hash(session: Session, token_hash: bytes) -> Holder | None:
    """The token with this hash: every API and TAXII request asks.

    A statement of the driver's own, in the session's transaction: SQLAlchemy's statement
    execution and result cost several times the lookup by the unique index.
    """
    connection = session.connection()
    mark = parameter_mark(connection.dialect)
    with driver_cursor(connection) as cursor:
        cursor.execute(_BY_HASH + mark, (token_hash,))
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, stored_hash, role, agency_id, authority_id, revoked = row
    return Holder(token_id, bytes(stored_hash), role, agency_id, authority_id, bool(revoked))


@lru_cache(maxsize=16)
def _usable_of(count: int, mark: str) -> str:
    """The ids among ``count`` named (``padded``: a few counts) of tokens not revoked."""
    return (
        f"SELECT id FROM {TokenRow.__tablename__}"
        f" WHERE revoked_at IS NULL AND id IN ({', '.join([mark] * count)})"
    )


def unusable(session: Session, token_ids: Collection[str]) -> set[str]:
    """Those of ``token_ids`` that are revoked, or name no token: read in the caller's
    transaction, so a write it guards cannot commit after the token's revocation did.

    Every release's group commit asks, first thing: a statement of the driver's own (text
    ids, the same on every store); the ORM's select, built and compiled each time, was some
    6% of a lone release's group-commit path."""
    if not token_ids:
        return set()
    named = padded(sorted(token_ids))
    mark = parameter_mark(session.connection().dialect)
    usable = {token_id for (token_id,) in driver_rows(session, _usable_of(len(named), mark), named)}
    return set(token_ids) - usable


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
