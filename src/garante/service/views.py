"""Plain-JSON views of stored objects, shared by the CLI's --json and, later, the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from garante import records
from garante.domain.condition import ConditionRule
from garante.domain.decision import Outcome, RuleHit
from garante.domain.outcome import OutcomeKind
from garante.domain.recalldeadline import format_within
from garante.domain.timeutil import iso
from garante.domain.vocabulary import Tlp
from garante.records import Decided
from garante.service.feed import Enforcement
from garante.service.releases import DecidedRequest
from garante.signatures import encode_public_key
from garante.store import agreements as store_agreements
from garante.store import requests as store_requests
from garante.store.schema import (
    AcknowledgementRow,
    AgencyCertificateRow,
    AgencyRow,
    AgreementRow,
    AuthorityPasskeyRow,
    AuthorityRow,
    ConditionRow,
    ConsentAskedRow,
    ConsentRequestRow,
    DecisionRow,
    EventRow,
    FeedReleaseRow,
    ItemRow,
    LogWitnessRow,
    OrderRow,
    OutcomeRow,
    RequestRow,
    SourceIngestRow,
    SourceRow,
    TokenRow,
    UndertakingRow,
)


def time(value: Any) -> str | None:
    return iso(value) if value is not None else None


def agency(row: AgencyRow) -> records.Agency:
    return records.Agency(
        id=row.id,
        name=row.name,
        country=row.country,
        domestic=row.domestic,
        requires_undertaking=row.requires_undertaking,
        public_key=_key(row.public_key),
        active=row.active,
    )


def authority(row: AuthorityRow) -> records.Authority:
    return records.Authority(
        id=row.id, name=row.name, public_key=_key(row.public_key), active=row.active
    )


def _key(public_key: bytes | None) -> str | None:
    return encode_public_key(public_key) if public_key else None


def item(row: ItemRow, terms: Mapping[str, Any] | None = None) -> records.Item:
    return records.Item(
        id=row.id,
        title=row.title,
        category=row.category,
        region=row.region,
        tlp=Tlp(row.tlp),
        originator=row.originator,
        releasable_to=tuple(row.releasable_to),
        content_sha256=row.content_sha256,
        added_at=iso(row.created_at),
        embargo_until=iso(row.embargo_until) if row.embargo_until else None,
        expires_at=iso(row.expires_at) if row.expires_at else None,
        review=tuple(row.review or ()),
        released_under=upstream_terms(terms),
    )


# -- terms from a Garante upstream (a partner node) ------------------------------------------


def upstream_terms(terms: Mapping[str, Any] | None) -> records.UpstreamTerms | None:
    """The terms an ingest from a Garante upstream recorded (``source_ingests.terms``)."""
    if not terms:
        return None
    return records.UpstreamTerms(
        log_origin=terms.get("log_origin"),
        log_index=int(terms["log_index"]),
        request=int(terms["request"]),
        released_to=str(terms["released_to"]),
        purpose=str(terms["purpose"]),
        undertaking=terms.get("undertaking"),
        statement=terms.get("statement"),
        tlp=str(terms["tlp"]),
    )


def undertaking(row: UndertakingRow) -> records.Undertaking:
    return records.Undertaking(
        id=row.id,
        agency=row.agency_id,
        permits=tuple(row.permits),
        prohibits=tuple(row.prohibits),
        protections=tuple(row.protections),
        categories=tuple(row.categories),
        valid_from=iso(row.valid_from),
        valid_until=time(row.valid_until),
        signed=row.signature is not None,
        key_recovered=row.key_recovered,
        revoked_at=time(row.revoked_at),
        revoke_reason=row.revoke_reason,
    )


def order(row: OrderRow) -> records.Order:
    return records.Order(
        id=row.id,
        sequence=row.sequence,
        authority=row.authority_id,
        effect=row.effect,
        scope=row.scope,
        requires=row.requires,
        exempts=tuple(row.exempts),
        valid_from=iso(row.valid_from),
        valid_until=time(row.valid_until),
        while_condition=row.while_condition,
        reason=row.reason,
        version=row.version,
        issued_at=iso(row.issued_at),
        amended_at=time(row.amended_at),
        lifted_at=time(row.lifted_at),
        lift_reason=row.lift_reason,
    )


def condition(row: ConditionRow) -> records.Condition:
    return records.Condition(
        id=row.id,
        description=row.description,
        rule=ConditionRule(**row.rule) if row.rule else None,
        active=row.active,
        evidence=row.evidence,
        changed_at=iso(row.changed_at),
    )


def event(row: EventRow) -> records.Event:
    return records.Event(
        id=row.id,
        kind=row.kind,
        region=row.region,
        occurred_at=iso(row.occurred_at),
        source=row.source,
        note=row.note,
        agency=row.agency_id,
        signed=row.signature is not None,
    )


def request(row: RequestRow, delivery: str | None = None) -> records.Request:
    """A request; ``delivery``: where its release stands in the partner's feed, if it got there
    (``store.feed.deliveries``), so a recall or a withholding is seen wherever it is shown."""
    return records.Request(
        id=row.id,
        item=row.item_id,
        recipient=row.recipient_id,
        purpose=row.purpose,
        requested_by=row.requested_by,
        requested_at=iso(row.requested_at),
        outcome=_outcome(row.outcome),
        undertaking=row.undertaking_id,
        decided_at=iso(row.decided_at),
        delivery=_delivery(delivery),
    )


def held(row: RequestRow, delivery: str | None, *, reason: str, now: datetime) -> records.Held:
    """A held request (as ``request`` shows it), why it is held and how long it has waited.

    Built from the row in one step, not by copying ``request``'s fields into a dict: the held
    queue shows a page of these each time a liaison officer's screen refreshes.
    """
    requested_at = row.requested_at
    return records.Held(
        id=row.id,
        item=row.item_id,
        recipient=row.recipient_id,
        purpose=row.purpose,
        requested_by=row.requested_by,
        requested_at=iso(requested_at),
        outcome=_outcome(row.outcome),
        undertaking=row.undertaking_id,
        decided_at=iso(row.decided_at),
        delivery=_delivery(delivery),
        reason=reason,
        held_for_seconds=int((now - requested_at).total_seconds()),
    )


def shown_requests(rows: Sequence[store_requests.Shown]) -> list[records.Request]:
    """Requests as ``request`` shows them, from a list's rows (``store.requests.shown_page``):
    the same records, without an ORM object per row between the driver and them."""
    when = _formatted()
    return [
        records.Request(
            id=id_,
            item=item_id,
            recipient=recipient,
            purpose=purpose,
            requested_by=requested_by,
            requested_at=when(requested_at),
            outcome=_outcome(outcome),
            undertaking=undertaking,
            decided_at=when(decided_at),
            delivery=_delivery(delivery),
        )
        for (
            id_,
            item_id,
            recipient,
            purpose,
            requested_by,
            requested_at,
            outcome,
            undertaking,
            decided_at,
            delivery,
        ) in rows
    ]


def shown_held(rows: Sequence[store_requests.HeldShown], *, now: datetime) -> list[records.Held]:
    """Held requests as ``held`` shows them, from the held queue's rows
    (``store.requests.held_shown_page``)."""
    when = _formatted()
    return [
        records.Held(
            id=id_,
            item=item_id,
            recipient=recipient,
            purpose=purpose,
            requested_by=requested_by,
            requested_at=when(requested_at),
            outcome=_outcome(outcome),
            undertaking=undertaking,
            decided_at=when(decided_at),
            delivery=_delivery(delivery),
            reason=reason,
            held_for_seconds=int((now - requested_at).total_seconds()),
        )
        for (
            id_,
            item_id,
            recipient,
            purpose,
            requested_by,
            requested_at,
            outcome,
            undertaking,
            decided_at,
            delivery,
            reason,
        ) in rows
    ]


def _formatted() -> Callable[[datetime], str]:
    """``iso``, each instant written once: a request's times are often one instant (decided
    as it was requested), and a page's requests often share theirs."""
    written: dict[datetime, str] = {}

    def when(at: datetime) -> str:
        text = written.get(at)
        if text is None:
            text = written[at] = iso(at)
        return text

    return when


