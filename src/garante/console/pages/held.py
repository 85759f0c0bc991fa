"""The held queue: what waits, for whom, why, and for how long."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.numbers import whole_number
from garante.service.app import Page

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


def _after(request: Request) -> int | None:
    value = request.query_params.get("after", "")
    return whole_number(value)


@router.get("/held")
def held(request: Request) -> Response:
    who = viewer(request)
    who.require_internal()
    garante = service(request)
    after = _after(request)
    rows = garante.held_queue(Page(after=after, limit=PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request,
        "held.html",
        viewer=who,
        rows=rows,
        after=after,
        next_after=rows[-1].id if more and rows else None,
        now=garante.clock.now(),
    )
