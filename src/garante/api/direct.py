"""Answers serialized where the route ran: a record to JSON bytes in the same worker thread.

A sync route that returns a record has FastAPI validate it against the response model in a
second trip to the thread pool, then serialize it. A route on the hot path returns
an ``Answer`` instead: the record goes to JSON once, with the same pydantic serializer and
the same bytes, and FastAPI passes the response through; a list route returns ``Pages``,
whose bytes orjson writes. The route still declares its ``response_model`` for the OpenAPI
document.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import orjson
from pydantic import TypeAdapter
from starlette.responses import Response

from garante.api.paging import Paged

T = TypeVar("T")


class Answer(Generic[T]):
    """A record type's serializer, made once per type."""

    def __init__(self, kind: type[T]) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(kind)

    def __call__(self, value: T, *, status_code: int = 200) -> Response:
        body = self._adapter.dump_json(value, by_alias=True)
        return Response(body, status_code=status_code, media_type="application/json")


class Pages(Generic[T]):
    """A list route's pages, written to JSON bytes by orjson in one step from the service's
    records, for the lists of many rows a client keeps polling (``/releases``, ``/held``).

    FastAPI would copy each page to dicts (``dataclasses.asdict``), validate the copy against
    ``PageOf[T]`` and serialize that, in a second trip to the thread pool: about as much CPU
    as the service took to read the page. orjson writes a frozen dataclass's fields in their
    order, ``None`` as ``null`` and a ``StrEnum`` as its value, compact and nothing escaped to
    ASCII: the bytes the response model writes, for records of plain fields (``str``, ``int``,
    ``bool``, ``None``, ``StrEnum``, no aliases), which ``kind`` must be; a test holds the two
    to the same bytes. The route still declares ``PageOf[T]`` for the OpenAPI document.
    """

    def __init__(self, kind: type[T]) -> None:
        self.kind = kind

    def __call__(self, page: Paged[T]) -> Response:
        return Response(orjson.dumps(page), media_type="application/json")
