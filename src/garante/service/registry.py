"""Registering agencies and authorities, and their keys."""

from __future__ import annotations

from garante.domain.errors import AlreadyExists, NotEntitled, ValidationError
from garante.domain.events import AgencyKeySet, AgencyRegistered, AuthorityRegistered
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.signatures import encode_public_key
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


def set_agency_key(tx: Transaction, *, agency_id: str, public_key: bytes) -> AgencyRow:
    row = lookup.agency(tx.session, agency_id)
    row.public_key = public_key
    tx.audit(AgencyKeySet(agency=agency_id, public_key=encode_public_key(public_key)))
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