_OUTCOMES: dict[str, Outcome] = {outcome.value: outcome for outcome in Outcome}


def _outcome(value: str) -> Outcome:
    """``Outcome(value)`` by a dict lookup, a few times quicker than the enum's call, for
    pages of requests; a value no outcome has still raises the enum's ``ValueError``."""
    return _OUTCOMES.get(value) or Outcome(value)


# -- an item's requests, each with the decision that stands (the console's item page) --


def standing(row: RequestRow, delivery: str | None, decided: DecisionRow) -> records.Standing:
    """A request (as ``request`` shows it) with ``decided``, the decision that stands for it."""
    shown = request(row, delivery)
    return records.Standing(
        **{f.name: getattr(shown, f.name) for f in dataclasses.fields(shown)},
        explanation=decided.explanation,
        rules=tuple(RuleHit(**hit) for hit in decided.rules),
        trigger=decided.trigger,
    )


def _delivery(value: str | None) -> records.Delivery | None:
    if value is not None and value not in records.DELIVERIES:
        raise ValueError(f"not a delivery status: {value!r}")
    return cast("records.Delivery | None", value)


def decision(row: DecisionRow) -> records.Decision:
    return records.Decision(
        id=row.id,
        request=row.request_id,
        outcome=Outcome(row.outcome),
        explanation=row.explanation,
        rules=tuple(RuleHit(**hit) for hit in row.rules),
        undertaking=row.undertaking_id,
        state_version=row.state_version,
        trigger=row.trigger,
        decided_at=iso(row.decided_at),
    )


