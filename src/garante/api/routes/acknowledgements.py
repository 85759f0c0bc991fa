"""/acknowledgements and /recalls/unacknowledged: partners' signed acknowledgements of
deliveries and of recalls (the same the TAXII write collection takes), and the recalls that
await one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.schemas import AcknowledgementIn
from garante.domain.acknowledgement import Acknowledgement
from garante.domain.roles import Principal
from garante.service.app import Garante
from garante.signatures import decode_signature

router = APIRouter(tags=["outcomes and reports"])


@router.post(
    "/acknowledgements",
    status_code=201,
    response_model=records.Acknowledged,
    responses=responses(401, 403, 404, 409, 422),
)
def acknowledge(
    body: AcknowledgementIn,
    request: Request,
    who: Principal = Depends(may(Garante.acknowledge)),  # noqa: B008
) -> records.Acknowledged:
    """A partner acknowledges a delivery or a recall of its own release, signed by its
    registered key; the same acknowledgement again is accepted once (``new`` false)."""
    ack = Acknowledgement(
        id=body.id,
        kind=body.of,
        request_id=body.release,
        agency_id=body.agency,
        acknowledged_at=body.acknowledged_at,
    )
    signature = decode_signature(body.signature)
    return acting(request, who).acknowledge(ack, signature=signature)


@router.get(
    "/acknowledgements",
    response_model=list[records.Acknowledgement],
    responses=responses(401, 403, 422),
)
def list_acknowledgements(
    request: Request,
    agency: str | None = None,
    who: Principal = Depends(may(Garante.acknowledgements)),  # noqa: B008
) -> list[records.Acknowledgement]:
    """Acknowledgements received, in order; a partner sees only its own."""
    return acting(request, who).acknowledgements(agency)


@router.get(
    "/recalls/unacknowledged",
    response_model=list[records.UnacknowledgedRecall],
    responses=responses(401, 403, 422),
)
def unacknowledged_recalls(
    request: Request,
    agency: str | None = None,
    who: Principal = Depends(may(Garante.unacknowledged_recalls)),  # noqa: B008
) -> list[records.UnacknowledgedRecall]:
    """Recalled releases whose partner has not acknowledged the recall, oldest recall first;
    a partner sees only its own."""
    return acting(request, who).unacknowledged_recalls(agency)
