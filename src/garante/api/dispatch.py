"""Routing by path prefix: each request walks only the routes that could match its path.

FastAPI matches a request by trying the application's routes in order, and an included router
by trying each of its routes in turn (twice: once to find it, once to run it). With every API
module, the TAXII mount, the log's tiles and the console in one application, a request for
``POST /api/v1/releases`` tried some fifty routes in nine routers before its own.

Here the application's top-level routes are sorted once into buckets by the literal segment
that leads each path (``api/v1/releases``, ``taxii2``, ``log``, ``login``): the segment after
``/api/v1``, or else the first. A request's own segment picks its bucket, and FastAPI's router
runs as before over that bucket alone, in the original order: a route filed under another
segment can match neither fully nor partly, so the first full match, the 405 for a partial one
and the trailing-slash redirect are what they were. A route whose leading segment is a
parameter is filed in every bucket. A request whose segment leads no route, one that no route
of its bucket matches, and any request once the application's own list of routes changed, go
through the whole router as before (so a route added later is still found; one added later
to an included router is found unless its path already matches a route of its bucket, as the
same path with another method would).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from fastapi.routing import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send


def segment(path: str, prefix: str) -> str:
    """The bucket a path belongs to: its segment after ``prefix``, or else its first."""
    if path.startswith(prefix + "/"):
        return prefix[1:] + "/" + path[len(prefix) + 1 :].split("/", 1)[0]
    return path[1:].split("/", 1)[0]


def _paths(route: BaseRoute) -> list[str] | None:
    """The path templates a top-level route serves, or None where they cannot be told."""
    contexts = getattr(route, "effective_route_contexts", None)
    if contexts is None:  # a route or mount of the application itself
        path = getattr(route, "path_format", None)
        return None if not isinstance(path, str) else [path]
    paths = []
    for context in contexts():  # an included router: each route it holds, prefix and all
        path = getattr(getattr(context, "starlette_route", None), "path_format", None)
        path = path or getattr(context, "path_format", None)
        if not isinstance(path, str) or not path:
            return None
        paths.append(path)
    return paths


class PrefixDispatch:
    """The router's entry point, narrowed to the bucket of each request's path."""

    def __init__(self, router: APIRouter, prefix: str) -> None:
        self.router = router
        self.prefix = prefix
        self.whole: ASGIApp = router.middleware_stack
        self.version = self._version()
        self.buckets: dict[str, ASGIApp] = {}
        everywhere: list[int] = []
        filed: dict[str, list[int]] = {}
        for index, route in enumerate(router.routes):
            paths = _paths(route)
            keys = None if paths is None else {segment(p, prefix) for p in paths}
            if keys is None or any("{" in key for key in keys):
                everywhere.append(index)
                continue
            for key in keys:
                filed.setdefault(key, []).append(index)
        for key, indices in filed.items():
            self.buckets[key] = self._narrowed(sorted({*indices, *everywhere})).app

    def _narrowed(self, indices: Iterable[int]) -> APIRouter:
        narrowed = copy.copy(self.router)
        narrowed.routes = [self.router.routes[i] for i in indices]
        narrowed.default = self.whole  # nothing here matched: the whole router decides
        return narrowed

    def _version(self) -> tuple[int, object]:
        return len(self.router.routes), getattr(self.router, "_routes_version", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._version() == self.version:
            app = self.buckets.get(segment(get_route_path(scope), self.prefix))
            if app is not None:
                scope.setdefault("router", self.router)  # url_for sees every route
                await app(scope, receive, send)
                return
        await self.whole(scope, receive, send)


def dispatch_by_prefix(router: APIRouter, prefix: str) -> None:
    """Route the router's requests through a ``PrefixDispatch`` built from its routes now."""
    router.middleware_stack = PrefixDispatch(router, prefix)
