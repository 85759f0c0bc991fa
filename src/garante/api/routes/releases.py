"""/releases and /held: release requests, their decisions, and the held queue."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from garante import records
from garante.api.auth import acting, may, may_rechecked
from garante.api.direct import Answer, Pages
from garante.api.errors import responses
from garante.api.paging import keyset, paged
from garante.api.schemas import (
    INT_MAX,
    INT_MIN,
    PageOf,
    RecallIn,
    ReleaseBatchIn,
    ReleaseBatchOut,
    ReleaseIn,
)
from garante.domain.request import ReleaseTriple
from garante.domain.roles import Principal
from garante.records import Decided
from garante.service.app import Garante, Page

router = APIRouter(tags=["releases"])
_decided = Answer(Decided)
_requests = Pages(records.Request)
_held = Pages(records.Held)
RequestId = Annotated[int, Path(ge=INT_MIN, le=INT_MAX)]


@router.post(
    "/releases",
    status_code=201,
    response_model=Decided,
    responses=responses(401, 403, 404, 422),
)
async def request_release(
    body: ReleaseIn,
    request: Request,
    who: Principal = Depends(may_rechecked(Garante.request_release_soon)),  # noqa: B008
) -> Response:
    """Request the release of an item to an agency for a purpose; returns the decision."""
    # Queued for the group commit without holding a thread of the pool while it waits.
    decided = await asyncio.wrap_future(
        acting(request, who).request_release_soon(
            body.item, recipient=body.recipient, purpose=body.purpose
        )
    )
    return _decided(decided, status_code=201)


@router.post(
    "/releases/batch",
    status_code=201,
    response_model=ReleaseBatchOut,
    responses=responses(401, 403, 404, 413, 422),
)
def request_releases(
    body: ReleaseBatchIn,
    request: Request,
    who: Principal = Depends(may(Garante.request_releases)),  # noqa: B008
) -> ReleaseBatchOut:
    """Request many releases at once (up to 10,000); returns each one's decision, in order.

    All are stored, in one transaction, or none: a triple naming an unknown item, agency or
    purpose refuses the batch with that error, its ``field`` naming the triple
    (``releases[3].recipient``).
    """
    triples = [
        ReleaseTriple(item_id=r.item, recipient_id=r.recipient, purpose=r.purpose)
        for r in body.releases
    ]
    return ReleaseBatchOut(decisions=acting(request, who).request_releases(triples))


@router.get("/releases", response_model=PageOf[records.Request], responses=responses(401, 403, 422))
def list_releases(
    request: Request,
    outcome: str | None = Query(None, description="released, held or denied"),
    recipient: str | None = None,
    item: str | None = Query(None, description="only the requests for this item"),
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.requests)),  # noqa: B008
) -> Response:
    """Release requests and the decision that stands for each.

    A partner sees only what was released to it: never another partner's, never its own
    held or denied requests.
    """
    rows = acting(request, who).requests(
        outcome=outcome, recipient=recipient, item=item, page=current
    )
    return _requests(paged(rows, current, "id"))  # written once, here (``Pages``)


@router.get(
    "/releases/{request_id}", response_model=records.Request, responses=responses(401, 403, 404)
)
def get_release(
    request_id: RequestId,
    request: Request,
    who: Principal = Depends(may(Garante.request)),  # noqa: B008
) -> records.Request:
    """A release request; a partner sees its own while it stands released and deliverable."""
    return acting(request, who).request(request_id)


@router.get(
    "/releases/{request_id}/decisions",
    response_model=list[records.Decision],
    responses=responses(401, 403, 404),
)
def release_decisions(
    request_id: RequestId,
    request: Request,
    who: Principal = Depends(may(Garante.decisions)),  # noqa: B008
) -> list[records.Decision]:
    """Every decision taken on a request, with its rules, trigger and state version."""
    return acting(request, who).decisions(request_id)


@router.get("/held", response_model=PageOf[records.Held], responses=responses(401, 403, 422))
def held_queue(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.held_queue)),  # noqa: B008
) -> Response:
    """The held queue: what waits, for whom, why, and for how long."""
    return _held(paged(acting(request, who).held_queue(current), current, "id"))


@router.post(
    "/releases/{request_id}/recall",
    response_model=records.Recall,
    responses=responses(401, 403, 404, 409, 422),
)
def recall_release(
    request_id: RequestId,
    body: RecallIn,
    request: Request,
    who: Principal = Depends(may(Garante.recall)),  # noqa: B008
) -> records.Recall:
    """Recall a release: a delivered one reaches the partner's feed as revoked versions,
    and the partner must acknowledge it by ``ack_by`` if the recall has a deadline."""
    return acting(request, who).recall(request_id, reason=body.reason, ack_within=body.ack_within)
