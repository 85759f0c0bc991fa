"""API tokens: created with a role and a subject, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy.orm import Session

from garante.domain.errors import GaranteError, NotEntitled, UnknownValue, ValidationError
from garante.domain.events import TokenCreated, TokenRevoked
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.roles import TOKEN_ROLES, Principal, Role
from garante.domain.vocabulary import suggest
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.store import tokens
from garante.store.schema import TokenRow

PREFIX = "gar_"


class Unauthenticated(GaranteError):
    code = "auth.unauthenticated"
    http_status = 401


class Forbidden(GaranteError):
    code = "auth.forbidden"
    http_status = 403


def token_digest(secret: str) -> bytes:
    """The SHA-256 of a token's secret: what the store keeps of it, and what anything that
    keys tokens by (``api.auth.TokenCache``) holds instead of the secret. Tokens carry 256
    random bits, so a fast hash is enough: nothing to brute-force."""
    return hashlib.sha256(secret.encode()).digest()


def _check_holds(role: str, agency_id: str, *, domestic: bool) -> None:
    """Roles belong to agencies that can hold them (DESIGN.md, "Who may do what"): the
    originator's roles to its own services, the partner role to partners."""
    if role in (Role.ANALYST, Role.LIAISON) and not domestic:
        raise NotEntitled(
            f"'{agency_id}' is a partner agency: a {role} token acts for a domestic one",
            field="agency",
            hint=f"give '{agency_id}' a partner token, or name a domestic agency",
        )
    if role == Role.PARTNER and domestic:
        raise NotEntitled(
            f"'{agency_id}' is a domestic agency: a partner token acts for a partner",
            field="agency",
            hint="name a partner agency, or give a domestic one an analyst or liaison token",
        )


def create_token(
    tx: Transaction,
    *,
    role: str,
    agency_id: str | None,
    authority_id: str | None,
    label: str,
) -> tuple[TokenRow, str]:
    """Store a new token's hash and return the row and the secret (shown once, never stored)."""
    if role not in set(TOKEN_ROLES):
        raise UnknownValue(
            f"unknown role '{role}'", field="role", hint=suggest(role, list(TOKEN_ROLES))
        )
    if role == Role.AUTHORITY:
        if authority_id is None or agency_id is not None:
            raise ValidationError(
                "an authority token acts for an authority",
                field="authority",
                hint="pass --authority ID (and no --agency)",
            )
        if authority_id == SYSTEM_AUTHORITY:
            # Reserved (DESIGN.md, "Who may do what"): no one acts as it, so no token does.
            raise NotEntitled(
                f"no token acts for '{SYSTEM_AUTHORITY}': that authority is Garante's breach "
                "rule, which alone acts as it",
                field="authority",
                hint="create the token for an authority of your own",
            )
        lookup.authority(tx.session, authority_id)
    else:
        if agency_id is None or authority_id is not None:
            raise ValidationError(
                f"a {role} token acts for an agency",
                field="agency",
                hint="pass --agency ID (and no --authority)",
            )
        agency = lookup.agency(tx.session, agency_id)
        _check_holds(role, agency_id, domestic=agency.domestic)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = tokens.add(
        tx.session,
        token_id=secrets.token_hex(8),
        token_hash=token_digest(secret),
        role=role,
        agency_id=agency_id,
        authority_id=authority_id,
        label=label,
        at=tx.now,
    )
    tx.audit(TokenCreated(token=row.id, role=role, agency=agency_id, authority=authority_id))
    return row, secret


def revoke_token(tx: Transaction, token_id: str) -> TokenRow:
    row = tokens.get(tx.session, token_id)
    if row is None:
        raise GaranteError(f"no token '{token_id}'", field="token")
    if row.revoked_at is None:
        row.revoked_at = tx.now
        tx.audit(TokenRevoked(token=token_id))
    return row


def revoked_among(session: Session, principals: Iterable[Principal]) -> set[str]:
    """The token ids of those ``principals`` an API token stands behind whose token is revoked
    (or gone) now, in the caller's transaction.

    A principal is authenticated before its request is queued, and an interface may answer
    from principals it authenticated earlier (``api.auth.TokenCache``): the write itself
    re-checks, so no write commits after its token's revocation did.
    """
    return tokens.unusable(session, {p.token_id for p in principals if p.by_token})


def refused_token() -> Unauthenticated:
    """What a request whose token was revoked since it was authenticated hears."""
    return Unauthenticated(
        "the token is unknown or revoked",
        hint="ask for a token: garante tokens create --role ROLE --agency ID",
    )


def authenticate(session: Session, secret: str) -> Principal:
    """The principal behind a bearer token, or ``Unauthenticated``."""
    if not secret.startswith(PREFIX):
        raise Unauthenticated("the token is not a Garante token", hint="tokens start with gar_")
    digest = token_digest(secret)
    row = tokens.by_hash(session, digest)
    # compare_digest keeps the final check constant-time, though the lookup is by hash.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked:
        raise refused_token()
    if row.role not in set(TOKEN_ROLES):
        # Only a store edited behind the service holds one: never let a token be the operator,
        # who may do everything, nor a role the service does not know.
        raise Unauthenticated(
            "the token names a role no token may carry",
            hint="revoke it and create a new one with garante tokens create",
        )
    return Principal(
        token_id=row.id,
        role=Role(row.role),
        agency_id=row.agency_id,
        authority_id=row.authority_id,
        by_token=True,
    )
