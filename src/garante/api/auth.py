"""Bearer tokens (or client certificates a trusted proxy verified) to principals, and the role
checks every route declares."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from garante.api.clientcert import TrustedProxies, certificate_principal, peer_host
from garante.domain.roles import Principal, Role
from garante.service import access
from garante.service.access import roles_of
from garante.service.app import Garante
from garante.service.tokens import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A Garante API token (gar_...).")


def service(request: Request) -> Garante:
    garante: Garante = request.app.state.garante
    return garante


def trusted_proxies(request: Request) -> TrustedProxies:
    trusted: TrustedProxies = getattr(request.app.state, "trusted_proxies", TrustedProxies())
    return trusted


def principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
) -> Principal:
    # A client certificate verified by a trusted proxy wins over a token (api/clientcert.py).
    host = peer_host(request)
    certified = certificate_principal(
        service(request), trusted_proxies(request), host, request.headers
    )
    if certified is not None:
        return certified
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(
            "this endpoint needs a bearer token",
            hint="send Authorization: Bearer gar_...; create one with `garante tokens create`",
        )
    return service(request).authenticate(credentials.credentials)


def allow(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits only the given roles."""

    allowed = frozenset(roles)

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        # One dependency, not one on ``principal``: the token is looked up and its role checked
        # in the same trip to the thread pool.
        who = principal(request, credentials)
        access.check(who, allowed)  # the service's own check: the same refusal, word for word
        return who

    return check


def may(use_case: Callable[..., object]) -> Callable[..., Principal]:
    """A dependency that admits the roles the service declares for ``use_case``.

    The service checks them again when called (``service.access``); declaring them here too
    answers 403 before the body is read, and documents the route's roles in OpenAPI.
    """
    return allow(*sorted(roles_of(use_case)))


def acting(request: Request, who: Principal) -> Garante:
    """The service, naming the caller in every audit entry it writes."""
    return service(request).acting_as(who)


INTERNAL = (Role.ANALYST, Role.LIAISON, Role.AUTHORITY, Role.OVERSEER)
EVERYONE = (*INTERNAL, Role.PARTNER)
