"""Who is signed in to the console: the API token in a cookie, and per-form CSRF tokens.

Nothing may live only in a process's memory (DESIGN.md, "Storage and scale"), so there is no
server-side session table: the cookie carries the API token itself. It is ``HttpOnly`` (page
scripts cannot read it), ``SameSite=Strict`` (no other site's page can send it) and ``Secure``
over HTTPS. Every request authenticates the token again through the service, so a revoked
token signs the console out at once.

A person signed in through OpenID Connect has no API token: their cookie holds the principal
the ID token's claims gave and when the session ends, signed by the server (``console/oidc.py``).
It is refused once past that end, or if the server's session key changed.

Forms also carry a CSRF token, HMAC-SHA256 keyed by the session token: a page of another
origin cannot compute it without the cookie, and it needs no storage either.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from garante.console.i18n import Lang, negotiate
from garante.console.oidc import SESSION_PREFIX, Provider
from garante.domain.errors import GaranteError
from garante.domain.roles import Principal, Role
from garante.service.access import roles_of
from garante.service.app import Garante

SESSION_COOKIE = "garante_session"
LANG_COOKIE = "garante_lang"
_CSRF_CONTEXT = b"garante-console/csrf/v1"
_INTERNAL = frozenset({Role.ANALYST, Role.LIAISON, Role.AUTHORITY, Role.OVERSEER})


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in form."""


class NotAllowed(Exception):
    """The signed-in role may not see or do this (the API would answer 403)."""


class BadCsrf(Exception):
    """A form arrived without the CSRF token of the session it claims."""


def unbound(request: Request) -> Garante:
    """The service acting for no one in particular: only to authenticate a token with."""
    garante: Garante = request.app.state.garante
    return garante


def service(request: Request) -> Garante:
    """The service acting for the signed-in viewer: a page reads only what they may see.

    Which rows a partner may see is the service's to decide (``service.visibility``), so no
    page keeps its own copy of that rule.
    """
    return unbound(request).acting_as(viewer(request).principal)


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """The person at the console: their principal, language and the form token."""

    principal: Principal
    lang: Lang
    csrf: str

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def internal(self) -> bool:
        """Analyst, liaison, authority or overseer: may read what the API's INTERNAL reads."""
        return self.principal.role in _INTERNAL

    @property
    def authority(self) -> bool:
        return self.principal.role == Role.AUTHORITY

    @property
    def reads_items(self) -> bool:
        """May read items and who they went to: the roles the service admits to ``items``
        (not a liaison officer, who sees the requests but not the items' marks)."""
        return self.principal.role in roles_of(Garante.items)

    def require_items(self) -> None:
        if not self.reads_items:
            raise NotAllowed

    # -- standing agreements -----------------------------------------------------------

    @property
    def makes_agreements(self) -> bool:
        """May make, amend, suspend, resume and end agreements: the roles the service admits
        to ``make_agreement`` (a liaison officer)."""
        return self.principal.role in roles_of(Garante.make_agreement)

    def require_agreements(self) -> None:
        if not self.makes_agreements:
            raise NotAllowed

    # -- sources (srcsec) ---------------------------------------------------------------

    @property
    def reads_sources(self) -> bool:
        """May read the sources' health: the roles the service admits to ``sources``
        (analysts and overseers; never a partner)."""
        return self.principal.role in roles_of(Garante.sources)

    @property
    def pulls_sources(self) -> bool:
        """May ask for a pull (of its own agency's sources): the roles the service admits to
        ``request_pull`` (an analyst)."""
        return self.principal.role in roles_of(Garante.request_pull)

    def require_sources(self) -> None:
        if not self.reads_sources:
            raise NotAllowed

    def require_pulls(self) -> None:
        if not self.pulls_sources:
            raise NotAllowed

    def require_internal(self) -> None:
        if not self.internal:
            raise NotAllowed

    def require_authority(self) -> None:
        if not self.authority or not self.principal.authority_id:
            raise NotAllowed


def language(request: Request) -> Lang:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def oidc_provider(request: Request) -> Provider | None:
    """The OpenID provider the console signs people in with, if the operator named one."""
    found = getattr(request.app.state, "oidc", None)
    return found if isinstance(found, Provider) else None


def viewer(request: Request) -> Viewer:
    """The signed-in viewer, or ``SignInRequired`` (a missing, unknown or revoked token, or an
    OpenID session past its end)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    known = getattr(request.state, "viewer", None)
    if isinstance(known, Viewer):
        return known  # authenticated once per request, however many reads the page makes
    if token.startswith(SESSION_PREFIX):
        provider = oidc_provider(request)
        signed = provider.settings.session_principal(token) if provider else None
        if signed is None:
            raise SignInRequired
        who = signed
    else:
        try:
            who = unbound(request).authenticate(token)
        except GaranteError:
            raise SignInRequired from None
    known = Viewer(principal=who, lang=language(request), csrf=csrf_token(token))
    request.state.viewer = known
    return known


def check_csrf(request: Request, submitted: str | None) -> None:
    token = request.cookies.get(SESSION_COOKIE) or ""
    if not token or not submitted or not hmac.compare_digest(csrf_token(token), submitted):
        raise BadCsrf


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    path: str = "/",
    max_age: int | None = None,
    httponly: bool = True,
) -> None:
    """Every console cookie: same-site only, and sent back only over HTTPS when served on it."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=httponly,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )


def start_session(
    request: Request, response: Response, token: str, *, max_age: int | None = None
) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, max_age=max_age)


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def remember_language(request: Request, response: Response, lang: Lang) -> None:
    set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=False)
