"""Outcome reports, compliance, and the automatic suspension a breach brings."""

from __future__ import annotations

import math
from typing import NamedTuple

from sqlalchemy.orm import Session

from garante.domain.decision import Outcome
from garante.domain.errors import InvalidState, UnknownValue, ValidationError
from garante.domain.events import OutcomeReported
from garante.domain.numbers import MAX_COUNT
from garante.domain.order import Effect, Scope
from garante.domain.outcome import OutcomeKind, OutcomeReport
from garante.domain.parties import SYSTEM_AUTHORITY as SYSTEM_AUTHORITY  # read here by others
from garante.domain.timeutil import iso
from garante.domain.vocabulary import suggest
from garante.policy.compliance import judge
from garante.service import lookup, orders, partnerstatements, registry
from garante.service.releases import DecidedRequest
from garante.service.transaction import Transaction
from garante.signatures import canonical, check_signature, encode_signature
from garante.store import authorities, convert, feed, outcomes, requests, undertakings
from garante.store.schema import OutcomeRow
from garante.store.session import flush


class ReleaseNotFound(InvalidState):
    code = "outcome.not_a_release"


class Reported(NamedTuple):
    """An outcome as recorded, the held requests its breach moved, and whether it is new
    (False: the same report was recorded before, and nothing more was logged)."""

    row: OutcomeRow
    moved: list[DecidedRequest]
    new: bool


def report_outcome(
    tx: Transaction, *, report: OutcomeReport, signed: bool, signature: bytes | None
) -> Reported:
    """Record an outcome; a breach suspends the partner in the same transaction.

    ``signed`` says the reporter is the partner itself, whose statement must carry its
    signature when it has a key; an analyst reporting for the originator signs nothing.

    A partner reports on a release that reached it (one its feed offers now or has delivered:
    what a partner may know of, ``service.visibility``); the originator on any release to it
    but one recalled before delivery. An outcome did not happen before the release was
    decided: a partner cannot act on, nor breach an undertaking with, what it never received.

    The same report twice (the same statement: release, kind, date, figures, place and note)
    is recorded once, so a client that sends it again after a lost answer neither counts it
    twice nor suspends the partner twice.
    """
    session = tx.session
    _check_figures(report)
    agency = lookup.agency(session, report.agency_id)
    statement = report.statement()
    if signed:  # first: what no key of the partner's signed learns nothing of the state
        check_signature(
            signer=agency.id,
            public_key=agency.public_key,
            statement=statement,
            signature=signature,
        )
    # A report sent again is the one recorded then, whatever has changed since (its release
    # recalled, say): it passed every check below when it was recorded.
    text = canonical(statement).decode()
    earlier = outcomes.with_statement(session, report.agency_id, text)
    if earlier is not None:
        return Reported(earlier, [], False)
    request = requests.get(session, report.request_id)
    if (
        request is None
        or request.outcome != Outcome.RELEASED.value
        or request.recipient_id != report.agency_id
    ):
        raise _not_released(report)
    if signed:
        # One answer whether the request does not exist, was not released, went to another
        # agency, or never reached this one (withheld, or recalled before delivery): a partner
        # learns neither who received another's release nor that one of its own is withheld.
        partnerstatements.release_reached_partner(
            session,
            release_id=request.id,
            partner_id=report.agency_id,
            not_reached=lambda: _not_released(report),
        )
    else:
        _check_not_withdrawn(session, request.id, report)
    if report.occurred_at > tx.now:
        raise ValidationError("the outcome is dated in the future", field="occurred_at")
    if report.occurred_at < request.decided_at:
        raise ValidationError(
            f"the outcome is dated {iso(report.occurred_at)}, before release "
            f"{request.id} was decided ({iso(request.decided_at)})",
            field="occurred_at",
            hint="an outcome follows the release it reports on: check the date and its time "
            "zone (a time without one is read as UTC)",
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
        statement=text,
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
        return Reported(row, [], True)
    return Reported(row, _suspend(tx, row, verdict.reasons), True)


def _check_figures(report: OutcomeReport) -> None:
    """The kind is one of the vocabulary's, and every count and quantity a finite number not
    below zero: a negative seizure would cancel another in the reports."""
    if report.kind not in set(OutcomeKind):
        raise UnknownValue(
            f"unknown outcome kind '{report.kind}'",
            field="kind",
            hint=suggest(report.kind, list(OutcomeKind)),
        )
    for name, count in (("casualties", report.casualties), ("persons", report.persons)):
        if count < 0:
            raise ValidationError("casualties and persons cannot be negative", field=name)
        if count > MAX_COUNT:
            raise ValidationError(f"{name} must be at most {MAX_COUNT}", field=name)
    for name, amount in report.quantities.items():
        if not math.isfinite(amount) or amount < 0:
            raise ValidationError(
                f"quantity '{name}' is {amount}: a quantity is a finite number, 0 or more",
                field="quantities",
            )


def _check_not_withdrawn(session: Session, request_id: int, report: OutcomeReport) -> None:
    """The originator reports for the partner on any of its releases to it but one it recalled
    before delivery, which the partner never had. Not only on those the feed delivered: the
    originator may learn of what the partner did from elsewhere (the demo's DIPOL links HSI's
    lead to a strike through press reports), whether or not the feed recorded a delivery."""
    release = feed.release(session, request_id)
    if release is not None and release.status == feed.WITHDRAWN:
        raise InvalidState(
            f"release {request_id} was recalled before delivery: {report.agency_id} never "
            "received it, so it has no outcome to report",
            field="release",
        )


def _not_released(report: OutcomeReport) -> ReleaseNotFound:
    return ReleaseNotFound(
        f"request {report.request_id} was not released to {report.agency_id}, "
        "so it has no outcome to report",
        field="release",
    )


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
