"""Partner feeds: pages that deliver, recalls, and tracing a leaked copy."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from sqlalchemy.orm import Session

from garante import records
from garante.domain.recalldeadline import parse_within
from garante.domain.roles import Role
from garante.service import (
    feed,
    periods,
    views,
    visibility,
    windows,
)
from garante.service.access import entitled
from garante.service.usecases.base import UseCases
from garante.store import feed as store_feed
from garante.store.feed import FeedBodies, FeedQuery, FeedRow

P = TypeVar("P")


class Feeds(UseCases):
    """Partner feeds: pages that deliver, recalls, and tracing a leaked copy."""

    @entitled(Role.PARTNER)
    def feed_page(self, query: FeedQuery, *, deliver: bool = True) -> tuple[list[FeedRow], bool]:
        """One page of a partner's feed; the first fetch of a release records its delivery.

        Pages of already-delivered objects are plain reads. A page that delivers something
        for the first time is read again inside a write transaction, which on SQLite
        (BEGIN IMMEDIATE) and with the sequencer lock is serialised with every order: nothing
        is delivered that an order committed before it withholds.
        """
        return self._served(
            query,
            deliver,
            store_feed.page,
            lambda page: {r.request_id for r in page[0] if r.request_id is not None},
        )

    @entitled(Role.PARTNER)
    def feed_bodies(self, query: FeedQuery, *, deliver: bool = True) -> FeedBodies:
        """The same page as ``feed_page``, delivered the same way, as the objects endpoint
        serves it: the stored bodies and the few values its envelope needs."""
        return self._served(query, deliver, store_feed.page_bodies, lambda page: page.request_ids)

    def _served(
        self,
        query: FeedQuery,
        deliver: bool,
        read: Callable[[Session, FeedQuery], P],
        releases: Callable[[P], Collection[int]],
    ) -> P:
        """A page read by ``read``; where it delivers a release for the first time, read
        again and delivered in one write transaction."""
        visibility.check_feed(self.principal, query.partner_id)
        with self._read() as session:
            page = read(session, query)
            if not deliver or not store_feed.undelivered_requests(session, releases(page)):
                return page
        with self._tx() as tx:
            # An order whose period began since the last tick withholds before anything goes.
            periods.apply_order_periods(tx)
            windows.apply_item_windows(tx)  # and an item that expired delivers nothing more
            page = read(tx.session, query)
            feed.record_delivery(tx, set(releases(page)))
            return page

    @entitled(Role.ANALYST)
    def recall(
        self, request_id: int, *, reason: str, ack_within: str | None = None
    ) -> records.Recall:
        """Withdraw a release: delivered objects come back as revoked versions. An analyst
        recalls releases of items its own agency originated. ``ack_within`` (``48h``): how long
        the partner has to acknowledge it; else the agreement's that started the release."""
        who = self.principal
        by_agency = who.agency_id if who.role == Role.ANALYST else None
        within = parse_within(ack_within) if ack_within else None
        with self._tx() as tx:
            row = feed.recall(tx, request_id, reason, by_agency=by_agency, ack_within=within)
            return views.recall(row)

    @entitled()
    def trace(self, tokens: list[str]) -> list[records.Traced]:
        with self._read() as session:
            return feed.trace(session, tokens)
