"""Answers serialized where the route ran: a record to JSON bytes in the same worker thread.

A sync route that returns a record has FastAPI validate it against the response model in a
second trip to the thread pool, then serialize it. A route on the hot path returns
an ``Answer`` instead: the record goes to JSON once, with the same pydantic serializer and
the same bytes, and FastAPI passes the response through. The route still declares its
``response_model`` for the OpenAPI document.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import TypeAdapter
from starlette.responses import Response

T = TypeVar("T")


class Answer(Generic[T]):
    """A record type's serializer, made once per type."""

    def __init__(self, kind: type[T]) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(kind)

    def __call__(self, value: T, *, status_code: int = 200) -> Response:
        body = self._adapter.dump_json(value, by_alias=True)
        return Response(body, status_code=status_code, media_type="application/json")
