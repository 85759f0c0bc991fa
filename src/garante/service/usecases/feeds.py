"""Partner feeds: pages that deliver, recalls, and tracing a leaked copy."""

from __future__ import annotations

from garante import records
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
from garante.store.feed import FeedQuery, FeedRow


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
        visibility.check_feed(self.principal, query.partner_id)
        with self._read() as session:
            rows, more = store_feed.page(session, query)
            pending = [r.request_id for r in rows if r.request_id is not None]
            if not deliver or not store_feed.undelivered_requests(session, pending):
                return rows, more
        with self._tx() as tx:
            # An order whose period began since the last tick withholds before anything goes.
            periods.apply_order_periods(tx)
            windows.apply_item_windows(tx)  # and an item that expired delivers nothing more
            rows, more = store_feed.page(tx.session, query)
            feed.record_delivery(tx, {r.request_id for r in rows if r.request_id is not None})
            return rows, more

    @entitled(Role.ANALYST)
    def recall(self, request_id: int, *, reason: str) -> records.Recall:
        """Withdraw a release: delivered objects come back as revoked versions. An analyst
        recalls releases of items its own agency originated."""
        who = self.principal
        by_agency = who.agency_id if who.role == Role.ANALYST else None
        with self._tx() as tx:
            row = feed.recall(tx, request_id, reason, by_agency=by_agency)
            return views.recall(row)

    @entitled()
    def trace(self, tokens: list[str]) -> list[records.Traced]:
        with self._read() as session:
            return feed.trace(session, tokens)
