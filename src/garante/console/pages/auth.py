"""Sign-in with an API token or through an OpenID provider, sign-out, and the language switch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import cast

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from garante.console.forms import Form, form
from garante.console.i18n import LANGUAGES, Lang
from garante.console.oidc import SESSION_PREFIX, NotMapped, Provider, SignInFailed
from garante.console.render import page
from garante.console.routing import ConsoleRoute, error_page
from garante.console.session import (
    SESSION_COOKIE,
    check_csrf,
    end_session,
    language,
    oidc_provider,
    remember_language,
    set_cookie,
    start_session,
    unbound,
    viewer,
)
from garante.domain.errors import GaranteError
from garante.domain.roles import Principal, Role

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
        oidc=oidc_provider(request),
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
    provider = oidc_provider(request)
    there = None
    if provider is not None and request.cookies.get(SESSION_COOKIE, "").startswith(SESSION_PREFIX):
        # Signed in through the provider: sign out there too, if it has an endpoint for it.
        there = provider.end_session_url(str(request.base_url).rstrip("/") + "/signin")
    response: Response = RedirectResponse("/signin", status_code=303)
    if there is not None:
        # A page, not a redirect: the console's form-action policy keeps a form's redirect
        # on this site.
        response = page(
            request,
            "moving_on.html",
            viewer=None,
            target=there,
            title_key="signout.done",
            link_key="signout.provider",
        )
    end_session(request, response)
    return response


# -- OpenID Connect ----------------------------------------------------------------------------
# The request's state, nonce, PKCE verifier and the page asked for wait in a cookie signed with
# the session key, for ten minutes, sent only to the callback. It is SameSite=Lax: the provider
# sends the person back from another site, and a Strict cookie would not come with them.

FLOW_COOKIE = "garante_oidc"
FLOW_PATH = "/signin/oidc"
FLOW_SECONDS = 600
log = logging.getLogger("garante.console.oidc")


def _redirect_uri(request: Request, provider: Provider) -> str:
    configured = provider.settings.redirect_uri
    return configured or str(request.base_url).rstrip("/") + "/signin/oidc/callback"


def _flow_mac(provider: Provider, payload: str) -> str:
    key = provider.settings.session_key
    return hmac.new(key, b"flow:" + payload.encode(), hashlib.sha256).hexdigest()


def _refused(request: Request, status: int, title: str, reason: str) -> Response:
    """A page saying sign-in failed; the reason goes to the server's log, not the page."""
    log.warning("OpenID sign-in refused: %s", reason)
    response = error_page(request, status, title, None)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.get("/signin/oidc")
def signin_oidc(request: Request) -> Response:
    provider = oidc_provider(request)
    if provider is None:
        return error_page(request, 404, "error.oidc_off", None)
    try:
        started = provider.start(_redirect_uri(request, provider))
    except SignInFailed as exc:
        return _refused(request, 502, "error.oidc_unavailable", exc.reason)
    flow = {
        "state": started.state,
        "nonce": started.nonce,
        "verifier": started.verifier,
        "next": safe_next(request.query_params.get("next")),
        "until": int(time.time()) + FLOW_SECONDS,
    }
    payload = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        f"{payload}.{_flow_mac(provider, payload)}",
        max_age=FLOW_SECONDS,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _flow(request: Request, provider: Provider) -> dict[str, str] | None:
    payload, _, mac = request.cookies.get(FLOW_COOKIE, "").rpartition(".")
    if not payload or not hmac.compare_digest(mac, _flow_mac(provider, payload)):
        return None
    try:
        flow = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    if not isinstance(flow, dict) or int(flow.get("until", 0)) < time.time():
        return None
    return {k: str(v) for k, v in flow.items()}


@router.get("/signin/oidc/callback")
def signin_oidc_callback(request: Request) -> Response:
    provider = oidc_provider(request)
    if provider is None:
        return error_page(request, 404, "error.oidc_off", None)
    query = request.query_params
    flow = _flow(request, provider)
    if flow is None or not hmac.compare_digest(flow["state"], query.get("state", "")):
        return _refused(request, 400, "error.oidc_token", "no sign-in under way, or a wrong state")
    if "error" in query or not query.get("code"):
        reason = f"the provider answered {query.get('error', 'no code')}"
        return _refused(request, 400, "error.oidc_token", reason)
    try:
        claims = provider.finish(
            query["code"],
            _redirect_uri(request, provider),
            nonce=flow["nonce"],
            verifier=flow["verifier"],
        )
        who = provider.settings.principal(claims)
        _exists(request, who)
    except SignInFailed as exc:
        return _refused(request, 401, "error.oidc_token", exc.reason)
    except NotMapped as exc:
        return _refused(request, 403, "error.oidc_unmapped", f"sub={claims['sub']!r}: {exc.reason}")
    until = provider.settings.session_end(int(claims["exp"]))
    target = flow["next"] if flow["next"] != "/" else home_for(who.role)
    # The person arrives here from the provider's site, and a SameSite=Strict cookie is not
    # sent on the rest of that navigation: a page of ours moves on to the target instead.
    response = page(
        request,
        "moving_on.html",
        viewer=None,
        target=target,
        title_key="signin.done",
        link_key="signin.continue",
    )
    start_session(
        request,
        response,
        provider.settings.session_cookie(who, until),
        max_age=max(until - int(time.time()), 0),
    )
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _exists(request: Request, who: Principal) -> None:
    """The agency or authority the claims name is one this store knows, and active."""
    garante = unbound(request).acting_as(who)
    try:
        if who.authority_id is not None:
            known = {a.id: a.active for a in garante.authorities()}
            if not known.get(who.authority_id):
                raise NotMapped(f"authority {who.authority_id!r} is unknown or inactive")
        elif who.agency_id is not None and not garante.agency(who.agency_id).active:
            raise NotMapped(f"agency {who.agency_id!r} is deactivated")
    except GaranteError as exc:
        raise NotMapped(f"{who.name}: {exc}") from None


@router.get("/language/{code}")
def switch_language(code: str, request: Request) -> Response:
    lang = cast(Lang, code if code in LANGUAGES else "en")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    remember_language(request, response, lang)
    return response
