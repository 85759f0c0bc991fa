"""Items: what the originator shares, and the opening of an item's commitment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from garante import records
from garante.domain.roles import Role
from garante.domain.timeutil import iso
from garante.service import (
    fanout,
    items,
    lookup,
    views,
    visibility,
    windows,
)
from garante.service.access import entitled
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import items as store_items
from garante.store import sources as store_sources


class Items(UseCases):
    """Items: what the originator shares, and the opening of an item's commitment."""

    @entitled(Role.ANALYST)
    def add_item(
        self,
        item_id: str,
        *,
        title: str,
        category: str,
        region: str,
        tlp: str,
        originator: str,
        bundle: str | Mapping[str, object],
        releasable_to: list[str] | None = None,
        embargo_until: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> Change[records.Item]:
        content = items.parse_bundle(bundle)  # before the writer lock: see items.add_item
        with self._tx() as tx:
            row = items.add_item(
                tx,
                item_id=item_id,
                title=title,
                category=category,
                region=region,
                tlp=tlp,
                originator=originator,
                releasable_to=releasable_to or [],
                content=content,
                embargo_until=embargo_until,
                expires_at=expires_at,
            )
            started = fanout.fan_out(tx, row)  # standing agreements, in this transaction
            return Change(value=views.item(row), started=visibility.moved(self.principal, started))

    @entitled()
    def apply_item_windows(self) -> Change[tuple[records.WindowPassed, ...]]:
        """Move what embargo ends and expiries the clock passed now change (see ``windows``).

        What is due is read first without the writer lock: a server runs this every second,
        and most seconds nothing is due.
        """
        with self._read() as session:
            if not windows.due(session, self.clock.now()):
                return Change(value=())
        with self._tx() as tx:
            applied = windows.apply_item_windows(tx)
            return Change(
                value=tuple(
                    records.WindowPassed(
                        item=p.item_id, at=iso(p.at), expired=p.expired, recalled=p.recalled
                    )
                    for p in applied.passed
                ),
                moved=visibility.moved(self.principal, applied.moved),
                started=visibility.moved(self.principal, applied.started),
            )

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def items(self, page: Page | None = None) -> list[records.Item]:
        with self._read() as session:
            return [views.item(r) for r in store_items.page(session, page)]

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def item(self, item_id: str) -> records.Item:
        with self._read() as session:
            row = lookup.item(session, item_id)
            came = store_sources.ingests_of_items(session, [row.id]).get(row.id)
            return views.item(row, came.terms if came is not None else None)

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def item_versions(self, item_id: str) -> list[records.ItemVersion]:
        """An item's history: each upstream version its source gave, in the order taken."""
        with self._read() as session:
            row = lookup.item(session, item_id)
            return [views.item_version(h) for h in store_sources.versions_of(session, row.id)]

    @entitled()
    def item_opening(self, item_id: str) -> records.ItemOpening:
        """What opens an item's commitment in the log: salt, title and canonical bundle.

        Handed to an inspector only for the item in question, it shows that the content matches
        the commitment logged when the item was added, without putting content in the log.
        """
        with self._read() as session:
            row = lookup.item(session, item_id)
            return records.ItemOpening(
                item=row.id,
                salt=row.commitment_salt.hex(),
                title=row.title,
                bundle=row.bundle,
                commitment=items.content_commitment(
                    row.commitment_salt, row.title, row.bundle.encode()
                ),
            )
