"""Routing by path prefix (``api/dispatch.py``) answers as FastAPI's whole router does.

Each test builds a small FastAPI application with routes laid out like Garante's (routers
under a prefix, a mount, a router included without one), routes it by prefix, and checks one
answer the whole router would give: the same route, the same 405, the same redirect, the same
404, and routes that the buckets cannot see coming.
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import PlainTextResponse

from garante.api.dispatch import dispatch_by_prefix, segment

PREFIX = "/api/v1"


class Client:
    """Requests straight to the ASGI application, in this process."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, path)

        return asyncio.run(send())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path)


def _app() -> FastAPI:
    app = FastAPI()
    first = APIRouter()
    second = APIRouter()

    @first.get("/things")
    def things() -> str:
        return "things"

    @first.get("/things/{thing}")
    def thing(thing: int) -> int:
        return thing

    @second.post("/others")
    def others() -> str:
        return "others"

    @second.get("/others/linked")
    def linked(request: Request) -> str:
        return str(request.url_for("things"))

    app.include_router(first, prefix=PREFIX)
    app.include_router(second, prefix=PREFIX)
    app.mount("/sub", PlainTextResponse("mounted"))
    pages = APIRouter()

    @pages.get("/")
    def home() -> str:
        return "home"

    app.include_router(pages)
    dispatch_by_prefix(app.router, PREFIX)
    return app


def test_the_segment_after_the_prefix_names_the_bucket_else_the_first() -> None:
    assert segment("/api/v1/releases/12", PREFIX) == "api/v1/releases"
    assert segment("/api/v1", PREFIX) == "api"
    assert segment("/taxii2/api/collections", PREFIX) == "taxii2"
    assert segment("/", PREFIX) == ""


def test_each_route_is_reached_through_its_bucket() -> None:
    client = Client(_app())
    assert client.get(f"{PREFIX}/things").json() == "things"
    assert client.get(f"{PREFIX}/things/7").json() == 7
    assert client.post(f"{PREFIX}/others").json() == "others"
    assert client.get("/sub/anything").text == "mounted"
    assert client.get("/").json() == "home"


def test_a_route_in_another_bucket_is_still_found_by_url_for() -> None:
    client = Client(_app())
    assert client.get(f"{PREFIX}/others/linked").json().endswith(f"{PREFIX}/things")


def test_a_wrong_method_is_405_as_before() -> None:
    response = Client(_app()).get(f"{PREFIX}/others")
    assert response.status_code == 405


def test_a_trailing_slash_is_redirected_as_before() -> None:
    response = Client(_app()).get(f"{PREFIX}/things/")
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"{PREFIX}/things")


def test_a_path_no_route_leads_is_404() -> None:
    client = Client(_app())
    assert client.get(f"{PREFIX}/nothing").status_code == 404
    assert client.get("/nothing").status_code == 404


def test_a_route_with_a_parameter_for_its_segment_is_tried_in_every_bucket() -> None:
    app = FastAPI()

    @app.get("/fixed")
    def fixed() -> str:
        return "fixed"

    @app.get("/{anything}/deeper")
    def deeper(anything: str) -> str:
        return anything

    dispatch_by_prefix(app.router, PREFIX)
    client = Client(app)
    assert client.get("/fixed").json() == "fixed"
    assert client.get("/fixed/deeper").json() == "fixed"


def test_a_route_added_after_the_dispatch_was_built_is_served() -> None:
    app = _app()
    late = APIRouter()

    @late.get("/things/late/{n}")
    def later(n: int) -> int:
        return -n

    app.include_router(late, prefix=PREFIX)
    # /things/{thing} takes ints only, so the late route is the one that answers.
    assert Client(app).get(f"{PREFIX}/things/late/3").json() == -3


def test_a_route_added_later_to_an_included_router_is_served() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/things")
    def things() -> str:
        return "things"

    app.include_router(router, prefix=PREFIX)
    dispatch_by_prefix(app.router, PREFIX)

    @router.get("/others")
    def others() -> str:
        return "others"

    assert Client(app).get(f"{PREFIX}/others").json() == "others"
