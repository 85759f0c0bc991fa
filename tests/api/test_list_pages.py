"""The release list and the held queue are written to JSON once, from the service's records,
in the very bytes their declared response model (``PageOf``) writes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from garante import records
from garante.api.direct import Pages
from garante.api.paging import Paged
from garante.api.schemas import PageOf
from garante.domain.decision import Outcome
from tests.support.servers import Server

# What JSON escapes, what it must not (non-ASCII, U+2028, "/"), and what HTML would.
AWKWARD = 'a\x00\x08\t\n\x0b\x0c\r\x1f\x7f\u2028\u2029</script>é😀"\\/'


def _request(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": 2**31 - 1,
        "item": AWKWARD,
        "recipient": "dea",
        "purpose": AWKWARD,
        "requested_by": "analyst",
        "requested_at": "2025-11-11T21:00:00Z",
        "outcome": Outcome.HELD,
        "undertaking": None,
        "decided_at": "2025-11-11T21:00:00Z",
        "delivery": None,
    }
    return fields | changes


@pytest.mark.parametrize("cursor", [None, "eyJhZnRlciI6IDJ9"])
def test_a_page_of_requests_is_the_bytes_its_response_model_writes(cursor: str | None) -> None:
    rows = [
        records.Request(**_request()),
        records.Request(**_request(id=3, undertaking="u-1", delivery="recalled")),
    ]
    served = Pages(records.Request)(Paged(items=rows, next_cursor=cursor)).body
    model = TypeAdapter(PageOf[records.Request])
    assert served == model.dump_json(PageOf[records.Request](items=rows, next_cursor=cursor))


def test_a_page_of_the_held_queue_is_the_bytes_its_response_model_writes() -> None:
    rows = [
        records.Held(**_request(), reason=AWKWARD, held_for_seconds=0),
        records.Held(**_request(id=4, outcome=Outcome.HELD), reason="", held_for_seconds=2**40),
    ]
    served = Pages(records.Held)(Paged(items=rows, next_cursor=None)).body
    model = TypeAdapter(PageOf[records.Held])
    assert served == model.dump_json(PageOf[records.Held](items=rows, next_cursor=None))


def test_an_empty_page_is_the_bytes_its_response_model_writes() -> None:
    served = Pages(records.Held)(Paged(items=[], next_cursor=None)).body
    assert served == b'{"items":[],"next_cursor":null}'


@pytest.mark.parametrize(
    ("path", "kind"), [("/releases", records.Request), ("/held", records.Held)]
)
def test_a_served_list_page_reads_back_through_its_response_model_to_the_same_bytes(
    demo_server: Server, path: str, kind: type[records.Request]
) -> None:
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.get(
        f"{demo_server.api}{path}",
        params={"limit": 2},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    model = TypeAdapter(PageOf[kind])  # type: ignore[valid-type]
    page = model.validate_json(response.content)
    assert page.items
    assert model.dump_json(page) == response.content
