"""/consents: partners' signed requests to share onward what a release gave them, and the
liaison's answers (issue 21)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.schemas import ConsentAnswerIn, ConsentRequestIn
from garante.domain.consent import ConsentRequest
from garante.domain.roles import Principal
from garante.service.app import Garante
from garante.signatures import decode_signature

router = APIRouter(tags=["outcomes and reports"])


@router.post(
    "/consents",
    status_code=201,
    response_model=records.ConsentRequested,
    responses=responses(401, 403, 404, 409, 422),
)
def request_consent(
    body: ConsentRequestIn,
    request: Request,
    who: Principal = Depends(may(Garante.request_consent)),  # noqa: B008
) -> records.ConsentRequested:
    """A partner asks consent to share onward what one of its releases gave it, signed by its
    registered key; the same request again is accepted once (``new`` false)."""
    consent = ConsentRequest(
        id=body.id,
        agency_id=body.agency,
        release=body.release,
        recipient=body.recipient,
        country=body.country,
        purpose=body.purpose,
        requested_at=body.requested_at,
    )
    return acting(request, who).request_consent(consent, signature=decode_signature(body.signature))


@router.get(
    "/consents",
    response_model=list[records.ConsentRequest],
    responses=responses(401, 403, 422),
)
def list_consents(
    request: Request,
    agency: str | None = None,
    status: str | None = None,
    who: Principal = Depends(may(Garante.consents)),  # noqa: B008
) -> list[records.ConsentRequest]:
    """Consent requests received, oldest first; a partner sees only its own."""
    return acting(request, who).consents(agency, status)


@router.get(
    "/consents/{consent_id}",
    response_model=records.ConsentRequest,
    responses=responses(401, 403, 404, 422),
)
def get_consent(
    consent_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.consent)),  # noqa: B008
) -> records.ConsentRequest:
    """One consent request and its answer; a partner sees only its own."""
    return acting(request, who).consent(consent_id)


@router.post(
    "/consents/{consent_id}/grant",
    response_model=records.ConsentRequest,
    responses=responses(401, 403, 404, 409, 422),
)
def grant_consent(
    consent_id: str,
    body: ConsentAnswerIn,
    request: Request,
    who: Principal = Depends(may(Garante.grant_consent)),  # noqa: B008
) -> records.ConsentRequest:
    """A liaison grants a pending consent request, saying why."""
    return acting(request, who).grant_consent(consent_id, reason=body.reason)


@router.post(
    "/consents/{consent_id}/refuse",
    response_model=records.ConsentRequest,
    responses=responses(401, 403, 404, 409, 422),
)
def refuse_consent(
    consent_id: str,
    body: ConsentAnswerIn,
    request: Request,
    who: Principal = Depends(may(Garante.refuse_consent)),  # noqa: B008
) -> records.ConsentRequest:
    """A liaison refuses a pending consent request, saying why."""
    return acting(request, who).refuse_consent(consent_id, reason=body.reason)
