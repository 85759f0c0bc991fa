"""Outcome reports, compliance, and the automatic suspension a breach brings."""

from __future__ import annotations

from garante.domain.decision import Outcome
from garante.domain.errors import InvalidState, UnknownValue, ValidationError
from garante.domain.events import OutcomeReported
from garante.domain.order import Effect, Scope
from garante.domain.outcome import OutcomeKind, OutcomeReport
from garante.domain.parties import SYSTEM_AUTHORITY as SYSTEM_AUTHORITY  # read here by others
from garante.domain.vocabulary import suggest
from garante.policy.compliance import judge
from garante.service import lookup, orders, registry
from garante.service.releases import DecidedRequest
from garante.service.transaction import Transaction
from garante.signatures import canonical, check_signature, encode_signature
from garante.store import authorities, convert, outcomes, requests, undertakings
from garante.store.schema import OutcomeRow
from garante.store.session import flush


class ReleaseNotFound(InvalidState):
    code = "outcome.not_a_release"


def report_outcome(
    tx: Transaction, *, report: OutcomeReport, signed: bool, signature: bytes | None
) -> tuple[OutcomeRow, list[DecidedRequest]]:
    """Record an outcome; a breach suspends the partner in the same transaction.

    ``signed`` says the reporter is the partner itself, whose statement must carry its
    signature when it has a key; an analyst reporting for the originator signs nothing.
    """
    session = tx.session
    if report.kind not in set(OutcomeKind):
        raise UnknownValue(
            f"unknown outcome kind '{report.kind}'",
            field="kind",
            hint=suggest(report.kind, list(OutcomeKind)),
        )
    if report.casualties < 0 or report.persons < 0:
        raise ValidationError("casualties and persons cannot be negative", field="casualties")
    request = requests.get(session, report.request_id)
    if (
        request is None
        or request.outcome != Outcome.RELEASED.value
        or request.recipient_id != report.agency_id
    ):
        # One answer whether the request does not exist, was not released, or went to another
        # agency: a partner must not learn who received another partner's release.
        raise ReleaseNotFound(
            f"request {report.request_id} was not released to {report.agency_id}, "
            "so it has no outcome to report",
            field="release",
        )
    if report.occurred_at > tx.now:
        raise ValidationError("the outcome is dated in the future", field="occurred_at")
    agency = lookup.agency(session, report.agency_id)
    statement = report.statement()
    if signed:
        check_signature(
            signer=agency.id,
            public_key=agency.public_key,
            statement=statement,
            signature=signature,
        )
    undertaking_row = (
        undertakings.get(session, request.undertaking_id) if request.undertaking_id else None
    )
    undertaking = convert.undertaking(undertaking_row) if undertaking_row else None
    verdict = judge(report, undertaking)
    row = outcomes.add(
        session,
        report,
        undertaking_id=request.undertaking_id,
        breach=verdict.breach,
        breach_reasons=list(verdict.reasons),
        statement=canonical(statement).decode(),
        signature=signature if signed else None,
        reported_by=tx.actor,
        at=tx.now,
    )
    tx.audit(
        OutcomeReported(
            outcome=row.id,
            statement=statement,
            signature=encode_signature(signature) if signed and signature else None,
            undertaking=request.undertaking_id,
            breach=verdict.breach,
            reasons=tuple(verdict.reasons),
        )
    )
    if not verdict.breach:
        return row, []
    return row, _suspend(tx, row, verdict.reasons)


def _suspend(
    tx: Transaction, outcome: OutcomeRow, reasons: tuple[str, ...]
) -> list[DecidedRequest]:
    """The automatic hold a breach brings: issued by the system, lifted only by an authority."""
    session = tx.session
    if authorities.get(session, SYSTEM_AUTHORITY) is None:
        # Registered like any authority, with its own entry: one entry per state change.
        registry.register_authority(
            tx, authority_id=SYSTEM_AUTHORITY, name="Garante (automatic suspensions)", system=True
        )
        flush(session)
    order_id = f"breach-{outcome.agency_id}-{outcome.id}"
    draft = orders.draft_order(
        tx,
        authority_id=SYSTEM_AUTHORITY,
        effect=Effect.HOLD.value,
        scope=Scope(agencies=frozenset({outcome.agency_id})),
        order_id=order_id,
        reason=(
            f"Automatic suspension: outcome {outcome.id} ({outcome.kind}) of release "
            f"{outcome.request_id} under undertaking {outcome.undertaking_id or '-'} breached it: "
            + "; ".join(reasons)
            + ". Stays until an authority lifts it."
        ),
    )
    _, redecided = orders.issue_order(tx, order=draft, signature=None)
    outcome.order_id = order_id
    return redecided.moved
