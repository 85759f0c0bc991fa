"""Partners: whether sharing with each is open, conditional, held or suspended, and why."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/partners")
def partners(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    if not who.internal:
        # A partner sees its own record and undertakings, as the API shows it, and no orders.
        agency_id = str(who.principal.agency_id)
        return page(
            request,
            "partner_self.html",
            viewer=who,
            agency=garante.agency(agency_id),
            undertakings=garante.undertakings(agency_id),
            agreements=garante.agreements(),  # its own: the service narrows
            now=garante.clock.now(),
        )
    rows = garante.standings()
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.level.key] += 1
    # Undertakings signed with a key a recovery installed, marked where they are listed.
    recovered = {u.id for u in garante.undertakings() if u.key_recovered}
    return page(
        request,
        "partners.html",
        viewer=who,
        rows=rows,
        counts=counts,
        recovered=recovered,
        conditions=garante.conditions(),
        now=garante.clock.now(),
    )
