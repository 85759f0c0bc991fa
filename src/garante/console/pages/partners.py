"""Partners: whether sharing with each is open, conditional, held or suspended, and why."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.console.status import PartnerStatus, as_order, partner_status
from garante.service.app import Garante

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def statuses(garante: Garante) -> list[PartnerStatus]:
    now = garante.clock.now()
    orders = [as_order(o) for o in garante.orders()]
    conditions = {c["id"]: bool(c["active"]) for c in garante.conditions()}
    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for undertaking in garante.undertakings():
        by_agency[undertaking["agency"]].append(undertaking)
    return [
        partner_status(
            agency,
            orders=orders,
            conditions=conditions,
            undertakings=by_agency[agency["id"]],
            at=now,
        )
        for agency in garante.agencies()
    ]


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
            now=garante.clock.now(),
        )
    rows = statuses(garante)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.level.key] += 1
    return page(
        request,
        "partners.html",
        viewer=who,
        rows=rows,
        counts=counts,
        conditions=garante.conditions(),
        now=garante.clock.now(),
    )
