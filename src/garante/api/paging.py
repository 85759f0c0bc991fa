"""Opaque cursors for keyset pagination on every list."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from garante.api.schemas import INT_MAX, INT_MIN
from garante.domain.errors import ValidationError
from garante.service.app import Page

MAX_LIMIT = 1000

T = TypeVar("T")


class Cursor(BaseModel):
    next_cursor: str | None = None


def page(cursor: str | None, limit: int) -> Page:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    after: str | int | None = None
    if cursor:
        try:
            after = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==="))["after"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ValidationError(
                "the cursor is not one this server issued",
                field="cursor",
                hint="pass next_cursor from the previous page unchanged",
            ) from None
        if (
            not isinstance(after, str | int)
            or isinstance(after, bool)
            or (isinstance(after, int) and not INT_MIN <= after <= INT_MAX)
        ):
            raise ValidationError("the cursor is not one this server issued", field="cursor")
    # One more than asked, to know whether another page follows.
    return Page(after=after, limit=limit + 1)


async def keyset(
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT, description="at most this many items"),
) -> Page:
    """The page a list route was asked for: every list takes the same two parameters.

    ``async`` though it awaits nothing: it only decodes the cursor, so FastAPI runs it in the
    event loop rather than sending it to the thread pool and back.
    """
    return page(cursor, limit)


@dataclass(frozen=True, kw_only=True)
class Paged(Generic[T]):
    """One page of a list, as every list route serves it (``PageOf``)."""

    items: list[T]
    next_cursor: str | None


def paged(rows: Sequence[T], request_page: Page, key: str) -> Paged[T]:
    """The first ``limit`` rows, and a cursor after the last one's ``key`` if more follow."""
    limit = request_page.limit - 1
    items = list(rows[:limit])
    more = len(rows) > limit
    token = None
    if more and items:
        raw = json.dumps({"after": getattr(items[-1], key)}).encode()
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return Paged(items=items, next_cursor=token)
