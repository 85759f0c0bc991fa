"""/conditions and /events: the states orders depend on, and what they are derived from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import (
    ConditionChange,
    ConditionIn,
    ConditionSetIn,
    ConditionSetTerms,
    EventChange,
    EventIn,
    EventTerms,
    PageOf,
    RefreshOut,
    StatementOut,
)
from garante.domain.condition import ConditionRule
from garante.domain.roles import Principal
from garante.service.app import Garante, Page
from garante.signatures import canonical, decode_signature

router = APIRouter(tags=["conditions and events"])


@router.get(
    "/conditions", response_model=PageOf[records.Condition], responses=responses(401, 403, 422)
)
def list_conditions(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.conditions)),  # noqa: B008
) -> Paged[records.Condition]:
    return paged(acting(request, who).conditions(current), current, "id")


@router.post(
    "/conditions",
    status_code=201,
    response_model=records.Condition,
    responses=responses(401, 403, 409, 422),
)
def define_condition(
    body: ConditionIn,
    request: Request,
    who: Principal = Depends(may(Garante.define_condition)),  # noqa: B008
) -> records.Condition:
    """Define a condition: derived from events (``rule``) or kept by hand (``active``)."""
    rule = ConditionRule(**body.rule.model_dump()) if body.rule else None
    return (
        acting(request, who)
        .define_condition(
            body.id,
            description=body.description,
            rule=rule,
            active=body.active,
            evidence=body.evidence,
        )
        .value
    )


@router.post(
    "/conditions/refresh",
    response_model=RefreshOut,
    responses=responses(401, 403),
)
def refresh_conditions(
    request: Request,
    who: Principal = Depends(may(Garante.refresh_conditions)),  # noqa: B008
) -> RefreshOut:
    """Re-evaluate derived conditions now; orders depending on them take effect or stop."""
    change = acting(request, who).refresh_conditions()
    return RefreshOut(conditions=list(change.value), moved=change.moved)


@router.post(
    "/conditions/{condition_id}/set",
    response_model=ConditionChange,
    responses=responses(401, 403, 404, 409, 422),
)
def set_condition(
    condition_id: str,
    body: ConditionSetIn,
    request: Request,
    who: Principal = Depends(may(Garante.set_condition)),  # noqa: B008
) -> ConditionChange:
    """Set a hand-kept condition, with the evidence for the change, signed by the token's
    authority when it has a key (the statement of ``.../set/draft``)."""
    change = acting(request, who).set_condition(
        condition_id,
        active=body.active,
        evidence=body.evidence,
        authority_id=str(who.authority_id),
        signature=decode_signature(body.signature) if body.signature else None,
    )
    return ConditionChange(condition=change.value, moved=change.moved)


@router.post(
    "/conditions/{condition_id}/set/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 409, 422),
)
def draft_condition_set(
    condition_id: str,
    body: ConditionSetTerms,
    request: Request,
    who: Principal = Depends(may(Garante.condition_statement)),  # noqa: B008
) -> StatementOut:
    """What the token's authority signs to set this condition so; stores nothing."""
    statement = acting(request, who).condition_statement(
        condition_id,
        active=body.active,
        evidence=body.evidence,
        authority_id=str(who.authority_id),
    )
    return StatementOut(statement=dict(statement), canonical=canonical(statement).decode())


@router.get("/events", response_model=PageOf[records.Event], responses=responses(401, 403, 422))
def list_events(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.events)),  # noqa: B008
) -> Paged[records.Event]:
    return paged(acting(request, who).events(current), current, "id")


@router.post(
    "/events",
    status_code=201,
    response_model=EventChange,
    responses=responses(401, 403, 404, 422),
)
def record_event(
    body: EventIn,
    request: Request,
    who: Principal = Depends(may(Garante.record_event)),  # noqa: B008
) -> EventChange:
    """Record an event on its reporting agency's word, signed by the agency when it has a key
    (the statement of ``/events/draft``); conditions derived from it are re-evaluated at once."""
    garante = acting(request, who)
    change = garante.record_event(
        kind=body.kind,
        region=body.region,
        occurred_at=body.occurred_at or garante.clock.now(),
        source=body.source,
        note=body.note,
        agency_id=body.agency,
        signature=decode_signature(body.signature) if body.signature else None,
    )
    return EventChange(event=change.value, moved=change.moved)


@router.post(
    "/events/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 422),
)
def draft_event(
    body: EventTerms,
    request: Request,
    who: Principal = Depends(may(Garante.event_statement)),  # noqa: B008
) -> StatementOut:
    """What the reporting agency signs for this event; stores nothing. Send its
    ``occurred_at`` back with the signature: the time is part of what is signed."""
    garante = acting(request, who)
    statement = garante.event_statement(
        kind=body.kind,
        region=body.region,
        occurred_at=body.occurred_at or garante.clock.now(),
        source=body.source,
        note=body.note,
        agency_id=body.agency,
    )
    return StatementOut(statement=dict(statement), canonical=canonical(statement).decode())
