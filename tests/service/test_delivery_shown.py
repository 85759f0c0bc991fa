"""Wherever a release is shown, where it stands in the partner's feed is shown with it."""

from __future__ import annotations

from sqlalchemy import select

from garante.service.app import Garante
from garante.store import feed as store_feed
from garante.store.feed import FeedQuery
from garante.store.schema import FeedReleaseRow
from tests.service.orders import issue


def _released(world: Garante) -> int:
    decided = world.request_release("lead", recipient="dea", purpose="seizure")
    request_id: int = decided.request
    return request_id


def test_a_release_not_yet_fetched_is_available(world: Garante) -> None:
    assert world.request(_released(world)).delivery == "available"


def test_a_release_an_order_now_stops_is_withheld(world: Garante) -> None:
    request_id = _released(world)
    issue(world, "hold")
    assert world.request(request_id).delivery == "withheld"


def test_a_release_recalled_before_delivery_is_withdrawn(world: Garante) -> None:
    request_id = _released(world)
    world.recall(request_id, reason="wrong desk")
    assert [r.delivery for r in world.requests()] == ["withdrawn"]


def test_a_fetched_release_is_delivered_and_once_recalled_is_recalled(world: Garante) -> None:
    request_id = _released(world)
    world.feed_page(FeedQuery(partner_id="dea"))
    assert world.request(request_id).delivery == "delivered"
    world.recall(request_id, reason="wrong desk")
    assert world.request(request_id).delivery == "recalled"


def test_a_request_that_never_reached_the_feed_has_no_delivery(world: Garante) -> None:
    issue(world, "hold")
    held = world.request_release("lead", recipient="dea", purpose="seizure")
    assert world.request(held.request).delivery is None
    assert [r.delivery for r in world.held_queue()] == [None]


def test_the_delivery_column_of_a_joined_query_says_what_deliveries_says(world: Garante) -> None:
    # Releases fetched, recalled before and after a fetch, caught by a hold, and to a partner
    # outside the hold's scope, left unfetched.
    ids = [_released(world), _released(world)]
    world.feed_page(FeedQuery(partner_id="dea"))
    world.recall(ids[1], reason="wrong desk")
    ids += [_released(world), _released(world)]
    world.recall(ids[2], reason="wrong desk")
    issue(world, "hold")
    ids.append(world.request_release("lead", recipient="nca", purpose="seizure").request)
    with world.sessions() as session:
        joined = dict(
            session.execute(
                select(FeedReleaseRow.request_id, store_feed.delivery()).where(
                    FeedReleaseRow.request_id.in_(ids)
                )
            ).all()
        )
        assert joined == store_feed.deliveries(session, ids)
    assert len(joined) == len(ids)
    assert {"available", "delivered"} <= set(joined.values())  # both branches of the column
