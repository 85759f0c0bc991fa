"""TAXII 2.1 error messages (section 3.6.1): the one renderer for everything under /taxii2."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from garante.canonical import Json
from garante.domain.errors import GaranteError
from garante.taxii.media import TAXII_JSON, dumps

log = logging.getLogger("garante.taxii")


class TaxiiError(Exception):
    """An error with the fields of a TAXII error message."""

    def __init__(
        self,
        status: int,
        title: str,
        description: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description
        self.code = code
        self.headers = headers or {}


def response(
    status: int,
    title: str,
    description: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Json] = {"title": title, "description": description, "http_status": str(status)}
    if code:
        body["error_code"] = code
    return Response(dumps(body), status_code=status, media_type=TAXII_JSON, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(TaxiiError)
    async def taxii_error(_: Request, exc: TaxiiError) -> Response:
        return response(exc.status, exc.title, exc.description, exc.code, exc.headers)

    @app.exception_handler(GaranteError)
    async def garante_error(_: Request, exc: GaranteError) -> Response:
        headers = (
            {"WWW-Authenticate": 'Basic realm="taxii", Bearer'} if exc.http_status == 401 else None
        )
        description = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return response(exc.http_status, exc.message, description, exc.code, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return response(
            400, "Invalid request", f"{where}: {first.get('msg', '')}", "request.invalid"
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None  # e.g. Allow, on a 405
        return response(
            exc.status_code, str(exc.detail), str(exc.detail), f"http.{exc.status_code}", headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected TAXII error", exc_info=exc)
        return response(500, "Internal error", "the server failed; nothing was delivered")
