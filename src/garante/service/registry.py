"""Registering agencies and authorities, and their keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from sqlalchemy.orm import Session

from garante.domain import parties
from garante.domain.errors import AlreadyExists, NotEntitled, ValidationError
from garante.domain.events import (
    AgencyKeySet,
    AgencyRegistered,
    AuthorityKeySet,
    AuthorityRegistered,
    AuthoritySuperiorSet,
)
from garante.domain.parties import SYSTEM_AUTHORITY, key_statement
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.signatures import check_signature, encode_public_key, encode_signature
from garante.store import agencies, authorities, passkeys
from garante.store.schema import AgencyRow, AuthorityRow


def register_agency(
    tx: Transaction,
    *,
    agency_id: str,
    name: str,
    country: str,
    domestic: bool,
    requires_undertaking: bool = False,
    public_key: bytes | None = None,
) -> AgencyRow:
    lookup.slug(agency_id, field="id")
    if agency_id == SYSTEM_AUTHORITY:
        raise NotEntitled(
            f"the id '{SYSTEM_AUTHORITY}' is reserved for Garante's automatic suspensions; no "
            "agency takes it",
            field="id",
            hint="choose another id",
        )
    lookup.country(country)
    if not name.strip():
        raise ValidationError("an agency needs a name", field="name")
    if agencies.get(tx.session, agency_id) is not None:
        raise AlreadyExists(f"agency '{agency_id}' already exists", field="id")
    row = agencies.add(
        tx.session,
        agency_id=agency_id,
        name=name.strip(),
        country=country,
        domestic=domestic,
        requires_undertaking=requires_undertaking,
        public_key=public_key,
        at=tx.now,
    )
    tx.audit(
        AgencyRegistered(
            agency=agency_id,
            name=row.name,
            country=country,
            domestic=domestic,
            requires_undertaking=requires_undertaking,
            public_key=encode_public_key(public_key) if public_key else None,
        )
    )
    return row


def agency_key_statement(
    session: Session, *, agency_id: str, public_key: bytes, recovered_by: str | None = None
) -> dict[str, str | None]:
    """What replacing ``agency_id``'s key with ``public_key`` states, for its signer to sign."""
    return _key_statement(lookup.agency(session, agency_id), public_key, recovered_by)


def _key_statement(
    row: AgencyRow, public_key: bytes, recovered_by: str | None
) -> dict[str, str | None]:
    previous = encode_public_key(row.public_key) if row.public_key else None
    return key_statement(row.id, encode_public_key(public_key), previous, recovered_by=recovered_by)


def set_agency_key(
    tx: Transaction,
    *,
    agency_id: str,
    public_key: bytes,
    signature: bytes | None = None,
    recovered_by: str | None = None,
) -> AgencyRow:
    """Register or replace an agency's key, with the proof DESIGN.md asks for.

    A first key needs none. A new key replaces a registered one only on a statement signed by
    the registered key; a lost key, only on a recovery statement signed by an authority that
    has a key of its own, and the log marks it as a recovery.
    """
    row = lookup.agency(tx.session, agency_id)
    statement = _key_statement(row, public_key, recovered_by)
    proof = _replace_key(tx, row, statement, public_key, signature, recovered_by)
    row.key_recovered_by = recovered_by
    tx.audit(AgencyKeySet(agency=agency_id, **proof))
    return row


class _KeyProof(TypedDict):
    """What a key change's entry carries besides the party it is for."""

    public_key: str
    statement: dict[str, str | None]
    signature: str | None
    recovered_by: str | None


def _replace_key(
    tx: Transaction,
    row: AgencyRow | AuthorityRow,
    statement: dict[str, str | None],
    public_key: bytes,
    signature: bytes | None,
    recovered_by: str | None,
    *,
    keyed: bool = False,
) -> _KeyProof:
    """Put ``public_key`` in place of the party's key once ``_check_key_proof`` accepts the
    proof; returns what the log records of it."""
    _check_key_proof(
        tx,
        subject=row.id,
        current=row.public_key,
        statement=statement,
        signature=signature,
        recovered_by=recovered_by,
        keyed=keyed,
    )
    row.public_key = public_key
    return _KeyProof(
        public_key=encode_public_key(public_key),
        statement=statement,
        signature=encode_signature(signature) if signature else None,
        recovered_by=recovered_by,
    )


def _check_key_proof(
    tx: Transaction,
    *,
    subject: str,
    current: bytes | None,
    statement: dict[str, str | None],
    signature: bytes | None,
    recovered_by: str | None,
    keyed: bool = False,
) -> None:
    """The proof a new key for ``subject`` (an agency or an authority) needs.

    Without ``recovered_by``: the current key's signature, or none for a first key. With it:
    the signature of that authority, which must have a key and not be ``subject`` itself.
    """
    if recovered_by is None:
        check_signature(
            signer=subject, public_key=current, statement=statement, signature=signature
        )
        return
    if current is None and not keyed:  # ``keyed``: an authority with a passkey alone
        raise ValidationError(
            f"{subject} has no key to recover",
            field="recovered_by",
            hint="register its first key without recovered_by",
        )
    if recovered_by == subject:
        raise NotEntitled(
            f"{subject} cannot vouch for its own lost key",
            field="recovered_by",
            hint="a recovery is signed by another authority with a registered key",
        )
    authority = lookup.authority(tx.session, recovered_by, field="recovered_by")
    if authority.public_key is None:
        raise NotEntitled(
            f"authority '{recovered_by}' has no key, so it cannot vouch for a new one",
            field="recovered_by",
            hint="a recovery is signed by an authority with a registered key",
        )
    check_signature(
        signer=recovered_by,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
    )


