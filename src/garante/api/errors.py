"""One error shape for every HTTP error, mapped once, documented once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from garante.api.schemas import UNION_TAGS
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
    502: "A source's upstream could not be read (code source.upstream_failed); recorded as its"
    " last error",
    503: "Not available now: no log key (ledger.no_log_key) or the database is unreachable"
    " (store.unavailable)",
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


HINT = "see the OpenAPI document at /api/v1/openapi.json for the expected shape"
TOO_LARGE_HINT = "split the bundle into several items"


def _not_json(message: str) -> JSONResponse:
    hint = "send a JSON object in UTF-8, with Content-Type: application/json"
    return JSONResponse(_body("validation.invalid", message, hint=hint), status_code=422)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed(request: Request) -> list[str]:
    """Every method some route takes on the request's path (Starlette names one route's)."""
    routes = request.app.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(GaranteError)
    async def garante_error(_: Request, exc: GaranteError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = (
            dict(exc.errors()[0]) if exc.errors() else {"loc": (), "msg": "invalid request"}
        )
        if first.get("type") == "json_invalid":
            # Its location is a character offset, not a member: the body as a whole is at fault.
            reason = (first.get("ctx") or {}).get("error") or "it cannot be parsed"
            return _not_json(f"the body is not JSON: {reason}")
        location = [
            str(part) for part in first.get("loc", ()) if part != "body" and part not in UNION_TAGS
        ]
        field = ".".join(location) or None
        return JSONResponse(
            _body(
                "validation.invalid",
                f"{field + ': ' if field else ''}{first.get('msg', 'invalid value')}",
                field=field,
                hint=HINT,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # The request parser could not read the body as JSON (FastAPI's "error parsing the
            # body"): a 422, like any other body that is not JSON.
            reason = {
                UnicodeDecodeError: "it is not valid UTF-8",
                RecursionError: "it is nested too deeply",
            }.get(type(exc.__cause__), "it cannot be parsed")
            return _not_json(f"the body is not JSON: {reason}")
        codes = {404: "not_found", 405: "method_not_allowed", 413: "request.too_large"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        hint = TOO_LARGE_HINT if exc.status_code == 413 else None
        return JSONResponse(
            _body(code, str(exc.detail), hint=hint), status_code=exc.status_code, headers=headers
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
