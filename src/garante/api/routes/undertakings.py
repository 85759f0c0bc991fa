"""/undertakings: partners' signed use undertakings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import (
    PageOf,
    RevokeIn,
    StatementOut,
    UndertakingChange,
    UndertakingIn,
    UndertakingTerms,
)
from garante.domain.roles import Principal
from garante.domain.undertaking import Undertaking
from garante.service.app import Garante, Page
from garante.signatures import canonical, decode_signature

router = APIRouter(tags=["undertakings"])


def _terms(garante: Garante, body: UndertakingTerms) -> Undertaking:
    return garante.draft_undertaking(
        body.agency,
        undertaking_id=body.id,
        permits=body.permits,
        prohibits=body.prohibits,
        protections=body.protections,
        categories=body.categories,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )


@router.get(
    "/undertakings",
    response_model=PageOf[records.Undertaking],
    responses=responses(401, 403, 422),
)
def list_undertakings(
    request: Request,
    agency: str | None = None,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.undertakings)),  # noqa: B008
) -> Paged[records.Undertaking]:
    """Undertakings; a partner sees only its own."""
    return paged(acting(request, who).undertakings(agency, current), current, "id")


@router.post(
    "/undertakings/draft", response_model=StatementOut, responses=responses(401, 403, 404, 422)
)
def draft_undertaking(
    body: UndertakingTerms,
    request: Request,
    who: Principal = Depends(may(Garante.draft_undertaking)),  # noqa: B008
) -> StatementOut:
    """The statement to sign for these terms (with its id and valid_from fixed); stores nothing."""
    statement = _terms(acting(request, who), body).statement()
    return StatementOut(statement=statement, canonical=canonical(statement).decode())


@router.post(
    "/undertakings",
    status_code=201,
    response_model=UndertakingChange,
    responses=responses(401, 403, 404, 409, 422),
)
def record_undertaking(
    body: UndertakingIn,
    request: Request,
    who: Principal = Depends(may(Garante.record_undertaking)),  # noqa: B008
) -> UndertakingChange:
    """Record an undertaking, signed by the agency's key when it has one registered.

    Held requests of that agency are decided again in the same transaction.
    """
    garante = acting(request, who)
    terms = _terms(garante, body)
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.record_undertaking(terms, signature=signature)
    return UndertakingChange(undertaking=change.value, moved=change.moved)


@router.post(
    "/undertakings/{undertaking_id}/revoke",
    response_model=UndertakingChange,
    responses=responses(401, 403, 404, 409, 422),
)
def revoke_undertaking(
    undertaking_id: str,
    body: RevokeIn,
    request: Request,
    who: Principal = Depends(may(Garante.revoke_undertaking)),  # noqa: B008
) -> UndertakingChange:
    change = acting(request, who).revoke_undertaking(undertaking_id, reason=body.reason)
    return UndertakingChange(undertaking=change.value, moved=change.moved)
