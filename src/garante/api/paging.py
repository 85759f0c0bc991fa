"""Opaque cursors for keyset pagination on every list."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import Query
from pydantic import BaseModel

from garante.api.schemas import INT_MAX, INT_MIN
from garante.domain.errors import ValidationError
from garante.service.app import Page

MAX_LIMIT = 1000


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


def keyset(
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT, description="at most this many items"),
) -> Page:
    """The page a list route was asked for: every list takes the same two parameters."""
    return page(cursor, limit)


def paged(rows: list[dict[str, Any]], request_page: Page, key: str) -> dict[str, Any]:
    limit = request_page.limit - 1
    items = rows[:limit]
    more = len(rows) > limit
    token = None
    if more and items:
        raw = json.dumps({"after": items[-1][key]}).encode()
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"items": items, "next_cursor": token}
