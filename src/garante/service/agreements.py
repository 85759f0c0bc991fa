"""Standing agreements: drafted, made (and backfilled), amended, suspended, resumed, ended.

Each change is logged with its reason; the terms of each version are logged as the statement
the partner may countersign (``Agreement.statement``), with its countersignature if it gave
one. A countersignature is optional: given, it must verify against the partner's registered
key, as an undertaking's signature does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from garante.domain.agreement import Agreement, AgreementScope
from garante.domain.errors import AlreadyExists, InvalidState, ValidationError
from garante.domain.events import (
    AgreementAmended,
    AgreementEnded,
    AgreementMade,
    AgreementResumed,
    AgreementSuspended,
    Json,
)
from garante.domain.recalldeadline import check_within
from garante.domain.timeutil import iso, utc
from garante.domain.vocabulary import Tlp, suggest
from garante.service import fanout, lookup
from garante.service.releases import DecidedRequest
from garante.service.transaction import Reading, Transaction
from garante.signatures import canonical, check_signature, encode_signature
from garante.store import agreements
from garante.store.schema import AgreementRow
from garante.store.session import flush


def tlp_ceiling(value: str) -> Tlp:
    """A TLP 2.0 marking, or a refusal naming the ones there are."""
    try:
        return Tlp(value)
    except ValueError:
        raise ValidationError(
            f"unknown TLP marking '{value}'",
            field="tlp_ceiling",
            hint=suggest(value, [t.value for t in Tlp]),
        ) from None


def draft_agreement(
    tx: Reading,
    *,
    partner: str,
    agreement_id: str | None,
    purposes: list[str],
    categories: list[str],
    regions: list[str],
    tlp_ceiling: Tlp,
    originators: list[str],
    valid_from: datetime | None,
    valid_until: datetime | None,
    recall_ack_within: timedelta | None = None,
    onward_to: list[str] | None = None,
    onward_purposes: list[str] | None = None,
) -> Agreement:
    """Validated terms at version 1, nothing stored: the partner may countersign
    ``statement()``. Without ``agreement_id`` the next free ``<partner>-ag-<n>`` is given."""
    session = tx.session
    lookup.agency(session, partner, field="partner")
    if agreement_id is None:
        count = agreements.count_of(session, partner)
        agreement_id = f"{partner}-ag-{count + 1}"
        while agreements.get(session, agreement_id) is not None:
            count += 1
            agreement_id = f"{partner}-ag-{count + 1}"
    lookup.slug(agreement_id, field="id")
    if agreements.get(session, agreement_id) is not None:
        raise AlreadyExists(f"agreement '{agreement_id}' already exists", field="id")
    start = utc(valid_from) if valid_from is not None else tx.now
    terms = Agreement(
        id=agreement_id,
        partner=partner,
        purposes=frozenset(purposes),
        scope=AgreementScope(
            categories=frozenset(categories),
            regions=frozenset(regions),
            tlp_ceiling=tlp_ceiling,
            originators=frozenset(originators),
        ),
        # Whole seconds: the statement signs the time as the log writes it.
        valid_from=start.replace(microsecond=0),
        valid_until=utc(valid_until).replace(microsecond=0) if valid_until else None,
        recall_ack_within=recall_ack_within,
        onward_to=_onward_names(onward_to or []),
        onward_purposes=frozenset(onward_purposes or []),
    )
    check_terms(tx, terms)
    return terms


def _onward_names(names: list[str]) -> frozenset[str]:
    """Onward recipients as stated, each stripped of surrounding blanks."""
    return frozenset(name.strip() for name in names)


def check_terms(tx: Reading, terms: Agreement) -> None:
    """Every term names what exists: the partner, purposes, categories, regions, originators;
    at least one purpose; an end after the start."""
    session = tx.session
    vocabulary = tx.vocabulary
    lookup.agency(session, terms.partner, field="partner")
    if not terms.purposes:
        raise ValidationError(
            "an agreement must name at least one purpose",
            field="purposes",
            hint="accepted: " + ", ".join(sorted(vocabulary.purposes)),
        )
    vocabulary.check("purposes", sorted(terms.purposes), field_name="purposes")
    vocabulary.check("categories", sorted(terms.scope.categories), field_name="categories")
    vocabulary.check("regions", sorted(terms.scope.regions), field_name="regions")
    for originator in sorted(terms.scope.originators):
        lookup.agency(session, originator, field="originators")
    if terms.valid_until is not None and terms.valid_until <= terms.valid_from:
        raise ValidationError(
            f"valid_until {iso(terms.valid_until)} is not after valid_from {iso(terms.valid_from)}",
            field="valid_until",
            hint="give a later end, or none",
        )
    if terms.recall_ack_within is not None:
        check_within(terms.recall_ack_within, field="recall_ack_within")
    _check_onward(tx, terms)


def _check_onward(tx: Reading, terms: Agreement) -> None:
    """Onward consent names recipients and purposes together, each known: a consent in
    advance that said nothing of what for would consent to anything."""
    for name in sorted(terms.onward_to):
        if not name or len(name) > 128:
            raise ValidationError(
                "an onward recipient is an agency id or an ISO 3166 country code (1 to 128 "
                "characters)",
                field="onward_to",
            )
    if terms.onward_to and not terms.onward_purposes:
        raise ValidationError(
            "onward consent must name the purposes it consents to",
            field="onward_purposes",
            hint="accepted: " + ", ".join(sorted(tx.vocabulary.purposes)),
        )
    if terms.onward_purposes and not terms.onward_to:
        raise ValidationError(
            "onward purposes need the recipients they are consented for",
            field="onward_to",
            hint="name agency ids or ISO 3166 country codes",
        )
    tx.vocabulary.check("purposes", sorted(terms.onward_purposes), field_name="onward_purposes")


def draft_amendment(
    tx: Reading,
    *,
    agreement_id: str,
    purposes: list[str] | None = None,
    categories: list[str] | None = None,
    regions: list[str] | None = None,
    tlp_ceiling: Tlp | None = None,
    originators: list[str] | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    clear_valid_until: bool = False,
    recall_ack_within: timedelta | None = None,
    onward_to: list[str] | None = None,
    onward_purposes: list[str] | None = None,
) -> Agreement:
    """The next version of an agreement: the terms given replace the current ones, the others
    stay. Its partner does not change. An ended agreement is not amended. Onward recipients
    given as an empty list end the onward consent (and its purposes with it)."""
    row = lookup.agreement(tx.session, agreement_id, field="id")
    current = agreements.as_agreement(row)
    _not_ended(row, "amended")
    scope = current.scope
    until = None if clear_valid_until else (valid_until or current.valid_until)
    terms = replace(
        current,
        version=current.version + 1,
        purposes=frozenset(purposes) if purposes is not None else current.purposes,
        scope=AgreementScope(
            categories=frozenset(categories) if categories is not None else scope.categories,
            regions=frozenset(regions) if regions is not None else scope.regions,
            tlp_ceiling=tlp_ceiling or scope.tlp_ceiling,
            originators=frozenset(originators) if originators is not None else scope.originators,
        ),
        valid_from=utc(valid_from).replace(microsecond=0) if valid_from else current.valid_from,
        valid_until=utc(until).replace(microsecond=0) if until else None,
        recall_ack_within=recall_ack_within or current.recall_ack_within,
        onward_to=_onward_names(onward_to) if onward_to is not None else current.onward_to,
        onward_purposes=(
            frozenset()
            if onward_to == []
            else frozenset(onward_purposes)
            if onward_purposes is not None
            else current.onward_purposes
        ),
    )
    check_terms(tx, terms)
    return terms


def make_agreement(
    tx: Transaction,
    *,
    terms: Agreement,
    signature: bytes | None,
    backfill_from: datetime | None = None,
) -> tuple[AgreementRow, list[DecidedRequest]]:
    """Store an agreement and log it; with ``backfill_from``, also start and decide requests
    for the items added since then that it covers, in this same transaction
    (``fanout.backfill``: the agreement and its backfill commit whole, never in chunks)."""
    session = tx.session
    terms = _whole_seconds(terms)
    if terms.version != 1:
        raise ValidationError("a new agreement is at its version 1", field="version")
    if agreements.get(session, terms.id) is not None:
        raise AlreadyExists(f"agreement '{terms.id}' already exists", field="id")
    lookup.slug(terms.id, field="id")
    check_terms(tx, terms)
    if backfill_from is not None:
        backfill_from = _backfill_start(tx, terms, backfill_from)
    statement = terms.statement()
    _countersigned(tx, terms, statement, signature)
    row = agreements.add(
        session,
        terms,
        statement=canonical(statement).decode(),
        signature=signature,
        made_by=tx.actor,
        at=tx.now,
    )
    agreements.changed(session)
    tx.audit(
        AgreementMade(
            agreement=row.id,
            partner=terms.partner,
            statement=statement,
            signature=encode_signature(signature) if signature else None,
        )
    )
    flush(session)
    started = [] if backfill_from is None else fanout.backfill(tx, terms, since=backfill_from)
    return row, started


def _backfill_start(tx: Reading, terms: Agreement, since: datetime) -> datetime:
    since = utc(since)
    if since > tx.now:
        raise ValidationError(
            f"backfill_from {iso(since)} is in the future (now {iso(tx.now)})",
            field="backfill_from",
            hint="give the date from which items already added should be covered",
        )
    if not terms.in_force(tx.now):
        raise ValidationError(
            f"agreement '{terms.id}' is not in force now ({terms.status(tx.now)}), so it "
            "cannot start requests for items already added",
            field="backfill_from",
            hint="backfill an agreement valid from now or earlier, or leave backfill out",
        )
    return since


def _countersigned(
    tx: Reading, terms: Agreement, statement: dict[str, Json], signature: bytes | None
) -> None:
    """A countersignature, if given, verifies against the partner's registered key."""
    if signature is None:
        return
    partner = lookup.agency(tx.session, terms.partner, field="partner")
    check_signature(
        signer=partner.id,
        public_key=partner.public_key,
        statement=statement,
        signature=signature,
    )


