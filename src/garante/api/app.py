"""The ASGI application: routers under /api/v1, the error handlers, a body size limit."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import JSONResponse, Response

from garante import __version__
from garante.api import errors
from garante.api.auth import principal
from garante.api.routes import (
    audit,
    conditions,
    items,
    orders,
    outcomes,
    parties,
    releases,
    undertakings,
)
from garante.api.schemas import MeOut
from garante.console import console_router
from garante.domain.roles import Principal
from garante.service.app import Garante
from garante.taxii.app import create_taxii_app

PREFIX = "/api/v1"
MAX_BODY = 2 * 1024 * 1024  # STIX bundles are the largest bodies; 2 MiB is generous


class BodyLimit(BaseHTTPMiddleware):
    """Refuse oversized bodies before reading them (Content-Length), and while reading."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse(
                {
                    "code": "request.too_large",
                    "message": f"the request body exceeds {MAX_BODY} bytes",
                    "hint": "split the bundle into several items",
                },
                status_code=413,
            )
        return await call_next(request)


def create_app(garante: Garante) -> FastAPI:
    app = FastAPI(
        title="Garante",
        version=__version__,
        summary="Conditional intelligence sharing with a verifiable audit log.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.garante = garante
    app.add_middleware(BodyLimit)
    errors.install(app)
    for module in (parties, items, undertakings, outcomes, orders, conditions, releases, audit):
        app.include_router(module.router, prefix=PREFIX)

    @app.get(f"{PREFIX}/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness and the log's size; no token needed."""
        return {"status": "ok", "version": __version__, "ledger_size": garante.ledger_size()}

    @app.get(f"{PREFIX}/me", tags=["meta"], response_model=MeOut, responses=errors.responses(401))
    def me(who: Principal = Depends(principal)) -> dict[str, Any]:  # noqa: B008
        """Who the token stands for."""
        return {
            "token": who.token_id,
            "role": who.role.value,
            "agency": who.agency_id,
            "authority": who.authority_id,
        }

    app.mount("/taxii2", create_taxii_app(garante))
    app.include_router(console_router)
    return app
