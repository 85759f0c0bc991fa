"""Bearer tokens (or client certificates a trusted proxy verified) to principals, and the role
checks every route declares."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from garante.api.clientcert import (
    TrustedProxies,
    certificate_principal,
    peer_host,
    presents_certificate,
)
from garante.domain.roles import Principal, Role
from garante.service import access
from garante.service.access import roles_of
from garante.service.app import Garante
from garante.service.tokens import Unauthenticated, token_digest

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


class TokenCache:
    """The principals of API tokens this process authenticated, by the SHA-256 of the token.

    Only for a route whose use case re-checks the token in the transaction that writes
    (``service.tokens.revoked_among``; ``Garante.request_release_soon``): a token revoked
    since it was cached is still refused, with the same 401, before anything is stored. Such a
    route then authenticates a known token on the event loop, with no trip to the thread pool.
    Bounded: the least recently used token goes first.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._principals: OrderedDict[bytes, Principal] = OrderedDict()

    def get(self, secret: str) -> Principal | None:
        key = token_digest(secret)
        who = self._principals.get(key)
        if who is not None:
            self._principals.move_to_end(key)
        return who

    def put(self, secret: str, who: Principal) -> None:
        key = token_digest(secret)
        self._principals[key] = who
        self._principals.move_to_end(key)
        while len(self._principals) > self.size:
            self._principals.popitem(last=False)

    def __len__(self) -> int:
        return len(self._principals)


def token_cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


def may_rechecked(use_case: Callable[..., object]) -> Callable[..., Awaitable[Principal]]:
    """``may`` for a route whose use case re-checks the caller's token where it writes: a
    token this process authenticated before is taken from its ``TokenCache`` on the event
    loop; any other (a new token, a client certificate, none) goes the way ``may`` goes, in the
    thread pool. The same refusals, in the same order (401 or 403 before the body's 422)."""
    allowed = frozenset(roles_of(use_case))

    async def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        cache = token_cache(request)
        bearer = credentials is not None and credentials.scheme.lower() == "bearer"
        certified = presents_certificate(
            trusted_proxies(request), peer_host(request), request.headers
        )
        who = cache.get(credentials.credentials) if credentials and bearer else None
        if who is None or certified:
            who = await run_in_threadpool(principal, request, credentials)
            if credentials is not None and bearer and who.by_token and not certified:
                cache.put(credentials.credentials, who)
        access.check(who, allowed)
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