def amend_agreement(
    tx: Transaction, *, terms: Agreement, signature: bytes | None, reason: str
) -> AgreementRow:
    """Put the next version in force (``draft_amendment``); requests already started stand,
    and items added from now on are matched against the new terms."""
    said = _reason(reason, "amended")
    terms = _whole_seconds(terms)
    row = lookup.agreement(tx.session, terms.id, field="id")
    _not_ended(row, "amended")
    if terms.version != row.version + 1:
        raise InvalidState(
            f"agreement '{row.id}' is at version {row.version}; an amendment is version "
            f"{row.version + 1}, not {terms.version}",
            field="version",
            hint="draft the amendment again from the version in force",
        )
    if terms.partner != row.partner_id:
        raise ValidationError("an amendment cannot change the partner", field="partner")
    check_terms(tx, terms)
    statement = terms.statement()
    _countersigned(tx, terms, statement, signature)
    agreements.set_terms(row, terms, statement=canonical(statement).decode(), signature=signature)
    row.amended_at = tx.now
    row.reason = said
    agreements.changed(tx.session)
    tx.audit(
        AgreementAmended(
            agreement=row.id,
            partner=row.partner_id,
            statement=statement,
            signature=encode_signature(signature) if signature else None,
        )
    )
    flush(tx.session)
    return row