def authority_key_statement(
    session: Session, *, authority_id: str, public_key: bytes, recovered_by: str | None = None
) -> dict[str, str | None]:
    """What replacing ``authority_id``'s key with ``public_key`` states, for its signer."""
    row = _keyed_authority(session, authority_id)
    previous = encode_public_key(row.public_key) if row.public_key else None
    return parties.authority_key_statement(
        row.id, encode_public_key(public_key), previous, recovered_by=recovered_by
    )


def _keyed_authority(session: Session, authority_id: str) -> AuthorityRow:
    if authority_id == SYSTEM_AUTHORITY:
        raise NotEntitled(
            f"'{SYSTEM_AUTHORITY}' is Garante's breach rule and signs nothing, so it has no key",
            field="id",
        )
    return lookup.authority(session, authority_id)


def set_authority_key(
    tx: Transaction,
    *,
    authority_id: str,
    public_key: bytes,
    signature: bytes | None = None,
    recovered_by: str | None = None,
) -> AuthorityRow:
    """Register or replace an authority's key, with the proof an agency's key needs.

    A first key needs none; a new key, a statement signed by the registered key; a lost key, a
    recovery statement signed by another authority that has a key, marked so in the log.
    """
    row = _keyed_authority(tx.session, authority_id)
    statement = authority_key_statement(
        tx.session, authority_id=authority_id, public_key=public_key, recovered_by=recovered_by
    )
    if row.public_key is None and passkeys.of_authority(tx.session, authority_id):
        # A passkey is a key: an Ed25519 key beside it is a change of keys, which its holder
        # cannot sign with the passkey here, so another authority vouches for it.
        if recovered_by is None:
            raise NotEntitled(
                f"{authority_id} signs with a passkey, so an Ed25519 key for it needs a "
                "recovery statement signed by another authority",
                field="recovered_by",
                hint="name the authority that vouches for the key in recovered_by, with its "
                "signature",
            )
        proof = _replace_key(tx, row, statement, public_key, signature, recovered_by, keyed=True)
    else:
        proof = _replace_key(tx, row, statement, public_key, signature, recovered_by)
    tx.audit(AuthorityKeySet(authority=authority_id, **proof))
    return row


def set_superior(tx: Transaction, *, authority_id: str, over: Sequence[str]) -> list[str]:
    """Configure ``authority_id`` as superior to exactly ``over`` (none clears it).

    The operator's act alone. A superior amends and lifts the orders of the authorities it is
    over (``orders.answerable``); the relation is not transitive, and the system authority is
    neither a superior nor under one. Returns the authorities it is now over, by id.
    """
    session = tx.session
    if authority_id == SYSTEM_AUTHORITY:
        raise NotEntitled(
            f"'{SYSTEM_AUTHORITY}' is Garante's breach rule, never a superior", field="id"
        )
    lookup.authority(session, authority_id)
    subordinates = sorted(set(over))
    for other in subordinates:
        if other == SYSTEM_AUTHORITY:
            raise NotEntitled(
                f"no authority is superior to '{SYSTEM_AUTHORITY}': any authority lifts its "
                "holds, and none amends them",
                field="over",
            )
        if other == authority_id:
            raise ValidationError(
                f"'{authority_id}' cannot be superior to itself; it answers for its own orders",
                field="over",
            )
        lookup.authority(session, other, field="over")
    authorities.set_subordinates(session, authority_id, subordinates, at=tx.now)
    tx.audit(AuthoritySuperiorSet(authority=authority_id, over=tuple(subordinates)))
    return subordinates


def register_authority(
    tx: Transaction,
    *,
    authority_id: str,
    name: str,
    public_key: bytes | None = None,
    system: bool = False,
) -> AuthorityRow:
    """Register an authority. ``system`` is for the breach rule alone, which registers the
    reserved system authority with its first automatic order; no one else may take that id."""
    lookup.slug(authority_id, field="id")
    if authority_id == SYSTEM_AUTHORITY and not system:
        raise NotEntitled(
            f"the authority id '{SYSTEM_AUTHORITY}' is reserved for Garante's automatic "
            "suspensions",
            field="id",
            hint="choose another id",
        )
    if not name.strip():
        raise ValidationError("an authority needs a name", field="name")
    if authorities.get(tx.session, authority_id) is not None:
        raise AlreadyExists(f"authority '{authority_id}' already exists", field="id")
    row = authorities.add(
        tx.session, authority_id=authority_id, name=name.strip(), public_key=public_key, at=tx.now
    )
    tx.audit(
        AuthorityRegistered(
            authority=authority_id,
            name=row.name,
            public_key=encode_public_key(public_key) if public_key else None,
        )
    )
    return row
