"""Sources: each source's health (kind, where it is, active or paused, last success, last
error, lag, items taken), and a "pull now" button for the analysts of its agency. Overseers
read it; partners never see it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from garante.console.errors import shown
from garante.console.forms import Form, form
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import Viewer, check_csrf, service, viewer
from garante.domain.errors import GaranteError

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _page(
    request: Request,
    who: Viewer,
    *,
    asked: str | None = None,
    error: GaranteError | None = None,
) -> Response:
    garante = service(request)
    return page(
        request,
        "sources.html",
        viewer=who,
        rows=garante.sources(),
        asked=asked,
        error=shown(error, who.lang) if error is not None else None,
        now=garante.clock.now(),
        status_code=200 if error is None else error.http_status,
    )


@router.get("/sources")
def sources(request: Request) -> Response:
    who = viewer(request)
    who.require_sources()
    return _page(request, who)


@router.post("/sources/{source_id}/pull")
def pull_source(
    source_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    """Ask for a pull: the server's schedule does it next, off this request."""
    who = viewer(request)
    who.require_pulls()
    check_csrf(request, data.get("csrf"))
    try:
        service(request).request_pull(source_id)
    except GaranteError as exc:
        return _page(request, who, error=exc)
    return _page(request, who, asked=source_id)
