"""The API's documentation page works with no internet: Swagger UI comes from Garante itself."""

from __future__ import annotations

import re

import httpx

from tests.support.servers import Server


def test_the_docs_page_loads_nothing_from_another_site(empty_server: Server) -> None:
    page = httpx.get(f"{empty_server.api}/docs").text
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert sources, page
    assert all(source.startswith("/api/v1/docs/static/") for source in sources), sources


def test_swagger_uis_files_are_served_with_their_types(empty_server: Server) -> None:
    script = httpx.get(f"{empty_server.api}/docs/static/swagger-ui-bundle.js")
    style = httpx.get(f"{empty_server.api}/docs/static/swagger-ui.css")
    assert script.status_code == style.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert style.headers["content-type"].startswith("text/css")
