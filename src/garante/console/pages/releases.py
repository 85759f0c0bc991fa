"""Releases and outcomes per partner; a partner sees only what was released to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.decision import Outcome
from garante.domain.errors import RequestNotFound
from garante.domain.numbers import whole_number
from garante.service.app import Page

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_OUTCOMES = 500


@router.get("/releases")
def releases(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    params = request.query_params
    after_text = params.get("after", "")
    after = whole_number(after_text)
    outcomes = [o.value for o in Outcome]
    # The filters are a reader's choice; what a partner may see is narrowed by the service.
    partner = params.get("partner") or None
    outcome = params.get("outcome") if params.get("outcome") in outcomes else None
    rows = garante.requests(
        outcome=outcome, recipient=partner, page=Page(after=after, limit=PAGE_SIZE + 1)
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = garante.clock.now()
    summary = (
        garante.partner_report(start=_EPOCH, end=now + timedelta(seconds=1)).partners
        if who.internal
        else []
    )
    return page(
        request,
        "releases.html",
        viewer=who,
        rows=rows,
        outcomes_list=outcomes,
        partner=partner,
        outcome=outcome,
        agencies=garante.agencies() if who.internal else [],
        summary=summary,
        reported=garante.outcomes(partner, page=Page(limit=MAX_OUTCOMES)),
        after=after,
        next_after=rows[-1].id if more and rows else None,
    )


# -- a request and every decision taken on it (linked from an item's page) ----------------


@router.get("/releases/{request_id}")
def release_decisions(request_id: str, request: Request) -> Response:
    """A request, and every decision taken on it, oldest first: its rules, trigger and the
    state version it read. Internal only, as the decisions are; an id that is not a number
    is a request that does not exist."""
    who = viewer(request)
    who.require_internal()
    garante = service(request)
    number = whole_number(request_id)
    if number is None:
        raise RequestNotFound(f"no release request {request_id}", field="request")
    shown = garante.request(number)
    return page(
        request,
        "release_decisions.html",
        viewer=who,
        release=shown,
        decisions=garante.decisions(number),
    )
