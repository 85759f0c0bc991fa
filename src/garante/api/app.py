"""The ASGI application: routers under /api/v1, the error handlers, a body size limit."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import fastapi_offline
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from garante import __version__
from garante.api import errors
from garante.api.auth import TokenCache, principal
from garante.api.clientcert import TrustedProxies
from garante.api.dispatch import dispatch_by_prefix
from garante.api.routes import (
    acknowledgements,
    agreements,
    audit,
    certificates,
    conditions,
    consents,
    items,
    orders,
    outcomes,
    parties,
    receipts,
    releases,
    sources,
    tiles,
    undertakings,
)
from garante.api.schemas import HealthOut, MeOut
from garante.console import console_router
from garante.console.oidc import OidcSettings, Provider
from garante.domain.numbers import whole_number
from garante.domain.roles import Principal
from garante.service.app import Garante
from garante.taxii import errors as taxii_errors
from garante.taxii.app import create_taxii_app

# Swagger UI 5 (OpenAPI 3.1), as the fastapi-offline package ships it.
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"

PREFIX = "/api/v1"
MAX_BODY = 2 * 1024 * 1024  # STIX bundles are the largest bodies; 2 MiB is generous


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a body passes MAX_BODY; mapped to 413 like any HTTP error."""

    def __init__(self) -> None:
        super().__init__(413, f"the request body exceeds {MAX_BODY} bytes")


class BodyLimit:
    """Refuse a body over MAX_BODY: on its Content-Length before reading it, and otherwise
    (a chunked body) by counting its bytes as they arrive, stopping at the first one too many.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        taxii = str(scope.get("path", "")).startswith("/taxii2")
        if _holds_nul(scope):
            await (_taxii_nul() if taxii else _nul_in_request())(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        declared = None if length is None else whole_number(length)
        if length is not None and (declared is None or declared > MAX_BODY):
            await _too_large()(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            # Raised where no handler maps it (a body read outside a route's parameters).
            if started:
                raise
            await _too_large()(scope, receive, send)


def _holds_nul(scope: Scope) -> bool:
    """Whether the path or query holds a NUL, which PostgreSQL refuses in any text it keeps
    or compares (an id, a filter) with an error of its own: refused here, for every store."""
    path: str = scope.get("path", "")
    query = unquote(bytes(scope.get("query_string", b"")).decode("latin-1"))
    return "\x00" in path or "\x00" in query


def _taxii_nul() -> Response:
    """The same refusal in TAXII's own error shape and media type, for a TAXII client."""
    return taxii_errors.response(
        422,
        "NUL in the request",
        "the request's path or query holds a NUL character (%00); leave it out",
        code="validation.invalid",
    )


def _nul_in_request() -> JSONResponse:
    return JSONResponse(
        {
            "code": "validation.invalid",
            "message": "the request's path or query holds a NUL character (%00)",
            "hint": "ids and filters are text: leave out the NUL",
        },
        status_code=422,
    )


def _too_large() -> JSONResponse:
    return JSONResponse(
        {
            "code": "request.too_large",
            "message": f"the request body exceeds {MAX_BODY} bytes",
            "hint": errors.TOO_LARGE_HINT,
        },
        status_code=413,
    )


def create_app(
    garante: Garante,
    *,
    trusted_proxies: TrustedProxies | None = None,
    oidc: OidcSettings | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Garante",
        version=__version__,
        summary="Conditional intelligence sharing with a verifiable audit log.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # served below, from files shipped with Garante rather than a CDN
        redoc_url=None,
    )
    app.state.garante = garante
    app.state.trusted_proxies = trusted_proxies or TrustedProxies()
    app.state.token_cache = TokenCache()
    # The console's sign-in through an OpenID provider, if the operator named one.
    app.state.oidc = Provider(oidc) if oidc is not None else None
    app.add_middleware(BodyLimit)
    errors.install(app)
    for module in (
        parties,
        items,
        undertakings,
        agreements,
        outcomes,
        orders,
        conditions,
        releases,
        audit,
        sources,
    ):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(certificates.router, prefix=PREFIX)  # partners' client certificates
    app.include_router(receipts.router, prefix=PREFIX)  # partners' proofs of delivery
    app.include_router(acknowledgements.router, prefix=PREFIX)  # partners writing back
    app.include_router(consents.router, prefix=PREFIX)  # consent to share onward

    @app.get(f"{PREFIX}/health", tags=["meta"], response_model=HealthOut)
    def health() -> HealthOut:
        """Liveness and the log's size; no token needed."""
        return HealthOut(status="ok", version=__version__, ledger_size=garante.ledger_size())

    @app.get(f"{PREFIX}/me", tags=["meta"], response_model=MeOut, responses=errors.responses(401))
    def me(who: Principal = Depends(principal)) -> MeOut:  # noqa: B008
        """Who the token stands for."""
        return MeOut(
            token=who.token_id,
            role=who.role.value,
            agency=who.agency_id,
            authority=who.authority_id,
        )

    app.mount(f"{PREFIX}/docs/static", StaticFiles(directory=SWAGGER_UI), name="api-docs-static")

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI, from the copy ``fastapi-offline`` ships: it works with no internet."""
        return get_swagger_ui_html(
            openapi_url=f"{PREFIX}/openapi.json",
            title="Garante API",
            swagger_js_url=f"{PREFIX}/docs/static/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/docs/static/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/docs/static/favicon.png",
        )

    app.include_router(tiles.router)  # /log: C2SP tlog-tiles beside the checkpoint
    app.mount("/taxii2", create_taxii_app(garante, trusted_proxies=app.state.trusted_proxies))
    app.include_router(console_router)
    dispatch_by_prefix(app.router, PREFIX)  # once every route is in: see api/dispatch.py
    return app
