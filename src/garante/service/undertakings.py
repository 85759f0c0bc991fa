"""Recording and revoking partners' use undertakings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.errors import AlreadyExists, InvalidState, ValidationError
from garante.domain.events import UndertakingRevoked, UndertakingSigned
from garante.domain.undertaking import Undertaking
from garante.service import lookup
from garante.service.releases import DecidedRequest, redecide_held
from garante.service.transaction import Reading, Transaction
from garante.signatures import canonical, check_signature, encode_signature
from garante.store import agencies, undertakings
from garante.store.schema import UndertakingRow
from garante.store.session import flush


def draft_undertaking(
    tx: Reading,
    *,
    agency_id: str,
    undertaking_id: str | None,
    permits: list[str],
    prohibits: list[str],
    protections: list[str],
    categories: list[str],
    valid_from: datetime | None,
    valid_until: datetime | None,
    own_namespace: bool = False,
) -> Undertaking:
    """Validate the terms; the agency signs the result's ``statement()``.

    With ``own_namespace`` (a partner naming its own undertaking), an id must lie in the
    agency's namespace, checked before the store is asked whether the id is taken: otherwise a
    partner could probe another agency's ids (``dea-ut-3``) and learn how many it has signed.
    """
    session = tx.session
    lookup.agency(session, agency_id)
    vocabulary = tx.vocabulary
    permits_ = vocabulary.check("purposes", permits, field_name="permits")
    prohibits_ = vocabulary.check("purposes", prohibits, field_name="prohibits")
    protections_ = vocabulary.check("protections", protections, field_name="protections")
    categories_ = vocabulary.check("categories", categories, field_name="categories")
    if not permits_:
        raise ValidationError(
            "an undertaking must permit at least one purpose",
            field="permits",
            hint="accepted: " + ", ".join(sorted(vocabulary.purposes)),
        )
    both = set(permits_) & set(prohibits_)
    if both:
        raise ValidationError(
            f"{', '.join(sorted(both))} cannot be both permitted and prohibited",
            field="prohibits",
        )
    start = valid_from or tx.now
    if valid_until is not None and valid_until <= start:
        raise ValidationError("valid_until must be after valid_from", field="valid_until")
    if undertaking_id is None:
        count = undertakings.count_of(session, agency_id)
        undertaking_id = f"{agency_id}-ut-{count + 1}"
    lookup.slug(undertaking_id, field="id")
    if own_namespace:
        _check_namespace(session, agency_id, undertaking_id)
    if undertakings.get(session, undertaking_id) is not None:
        raise AlreadyExists(f"undertaking '{undertaking_id}' already exists", field="id")
    return Undertaking(
        id=undertaking_id,
        agency_id=agency_id,
        permits=frozenset(permits_),
        prohibits=frozenset(prohibits_),
        protections=frozenset(protections_),
        categories=frozenset(categories_),
        valid_from=start,
        valid_until=valid_until,
    )


def _check_namespace(session: Session, agency_id: str, undertaking_id: str) -> None:
    """``<agency>-...``, and not inside a longer agency id's namespace (``dea-x-...`` for dea)."""
    prefix = f"{agency_id}-"
    others = agencies.within(session, agency_id, prefix)
    if not undertaking_id.startswith(prefix) or any(
        undertaking_id.startswith(f"{other}-") for other in others
    ):
        raise ValidationError(
            f"'{undertaking_id}' is not an id {agency_id} may give its undertaking",
            field="id",
            hint=f"start it with '{prefix}', or leave it out to have one assigned",
        )


def record_undertaking(
    tx: Transaction, *, terms: Undertaking, signature: bytes | None
) -> tuple[UndertakingRow, list[DecidedRequest]]:
    """Store a signed undertaking and decide again the held requests of that agency."""
    session = tx.session
    agency_id = terms.agency_id
    statement = terms.statement()
    agency = lookup.agency(session, agency_id)
    check_signature(
        signer=agency_id, public_key=agency.public_key, statement=statement, signature=signature
    )
    row = undertakings.add(
        session,
        terms,
        statement=canonical(statement).decode(),
        signature=signature,
        # Marked now, from the key that checked the signature: the key in force when it was
        # recorded is what the mark is about, and a later key change must not move it. The
        # agency's key history is otherwise only in the log, too costly to read per listing.
        key_recovered=signature is not None and agency.key_recovered_by is not None,
        recorded_by=tx.actor,
        at=tx.now,
    )
    tx.audit(
        UndertakingSigned(
            undertaking=row.id,
            statement=statement,
            signature=encode_signature(signature) if signature else None,
        )
    )
    flush(session)
    moved = redecide_held(
        tx,
        trigger=f"undertaking {row.id} signed",
        affects=lambda agency_, _item: agency_.id == agency_id,
    )
    return row, moved


def revoke_undertaking(
    tx: Transaction, *, undertaking_id: str, reason: str
) -> tuple[UndertakingRow, list[DecidedRequest]]:
    row = lookup.undertaking(tx.session, undertaking_id)
    if row.revoked_at is not None:
        raise InvalidState(f"undertaking '{undertaking_id}' was already revoked", field="id")
    if not reason.strip():
        raise ValidationError("say why the undertaking is revoked", field="reason")
    row.revoked_at = tx.now
    row.revoke_reason = reason.strip()
    tx.audit(UndertakingRevoked(undertaking=row.id, reason=row.revoke_reason))
    flush(tx.session)
    agency_id = row.agency_id
    moved = redecide_held(
        tx,
        trigger=f"undertaking {row.id} revoked",
        affects=lambda agency_, _item: agency_.id == agency_id,
    )
    return row, moved