def recall(row: FeedReleaseRow) -> records.Recall:
    """A release just recalled: its status is ``recalled`` or ``withdrawn``."""
    if row.status not in ("recalled", "withdrawn"):
        raise ValueError(f"release {row.request_id} is {row.status}, not recalled")
    return records.Recall(
        request=row.request_id,
        partner=row.partner_id,
        status=cast('Literal["recalled", "withdrawn"]', row.status),
        recalled_at=time(row.recalled_at),
        ack_by=time(row.recall_ack_by),
    )


def outcome(row: OutcomeRow) -> records.ReportedOutcome:
    return records.ReportedOutcome(
        id=row.id,
        release=row.request_id,
        agency=row.agency_id,
        kind=OutcomeKind(row.kind),
        occurred_at=iso(row.occurred_at),
        casualties=row.casualties,
        persons=row.persons,
        quantities=dict(row.quantities),
        place=row.place,
        note=row.note,
        undertaking=row.undertaking_id,
        breach=row.breach,
        breach_reasons=tuple(row.breach_reasons),
        order=row.order_id,
        signed=row.signature is not None,
        reported_by=row.reported_by,
        reported_at=iso(row.reported_at),
    )


def token(row: TokenRow) -> records.Token:
    return records.Token(
        id=row.id,
        role=row.role,
        agency=row.agency_id,
        authority=row.authority_id,
        label=row.label,
        created_at=iso(row.created_at),
        revoked_at=time(row.revoked_at),
    )


def witness(row: LogWitnessRow) -> records.Witness:
    return records.Witness(
        id=row.id,
        name=row.name,
        key=row.verifier_key,
        added_at=iso(row.added_at),
        removed_at=time(row.removed_at),
    )


def enforced(result: Enforcement) -> records.Enforced:
    req = result.request
    return records.Enforced(
        request=req.id,
        item=req.item_id,
        recipient=req.recipient_id,
        purpose=req.purpose,
        outcome=result.decision.outcome,
        undertaking=result.decision.undertaking_id,
        explanation=result.decision.explanation,
        rules=result.decision.rules,
        trigger=result.trigger,
        at=iso(result.at),
    )


def decided(result: DecidedRequest) -> Decided:
    req = result.request
    return Decided(
        request=req.id,
        item=req.item_id,
        recipient=req.recipient_id,
        purpose=req.purpose,
        outcome=result.decision.outcome,
        previous=result.previous,
        undertaking=result.decision.undertaking_id,
        explanation=result.decision.explanation,
        rules=result.decision.rules,
        trigger=result.trigger,
        decided_at=iso(result.decided_at),
        state_version=result.decision.state_version,
    )


# -- standing agreements ---------------------------------------------------------------------


def agreement(row: AgreementRow, *, now: datetime) -> records.Agreement:
    """An agreement as stored, with its status at ``now``."""
    terms = store_agreements.as_agreement(row)
    status = terms.status(now)
    return records.Agreement(
        id=row.id,
        partner=row.partner_id,
        purposes=tuple(row.purposes),
        categories=tuple(row.categories),
        regions=tuple(row.regions),
        tlp_ceiling=Tlp(row.tlp_ceiling),
        originators=tuple(row.originators),
        valid_from=iso(row.valid_from),
        valid_until=time(row.valid_until),
        version=row.version,
        countersigned=row.signature is not None,
        status=cast("records.AgreementStatus", status),
        made_by=row.made_by,
        made_at=iso(row.made_at),
        amended_at=time(row.amended_at),
        suspended_at=time(row.suspended_at),
        ended_at=time(row.ended_at),
        reason=row.reason,
        recall_ack_within=_ack_within(row),
        onward_to=tuple(sorted(terms.onward_to)),
        onward_purposes=tuple(sorted(terms.onward_purposes)),
    )


# -- sources ---------------------------------------------------------------------------------


