"""Items, and an item's page: its marks, and who it went to and why.

Both pages are internal: a partner never sees an item's marks, nor who else asked for it.
Every request for the item is shown with the decision that stands for it (the rules that
spoke, its explanation and what triggered it) and where the release stands in the partner's
feed, as the service reads them (``Garante.item_requests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from garante import records
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.numbers import whole_number
from garante.domain.timeutil import parse_time
from garante.service.app import Page

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Window:
    """An item's embargo and expiry against now, as the page states them: a translation key
    (``items.embargoed``, ``items.embargo_ended``, ``items.expired``, ``items.expires``) and
    the instant it speaks of."""

    key: str
    at: str


def windows(item: records.Item, now: datetime) -> list[Window]:
    """What the item's embargo and expiry say now: under embargo until, or embargo ended at;
    expired at, or expires at. Nothing for a window the item does not have."""
    stated: list[Window] = []
    if item.embargo_until:
        ended = parse_time(item.embargo_until) <= now
        stated.append(
            Window("items.embargo_ended" if ended else "items.embargoed", item.embargo_until)
        )
    if item.expires_at:
        expired = parse_time(item.expires_at) <= now
        stated.append(Window("items.expired" if expired else "items.expires", item.expires_at))
    return stated


def _after(request: Request) -> str | None:
    """The item id a page of items starts after (item ids are text)."""
    return request.query_params.get("after") or None


@router.get("/items")
def items(request: Request) -> Response:
    who = viewer(request)
    who.require_items()
    garante = service(request)
    after = _after(request)
    rows = garante.items(Page(after=after, limit=PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request,
        "items.html",
        viewer=who,
        rows=rows,
        after=after,
        next_after=rows[-1].id if more and rows else None,
        now=garante.clock.now(),
    )


@router.get("/items/{item_id}")
def item_detail(item_id: str, request: Request) -> Response:
    who = viewer(request)
    who.require_items()
    garante = service(request)
    item = garante.item(item_id)
    after = whole_number(request.query_params.get("after", ""))
    rows = garante.item_requests(item_id, Page(after=after, limit=PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = garante.clock.now()
    return page(
        request,
        "item_detail.html",
        viewer=who,
        item=item,
        windows=windows(item, now),
        rows=rows,
        after=after,
        next_after=rows[-1].id if more and rows else None,
        now=now,
    )
