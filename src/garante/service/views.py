"""Plain-JSON views of stored objects, shared by the CLI's --json and, later, the API."""

from __future__ import annotations

from typing import Any

from garante import records
from garante.domain.outcome import OutcomeKind
from garante.domain.timeutil import iso
from garante.domain.vocabulary import Tlp
from garante.records import Decided
from garante.service.releases import DecidedRequest
from garante.signatures import encode_public_key
from garante.store.schema import (
    AgencyRow,
    AuthorityRow,
    ConditionRow,
    DecisionRow,
    EventRow,
    ItemRow,
    OrderRow,
    OutcomeRow,
    RequestRow,
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


def item(row: ItemRow) -> records.Item:
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


def order(row: OrderRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "sequence": row.sequence,
        "authority": row.authority_id,
        "effect": row.effect,
        "scope": row.scope,
        "requires": row.requires,
        "exempts": row.exempts,
        "valid_from": time(row.valid_from),
        "valid_until": time(row.valid_until),
        "while_condition": row.while_condition,
        "reason": row.reason,
        "version": row.version,
        "issued_at": time(row.issued_at),
        "amended_at": time(row.amended_at),
        "lifted_at": time(row.lifted_at),
        "lift_reason": row.lift_reason,
    }


def condition(row: ConditionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.description,
        "rule": row.rule,
        "active": row.active,
        "evidence": row.evidence,
        "changed_at": time(row.changed_at),
    }


def event(row: EventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "region": row.region,
        "occurred_at": time(row.occurred_at),
        "source": row.source,
        "note": row.note,
        "agency": row.agency_id,
        "signed": row.signature is not None,
    }


def request(row: RequestRow, delivery: str | None = None) -> dict[str, Any]:
    """A request; ``delivery``: where its release stands in the partner's feed, if it got there
    (``store.feed.deliveries``), so a recall or a withholding is seen wherever it is shown."""
    return {
        "id": row.id,
        "item": row.item_id,
        "recipient": row.recipient_id,
        "purpose": row.purpose,
        "requested_by": row.requested_by,
        "requested_at": time(row.requested_at),
        "outcome": row.outcome,
        "undertaking": row.undertaking_id,
        "decided_at": time(row.decided_at),
        "delivery": delivery,
    }


def decision(row: DecisionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "request": row.request_id,
        "outcome": row.outcome,
        "explanation": row.explanation,
        "rules": row.rules,
        "undertaking": row.undertaking_id,
        "state_version": row.state_version,
        "trigger": row.trigger,
        "decided_at": time(row.decided_at),
    }


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
