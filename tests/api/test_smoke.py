"""The server starts, answers, and refuses without a token."""

from __future__ import annotations

import httpx

from tests.support.servers import Server


def test_health_needs_no_token(demo_server: Server) -> None:
    response = httpx.get(f"{demo_server.api}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_list_without_a_token_is_401_in_the_error_shape(demo_server: Server) -> None:
    response = httpx.get(f"{demo_server.api}/held")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.unauthenticated"


def test_openapi_document_is_3_1(demo_server: Server) -> None:
    document = httpx.get(f"{demo_server.api}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/releases" in document["paths"]
