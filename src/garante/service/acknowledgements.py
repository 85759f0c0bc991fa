"""Partners' signed acknowledgements of deliveries and of recalls, verified and logged."""

from __future__ import annotations

from garante.domain.acknowledgement import AckKind, Acknowledgement
from garante.domain.errors import (
    Conflict,
    InvalidState,
    NotFound,
    UnknownValue,
    ValidationError,
)
from garante.domain.events import RecallAcknowledged, ReleaseAcknowledged
from garante.domain.vocabulary import suggest
from garante.service import partnerstatements
from garante.service.transaction import Transaction
from garante.signatures import canonical, encode_signature
from garante.store import acknowledgements
from garante.store.schema import AcknowledgementRow


class AcknowledgedReleaseNotFound(NotFound):
    code = "acknowledgement.release_not_found"


class NothingToAcknowledge(InvalidState):
    code = "acknowledgement.nothing_to_acknowledge"


class AcknowledgementIdTaken(Conflict):
    code = "acknowledgement.id_taken"


def acknowledge(
    tx: Transaction, *, ack: Acknowledgement, signature: bytes | None
) -> tuple[AcknowledgementRow, bool]:
    """Record a partner's signed acknowledgement; the row, and whether it is new.

    The same acknowledgement twice, or a second one of a release already acknowledged, is
    accepted once: the first row comes back and nothing more is logged.
    """
    session = tx.session
    if ack.kind not in set(AckKind):
        raise UnknownValue(
            f"unknown acknowledgement '{ack.kind}'",
            field="of",
            hint=suggest(ack.kind, list(AckKind)),
        )
    if not ack.id or len(ack.id) > 128:
        raise ValidationError("an acknowledgement's id is 1 to 128 characters", field="id")
    # The signature first: what no key of the partner's signed learns nothing of the state.
    statement = ack.statement()
    partnerstatements.check_partner_signature(
        session,
        agency_id=ack.agency_id,
        statement=statement,
        signature=signature,
        what="acknowledgement",
    )
    release = partnerstatements.release_reached_partner(
        session,
        release_id=ack.request_id,
        partner_id=ack.agency_id,
        not_reached=lambda: AcknowledgedReleaseNotFound(
            f"release {ack.request_id} was not released to {ack.agency_id}, "
            "so there is nothing of it to acknowledge",
            field="release",
            hint="acknowledge the releases your collection delivered to you",
        ),
    )
    if ack.kind == AckKind.DELIVERY and release.delivered_at is None:
        raise NothingToAcknowledge(
            f"release {ack.request_id} has not been delivered to you yet",
            field="release",
            hint="fetch your collection's objects first, then acknowledge them",
        )
    if ack.kind == AckKind.RECALL and release.recalled_at is None:
        raise NothingToAcknowledge(
            f"release {ack.request_id} has not been recalled", field="release"
        )
    if ack.acknowledged_at > tx.now:
        raise ValidationError("the acknowledgement is dated in the future", field="acknowledged_at")
    assert signature is not None  # check_signature refuses a missing one for a registered key
    text = canonical(statement).decode()
    same = partnerstatements.received_before(
        acknowledgements.get(session, ack.id),
        text,
        id_taken=lambda: AcknowledgementIdTaken(
            f"acknowledgement {ack.id} was received before with other content",
            field="id",
            hint="give each acknowledgement its own id",
        ),
    )
    if same is not None:
        return same, False
    earlier = acknowledgements.of_release(session, ack.request_id, ack.kind)
    if earlier is not None:
        return earlier, False
    # The entry first: its index is the row's place in the order received.
    encoded = encode_signature(signature)
    event = ReleaseAcknowledged if ack.kind == AckKind.DELIVERY else RecallAcknowledged
    index = tx.audit(event(acknowledgement=ack.id, statement=statement, signature=encoded))
    row = acknowledgements.add(
        session, ack, statement=text, signature=encoded, at=tx.now, index=index
    )
    return row, True
