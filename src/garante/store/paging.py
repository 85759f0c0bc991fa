"""Keyset pages: rows ordered by a key, those after a cursor, at most a limit of them."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Select


class Keyset(Protocol):
    """A page of a keyset listing (``service.app.Page``): rows after ``after``, at most
    ``limit``."""

    @property
    def after(self) -> str | int | None: ...

    @property
    def limit(self) -> int: ...


def paged(query: Select[Any], key: Any, page: Keyset | None) -> Select[Any]:
    """``query`` in ``key`` order; narrowed to one page when ``page`` is given."""
    query = query.order_by(key)
    if page is None:
        return query
    if page.after is not None:
        query = query.where(key > page.after)
    return query.limit(page.limit)
