"""A list's page read in one statement on the driver's cursor shows what the ORM's read shows."""

from __future__ import annotations

from garante import records
from garante.service import views
from garante.service.app import Garante, Page
from garante.store import feed as store_feed
from garante.store import requests as store_requests
from garante.store.feed import FeedQuery
from tests.service.orders import issue


def _orm_requests(world: Garante, page: Page | None, **filters: str) -> list[records.Request]:
    """The page as the ORM reads it: its rows, then where each stands in the feed."""
    with world.readers() as session:
        rows = store_requests.page(session, page, **filters)
        delivery = store_feed.deliveries(session, [row.id for row in rows])
        return [views.request(row, delivery.get(row.id)) for row in rows]


def _driver_requests(world: Garante, page: Page | None, **filters: str) -> list[records.Request]:
    with world.readers() as session:
        shown = store_requests.shown_page(session, page, **filters)
        assert shown is not None
        return views.shown_requests(shown)


def _every_delivery(world: Garante) -> None:
    """Releases fetched (and those the fetch already covers), recalled before and after a
    fetch, caught by a hold, held, and to a partner outside the hold's scope, left unfetched."""
    ids = [world.request_release("lead", recipient="dea", purpose="seizure").request for _ in "ab"]
    world.feed_page(FeedQuery(partner_id="dea"))
    world.recall(ids[1], reason="wrong desk")
    ids += [world.request_release("lead", recipient="dea", purpose="seizure").request for _ in "cd"]
    world.recall(ids[2], reason="wrong desk")
    world.request_release("lead", recipient="fbi", purpose="seizure")  # withheld by the hold
    issue(world, "hold")
    world.request_release("lead", recipient="nca", purpose="seizure")
    world.request_release("lead", recipient="dea", purpose="seizure")  # held


def test_a_page_of_requests_read_on_the_driver_is_the_page_the_orm_reads(world: Garante) -> None:
    _every_delivery(world)
    pages = [None, Page(limit=3), Page(after=2, limit=3), Page(after=6, limit=3), Page(after=10)]
    filters: list[dict[str, str]] = [{}, {"outcome": "released"}, {"recipient": "dea"}]
    filters += [{"item": "lead"}, {"outcome": "held", "recipient": "dea", "item": "lead"}]
    for page in pages:
        for narrowed in filters:
            assert _driver_requests(world, page, **narrowed) == _orm_requests(
                world, page, **narrowed
            )
    deliveries = {shown.delivery for shown in _driver_requests(world, None)}
    assert deliveries == {"delivered", "recalled", "withdrawn", "withheld", "available", None}


def test_a_page_after_a_text_cursor_is_left_to_the_orms_read(world: Garante) -> None:
    with world.readers() as session:
        assert store_requests.shown_page(session, Page(after="x", limit=3)) is None
        assert store_requests.held_shown_page(session, Page(after="x", limit=3)) is None


def test_a_held_page_read_on_the_driver_gives_each_request_its_newest_decisions_reason(
    world: Garante,
) -> None:
    first = issue(world, "hold", reason="first hold").value
    held = [world.request_release("lead", recipient="dea", purpose="seizure") for _ in "ab"]
    issue(world, "hold", reason="second hold")
    world.lift_order(first.id, authority_id="presidency", reason="over", signature=None)
    assert all(len(world.decisions(h.request)) > 1 for h in held)  # decided again
    now = world.clock.now()
    with world.readers() as session:
        for page in [None, Page(limit=2), Page(after=held[0].request, limit=2)]:
            rows = store_requests.held_page(session, page)
            why = store_requests.held_reasons(session, [row.id for row in rows])
            orm = [views.held(r, why[r.id][1], reason=why[r.id][0], now=now) for r in rows]
            shown = store_requests.held_shown_page(session, page)
            assert shown is not None
            assert views.shown_held(shown, now=now) == orm
    assert [h.reason for h in world.held_queue()] == [
        world.decisions(h.request)[-1].explanation for h in held
    ]
