"""Registering agencies and authorities, and their keys."""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.domain.errors import AlreadyExists, NotEntitled, ValidationError
from garante.domain.events import AgencyKeySet, AgencyRegistered, AuthorityRegistered
from garante.domain.parties import SYSTEM_AUTHORITY, key_statement
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.signatures import check_signature, encode_public_key, encode_signature
from garante.store import agencies, authorities
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
    if recovered_by is None:
        check_signature(
            signer=agency_id, public_key=row.public_key, statement=statement, signature=signature
        )
    else:
        if row.public_key is None:
            raise ValidationError(
                f"{agency_id} has no key to recover",
                field="recovered_by",
                hint="register its first key without recovered_by",
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
    row.public_key = public_key
    tx.audit(
        AgencyKeySet(
            agency=agency_id,
            public_key=encode_public_key(public_key),
            statement=statement,
            signature=encode_signature(signature) if signature else None,
            recovered_by=recovered_by,
        )
    )
    return row


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
