"""Consent to share onward (issue 21), the upstream's side: a partner's signed request to share
what a release gave it with another recipient, verified and logged, and the liaison's answer,
logged. The node takes the answer back only with its log entry proven (``ConsentAnswered``)."""

from __future__ import annotations

import json

from garante.domain.consent import AGREEMENT_RULE, ConsentAnswer, ConsentRequest
from garante.domain.errors import (
    Conflict,
    InvalidState,
    NotFound,
    UnknownValue,
    ValidationError,
)
from garante.domain.events import ConsentGranted, ConsentRefused, ConsentRequested
from garante.domain.vocabulary import suggest
from garante.service import lookup, partnerstatements
from garante.service.transaction import Transaction
from garante.signatures import canonical, encode_signature
from garante.store import agreements, consents, convert
from garante.store.acknowledgements import item_of
from garante.store.queries import vocabulary
from garante.store.schema import ConsentRequestRow


class ConsentReleaseNotFound(NotFound):
    code = "consent.release_not_found"


class ConsentNotFound(NotFound):
    code = "consent.not_found"


class ConsentIdTaken(Conflict):
    code = "consent.id_taken"


class ConsentAlreadyAnswered(InvalidState):
    code = "consent.already_answered"


def request(
    tx: Transaction, *, consent: ConsentRequest, signature: bytes | None
) -> tuple[ConsentRequestRow, bool]:
    """Record a partner's signed consent request; the row, and whether it is new.

    The signature is checked first, then that the release was made to that partner and not
    withdrawn before it reached it. The same request twice is recorded once.
    """
    session = tx.session
    if not consent.id or len(consent.id) > 128:
        raise ValidationError("a consent request's id is 1 to 128 characters", field="id")
    if not consent.recipient or len(consent.recipient) > 200:
        raise ValidationError("name the onward recipient (1 to 200 characters)", field="recipient")
    if not consent.country or len(consent.country) > 8:
        raise ValidationError(
            "give the onward recipient's country (ISO 3166 code)", field="country"
        )
    statement = consent.statement()
    partnerstatements.check_partner_signature(
        session,
        agency_id=consent.agency_id,
        statement=statement,
        signature=signature,
        what="consent request",
    )
    purposes = vocabulary(session).purposes
    if consent.purpose not in purposes:
        raise UnknownValue(
            f"unknown purpose '{consent.purpose}'",
            field="purpose",
            hint=suggest(consent.purpose, purposes),
        )
    release = partnerstatements.release_reached_partner(
        session,
        release_id=consent.release,
        partner_id=consent.agency_id,
        not_reached=lambda: ConsentReleaseNotFound(
            f"release {consent.release} was not released to {consent.agency_id}, "
            "so there is nothing of it to share onward",
            field="release",
            hint="ask consent for releases your collection delivered to you",
        ),
    )
    if release.recalled_at is not None:
        raise ConsentReleaseNotFound(
            f"release {consent.release} was recalled: nothing of it may be shared onward",
            field="release",
        )
    if consent.requested_at > tx.now:
        raise ValidationError("the consent request is dated in the future", field="requested_at")
    assert signature is not None  # check_signature refuses a missing one for a registered key
    text = canonical(statement).decode()
    same = partnerstatements.received_before(
        consents.get(session, consent.id),
        text,
        id_taken=lambda: ConsentIdTaken(
            f"consent request {consent.id} was received before with other content",
            field="id",
            hint="give each consent request its own id",
        ),
    )
    if same is not None:
        return same, False
    # The entry first: its index is the row's place in the order received.
    encoded = encode_signature(signature)
    index = tx.audit(ConsentRequested(consent=consent.id, statement=statement, signature=encoded))
    row = consents.add(session, consent, statement=text, signature=encoded, at=tx.now, index=index)
    _granted_by_agreement(tx, row, consent)
    return row, True


def _granted_by_agreement(tx: Transaction, row: ConsentRequestRow, consent: ConsentRequest) -> None:
    """Grant at once, in the transaction that records it, a request that an agreement in
    force for the requesting partner consents to in advance (its ``onward_to`` names the
    recipient or its country, its ``onward_purposes`` the purpose, its scope the item): the
    originator said yes when the agreement was made, so no liaison is asked again. The
    first such agreement by id is cited."""
    session = tx.session
    item = convert.item(lookup.item(session, item_of(session, consent.release)))
    for agreement in agreements.of_partner_in_force(session, consent.agency_id, tx.now):
        if agreement.consents_onward(
            item=item,
            recipient=consent.recipient,
            country=consent.country,
            purpose=consent.purpose,
            at=tx.now,
        ):
            answer(
                tx,
                row.id,
                granted=True,
                reason=f"agreement {agreement.id} (version {agreement.version}) consents in "
                f"advance to sharing onward with {consent.recipient} ({consent.country}) for "
                f"{consent.purpose}",
                rule=AGREEMENT_RULE + agreement.id,
            )
            return


def answer(
    tx: Transaction,
    consent_id: str,
    *,
    granted: bool,
    reason: str,
    rule: str | None = None,
) -> ConsentRequestRow:
    """Grant or refuse a pending consent request, with the reason; logged."""
    if not reason.strip():
        raise ValidationError("say why the consent is granted or refused", field="reason")
    row = consents.get(tx.session, consent_id)
    if row is None:
        raise ConsentNotFound(
            f"no consent request '{consent_id}'",
            field="consent",
            hint="list them with `garante consents list`",
        )
    if row.status != "pending":
        raise ConsentAlreadyAnswered(
            f"consent request {consent_id} was already {row.status}",
            field="consent",
        )
    row.status = ConsentAnswer.GRANTED if granted else ConsentAnswer.REFUSED
    row.answered_by = tx.actor
    row.answered_at = tx.now
    row.reason = reason
    statement = json.loads(row.statement)
    if granted:
        index = tx.audit(
            ConsentGranted(consent=row.id, statement=statement, reason=reason, rule=rule)
        )
    else:
        index = tx.audit(ConsentRefused(consent=row.id, statement=statement, reason=reason))
    row.answer_index = index
    tx.session.flush()
    return row
