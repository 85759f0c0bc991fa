"""One error shape for every HTTP error, mapped once, documented once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from garante.domain.errors import GaranteError

log = logging.getLogger("garante.api")


class ErrorBody(BaseModel):
    """Every error: a stable code to branch on, a message for people, and where to look."""

    code: str
    message: str
    field: str | None = None
    hint: str | None = None


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, unknown or revoked token (code auth.unauthenticated)",
    403: "The token's role may not do this (code auth.forbidden)",
    404: "No such object",
    409: "Conflicts with the stored state (duplicate id, lifting a lifted order...)",
    413: "Request body too large (code request.too_large)",
    422: "Invalid input: the field and what would be accepted",
    503: "The server is not configured for this (no log key: code ledger.no_log_key)",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


def _body(
    code: str, message: str, field: str | None = None, hint: str | None = None
) -> dict[str, Any]:
    return ErrorBody(code=code, message=message, field=field, hint=hint).model_dump(
        exclude_none=True
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(GaranteError)
    async def garante_error(_: Request, exc: GaranteError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body",)]
        field = ".".join(location) or None
        return JSONResponse(
            _body(
                "validation.invalid",
                f"{field + ': ' if field else ''}{first.get('msg', 'invalid value')}",
                field=field,
                hint="see the OpenAPI document at /api/v1/openapi.json for the expected shape",
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "request.too_large"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace to the caller; the operator finds it in the server's log.
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            _body(
                "internal.error",
                "the server failed to handle this request; nothing was changed",
                hint="the operator can find the cause in the server log",
            ),
            status_code=500,
        )
