"""Sign-in with an API token, sign-out, and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import cast

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from garante.console.forms import Form, form
from garante.console.i18n import LANGUAGES, Lang
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import (
    check_csrf,
    end_session,
    language,
    remember_language,
    set_cookie,
    start_session,
    unbound,
    viewer,
)
from garante.domain.errors import GaranteError
from garante.domain.roles import Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

# Sign-in has no session yet to key a CSRF token with; a random value in a SameSite=Strict
# cookie, echoed by the form, stops another site from signing a visitor in as someone else.
SIGNIN_COOKIE = "garante_signin"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//host`` or ``https://host`` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def home_for(role: Role) -> str:
    return "/releases" if role == Role.PARTNER else "/partners"


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse(home_for(viewer(request).role), status_code=303)


def _signin_page(request: Request, *, error: bool, status_code: int = 200) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "signin.html",
        viewer=None,
        lang=language(request),
        status_code=status_code,
        nonce=nonce,
        next=safe_next(request.query_params.get("next")),
        error=error,
    )
    set_cookie(request, response, SIGNIN_COOKIE, nonce, path="/signin")
    return response


@router.get("/signin")
def signin_form(request: Request) -> Response:
    return _signin_page(request, error=False)


@router.post("/signin")
def signin(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, data.get("nonce")):
        return _signin_page(request, error=True, status_code=403)
    token = data.get("token")
    try:
        who = unbound(request).authenticate(token)
    except GaranteError:
        return _signin_page(request, error=True, status_code=401)
    target = safe_next(data.get("next"))
    response = RedirectResponse(target if target != "/" else home_for(who.role), status_code=303)
    start_session(request, response, token)
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    check_csrf(request, data.get("csrf"))
    response = RedirectResponse("/signin", status_code=303)
    end_session(request, response)
    return response


@router.get("/language/{code}")
def switch_language(code: str, request: Request) -> Response:
    lang = cast(Lang, code if code in LANGUAGES else "en")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    remember_language(request, response, lang)
    return response
