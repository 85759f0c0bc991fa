"""Recalls awaiting acknowledgement (issue 21): partner, item, when recalled, how long ago, the
deadline, and whether it has passed (the partner is then held by the system). Internal roles
see every partner's; a partner sees its own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.timeutil import parse_time

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/recalls")
def recalls(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    now = garante.clock.now()
    rows = garante.unacknowledged_recalls()  # a partner's own only: the service narrows
    ages = {r.release: (now - parse_time(r.recalled_at)).total_seconds() for r in rows}
    return page(
        request,
        "recalls.html",
        viewer=who,
        rows=rows,
        ages=ages,
        overdue=sum(1 for r in rows if r.overdue),
        now=now,
    )
