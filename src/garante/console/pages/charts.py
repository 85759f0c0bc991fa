"""Charts of releases, holds and denials over time per partner (tables without script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante.console import charts
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.numbers import whole_number

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
DEFAULT_DAYS = 14


@router.get("/charts")
def chart_page(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    text = request.query_params.get("days", "")
    asked = whole_number(text)
    days = min(asked, charts.MAX_DAYS) if asked else DEFAULT_DAYS
    window = charts.window(garante.clock.now(), days)
    if who.internal:
        series = charts.active(charts.by_partner(garante, window))
    else:
        agency = str(who.principal.agency_id)
        series = {agency: charts.own_releases(garante, agency, window)}
    return page(
        request,
        "charts.html",
        viewer=who,
        days=days,
        window=window,
        series=series,
        data=charts.chart_data(window, series),
        choices=(7, 14, 30, 90),
    )
