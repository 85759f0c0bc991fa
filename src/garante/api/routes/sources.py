"""/sources: where items come from (TAXII 2.1 collections, MISP feeds, folders of bundles),
managed and pulled by an analyst of the originating agency. A source's secret is taken when
it is added and never answered back."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import PageOf, PullOut, ReasonIn, SourceIn
from garante.domain.roles import Principal
from garante.service.app import Garante, Page

router = APIRouter(tags=["sources"])


@router.get("/sources", response_model=PageOf[records.Source], responses=responses(401, 403, 422))
def list_sources(
    request: Request,
    removed: bool = False,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.sources)),  # noqa: B008
) -> Paged[records.Source]:
    """Sources with their health: position, last success and error, lag, items given."""
    return paged(acting(request, who).sources(current, removed=removed), current, "id")


@router.post(
    "/sources",
    status_code=201,
    response_model=records.Source,
    responses=responses(401, 403, 404, 409, 422),
)
def add_source(
    body: SourceIn,
    request: Request,
    who: Principal = Depends(may(Garante.add_source)),  # noqa: B008
) -> records.Source:
    """Add a source; an analyst's are its own agency's. The answer never holds the secret, nor
    a Garante upstream's signing key: only whether the source ``acknowledges`` with one."""
    return acting(request, who).add_source(
        body.id,
        kind=body.kind,
        url=body.url,
        collection=body.collection,
        category=body.category,
        region=body.region,
        tlp=body.tlp,
        auth=body.auth,
        username=body.username,
        secret=body.secret,
        originator=body.originator,
        interval=body.interval,
        grouping=body.grouping,
        mapping=body.mapping,
        log_key=body.log_key,
        signing_key=body.signing_key,
    )


@router.get(
    "/sources/{source_id}", response_model=records.Source, responses=responses(401, 403, 404)
)
def get_source(
    source_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.source)),  # noqa: B008
) -> records.Source:
    return acting(request, who).source(source_id)


@router.post(
    "/sources/{source_id}/pause",
    response_model=records.Source,
    responses=responses(401, 403, 404, 409, 422),
)
def pause_source(
    source_id: str,
    body: ReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.pause_source)),  # noqa: B008
) -> records.Source:
    """Pause a source: it is not pulled until resumed."""
    return acting(request, who).pause_source(source_id, reason=body.reason)


@router.post(
    "/sources/{source_id}/resume",
    response_model=records.Source,
    responses=responses(401, 403, 404, 409, 422),
)
def resume_source(
    source_id: str,
    body: ReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.resume_source)),  # noqa: B008
) -> records.Source:
    """Resume a paused source, from where it stopped."""
    return acting(request, who).resume_source(source_id, reason=body.reason)


@router.post(
    "/sources/{source_id}/remove",
    response_model=records.Source,
    responses=responses(401, 403, 404, 409, 422),
)
def remove_source(
    source_id: str,
    body: ReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.remove_source)),  # noqa: B008
) -> records.Source:
    """Remove a source for good: never pulled again, its secret forgotten; its items stay."""
    return acting(request, who).remove_source(source_id, reason=body.reason)


@router.post(
    "/sources/{source_id}/pull",
    status_code=202,
    response_model=records.Source,
    responses=responses(401, 403, 404, 409, 422),
)
def pull_source(
    source_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.request_pull)),  # noqa: B008
) -> records.Source:
    """Ask for a pull of the source: the server pulls it next, off the request (202). The
    source answered has ``pull_requested_at`` set until the pull is done; then its
    ``last_success_at`` or ``last_error`` say how it went."""
    return acting(request, who).request_pull(source_id)


@router.post(
    "/sources/{source_id}/misp-events",
    response_model=PullOut,
    responses=responses(401, 403, 404, 409, 413, 422),
)
def ingest_misp_events(
    source_id: str,
    request: Request,
    body: Any = Body(  # noqa: B008
        ...,
        description="MISP JSON: one event, a list of events, or an export's "
        '{"response": [...]}; at most 2 MiB',
    ),
    who: Principal = Depends(may(Garante.ingest_misp)),  # noqa: B008
) -> PullOut:
    """Take MISP events through a MISP feed source, as its pulls take them: one item per
    event. Every event is converted before any is taken: a malformed one refuses the lot
    (422, naming the event and why), and nothing is stored."""
    change = acting(request, who).ingest_misp(source_id, json.dumps(body))
    return PullOut(pulled=change.value, started=list(change.started))