def source(
    row: SourceRow,
    *,
    now: datetime,
    items: int,
    versions_seen: int,
    acks_waiting: int = 0,
    ack_error: str | None = None,
) -> records.Source:
    """A source as shown: never its username, secret or signing key."""
    return records.Source(
        id=row.id,
        kind=row.kind,
        url=row.url,
        collection=row.collection,
        auth=row.auth,
        originator=row.originator,
        interval=row.interval,
        grouping=row.grouping,
        category=row.category,
        region=row.region,
        tlp=row.tlp,
        mapping=dict(row.mapping),
        added_at=iso(row.added_at),
        paused=row.paused_at is not None,
        removed=row.removed_at is not None,
        position=row.position_added,
        last_attempt_at=iso(row.last_attempt_at) if row.last_attempt_at else None,
        last_success_at=iso(row.last_success_at) if row.last_success_at else None,
        last_error=row.last_error,
        last_error_at=iso(row.last_error_at) if row.last_error_at else None,
        lag_seconds=(now - row.last_success_at).total_seconds() if row.last_success_at else None,
        items=items,
        versions_seen=versions_seen,
        pull_requested_at=iso(row.pull_requested_at) if row.pull_requested_at else None,
        acknowledges=row.signing_key is not None,
        acks_waiting=acks_waiting,
        ack_error=ack_error,
        upstream_checkpoint=_upstream_checkpoint(row.upstream_checkpoint),
    )


def _upstream_checkpoint(state: dict[str, Any] | None) -> records.UpstreamCheckpoint | None:
    """What a pull kept of a Garante upstream's log (``upstream.garante.Verified``)."""
    if not state:
        return None
    error = state.get("post_error")
    return records.UpstreamCheckpoint(
        size=int(state["size"]),
        root_hash=str(state["root_hash"]),
        cosignature_accepted=bool(state.get("posted", False)),
        cosignature_error=str(error) if error is not None else None,
    )


# -- client certificates of partners ---------------------------------------------------------


def agency_certificate(row: AgencyCertificateRow) -> records.AgencyCertificate:
    return records.AgencyCertificate(
        fingerprint=row.fingerprint,
        agency=row.agency_id,
        label=row.label,
        created_at=iso(row.created_at),
        removed_at=iso(row.removed_at) if row.removed_at else None,
    )


# -- item versions ---------------------------------------------------------------------------


def item_version(row: SourceIngestRow) -> records.ItemVersion:
    return records.ItemVersion(
        item=row.item_id,
        source=row.source_id,
        upstream_id=row.upstream_id,
        upstream_version=row.upstream_version,
        version=1 if row.status == "item" else row.item_version,
        status=row.status,
        tlp=row.tlp,
        content_commitment=row.content_commitment,
        taken_at=iso(row.ingested_at),
    )


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


def passkey(row: AuthorityPasskeyRow) -> records.Passkey:
    return records.Passkey(
        credential_id=row.credential_id,
        authority=row.authority_id,
        rp_id=row.rp_id,
        origin=row.origin,
        sign_count=row.sign_count,
        created_at=iso(row.created_at),
    )


# -- partners writing back -------------------------------------------------------------------


def acknowledgement(row: AcknowledgementRow) -> records.Acknowledgement:
    return records.Acknowledgement(
        id=row.id,
        of=row.kind,
        release=row.request_id,
        agency=row.agency_id,
        acknowledged_at=iso(row.acknowledged_at),
        received_at=iso(row.received_at),
        signature=row.signature,
    )


def consent(row: ConsentRequestRow) -> records.ConsentRequest:
    return records.ConsentRequest(
        id=row.id,
        agency=row.agency_id,
        release=row.request_id,
        recipient=row.recipient,
        country=row.country,
        purpose=row.purpose,
        requested_at=iso(row.requested_at),
        received_at=iso(row.received_at),
        signature=row.signature,
        status=row.status,
        answered_by=row.answered_by,
        answered_at=iso(row.answered_at) if row.answered_at is not None else None,
        reason=row.reason,
        answer_index=row.answer_index,
    )


def consent_asked(
    row: ConsentAskedRow, *, moved: tuple[int, ...] = (), problem: str | None = None
) -> records.ConsentAsked:
    return records.ConsentAsked(
        id=row.id,
        source=row.source_id,
        item=row.item_id,
        upstream_request=row.upstream_request,
        recipient=row.recipient_id,
        purpose=row.purpose,
        status=row.status,
        asked_at=iso(row.asked_at),
        received_at=iso(row.received_at) if row.received_at is not None else None,
        answer_index=row.answer_index,
        moved=moved,
        problem=problem,
    )


def unacknowledged_recall(
    row: FeedReleaseRow, *, item: str = "", now: datetime | None = None
) -> records.UnacknowledgedRecall:
    assert row.recalled_at is not None  # only recalled releases are listed
    ack_by = row.recall_ack_by
    return records.UnacknowledgedRecall(
        release=row.request_id,
        agency=row.partner_id,
        recalled_at=iso(row.recalled_at),
        delivered=row.delivered_at is not None,
        item=item,
        ack_by=time(ack_by),
        overdue=ack_by is not None and now is not None and ack_by <= now,
    )


# -- recall acknowledgement deadlines (issue 21) -------------------------------------------


def _ack_within(row: AgreementRow) -> str | None:
    within = store_agreements.as_agreement(row).recall_ack_within
    return format_within(within) if within is not None else None