def suspend_agreement(tx: Transaction, *, agreement_id: str, reason: str) -> AgreementRow:
    """From now until it is resumed, the agreement starts nothing."""
    row, said = _to_change(tx, agreement_id, reason, "suspended")
    if row.suspended_at is not None:
        raise InvalidState(f"agreement '{row.id}' is already suspended", field="id")
    row.suspended_at = tx.now
    return _changed(tx, row, said, AgreementSuspended)


def resume_agreement(tx: Transaction, *, agreement_id: str, reason: str) -> AgreementRow:
    """A suspended agreement starts requests again, for items added from now on."""
    row, said = _to_change(tx, agreement_id, reason, "resumed")
    if row.suspended_at is None:
        raise InvalidState(f"agreement '{row.id}' is not suspended", field="id")
    row.suspended_at = None
    return _changed(tx, row, said, AgreementResumed)


def end_agreement(tx: Transaction, *, agreement_id: str, reason: str) -> AgreementRow:
    """The agreement starts nothing more, for good; requests it started stand."""
    row, said = _to_change(tx, agreement_id, reason, "ended")
    row.ended_at = tx.now
    return _changed(tx, row, said, AgreementEnded)


def _to_change(
    tx: Transaction, agreement_id: str, reason: str, what: str
) -> tuple[AgreementRow, str]:
    """The agreement to be ``what`` (suspended, resumed, ended), and the reason given: refused
    without a reason, and for an agreement already ended."""
    said = _reason(reason, what)
    row = lookup.agreement(tx.session, agreement_id, field="id")
    _not_ended(row, what)
    return row, said


def _changed(
    tx: Transaction,
    row: AgreementRow,
    said: str,
    event: type[AgreementSuspended | AgreementResumed | AgreementEnded],
) -> AgreementRow:
    """Record the reason, mark the agreements changed for readers that keep them, log it."""
    row.reason = said
    agreements.changed(tx.session)
    tx.audit(event(agreement=row.id, reason=said))
    flush(tx.session)
    return row


def _whole_seconds(terms: Agreement) -> Agreement:
    """Validity as the statement signs it and the log reads it back: UTC, whole seconds."""
    until = terms.valid_until
    return replace(
        terms,
        valid_from=utc(terms.valid_from).replace(microsecond=0),
        valid_until=utc(until).replace(microsecond=0) if until is not None else None,
    )


def _not_ended(row: AgreementRow, act: str) -> None:
    if row.ended_at is not None:
        raise InvalidState(
            f"agreement '{row.id}' was ended at {iso(row.ended_at)} and cannot be {act}",
            field="id",
            hint="make a new agreement instead",
        )


def _reason(reason: str, act: str) -> str:
    if not reason.strip():
        raise ValidationError(f"say why the agreement is {act}", field="reason")
    return reason.strip()
