"""The console's route class: one place that turns errors into pages, not JSON.

The API maps ``GaranteError`` to its JSON error shape; a person at the console gets a page
instead, in their language, with the same code and the message and hint in the console's words
(``console/errors.py``). A missing session goes to
the sign-in form; a role that may not see a page gets 403, as the API would answer.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from garante.console.errors import shown
from garante.console.render import page
from garante.console.session import (
    BadCsrf,
    NotAllowed,
    SignInRequired,
    Viewer,
    language,
    viewer,
)
from garante.domain.errors import GaranteError


def _signed_in(request: Request) -> Viewer | None:
    try:
        return viewer(request)
    except SignInRequired:
        return None


def error_page(request: Request, status: int, title: str, error: GaranteError | None) -> Response:
    lang = language(request)
    return page(
        request,
        "error.html",
        viewer=_signed_in(request),
        lang=lang,
        status_code=status,
        title_key=title,
        error=shown(error, lang) if error is not None else None,
    )


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.method != "GET":
                    target = "/"
                return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
            except NotAllowed:
                return error_page(request, 403, "error.forbidden", None)
            except BadCsrf:
                return error_page(request, 403, "error.csrf", None)
            except GaranteError as exc:
                return error_page(request, exc.http_status, "error.title", exc)

        return handle
