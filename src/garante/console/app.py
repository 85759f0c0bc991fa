"""The web console's router: server-rendered pages over the service, and its static files.

``garante.api.app.create_app`` includes it after the API and TAXII mounts, so /api/v1 and
/taxii2 keep their own routes and error shapes. No route here appears in the OpenAPI document.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from fastapi import APIRouter
from starlette.responses import Response

from garante.console.pages import (
    agreements,
    audit,
    auth,
    charts,
    held,
    items,
    orders,
    partners,
    passkeys,
    recalls,
    releases,
    sources,
)
from garante.console.render import STATIC

_TYPES = {".js": "text/javascript", ".css": "text/css", ".md": "text/plain", "": "text/plain"}


def static_file(path: str) -> Response:
    """A committed file under ``static/``; anything else, or a path that climbs out, is 404."""
    parts = PurePosixPath(path).parts
    if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
        return Response("not found", status_code=404, media_type="text/plain")
    resource = STATIC.joinpath(*parts)
    if not resource.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    suffix = PurePosixPath(path).suffix
    media = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Response(
        resource.read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def create_console_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (
        auth,
        partners,
        agreements,
        items,
        orders,
        passkeys,
        held,
        sources,
        recalls,
        releases,
        audit,
        charts,
    ):
        router.include_router(module.router)
    router.add_api_route("/static/{path:path}", static_file, methods=["GET"])
    return router


console_router = create_console_router()
