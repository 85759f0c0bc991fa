"""Undertakings: the terms a partner signs, recorded and revoked."""

from __future__ import annotations

from datetime import datetime

from garante import records
from garante.domain.roles import Role
from garante.domain.undertaking import Undertaking
from garante.service import (
    undertakings,
    views,
    visibility,
)
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import undertakings as store_undertakings


class Undertakings(UseCases):
    """Undertakings: the terms a partner signs, recorded and revoked."""

    @entitled(Role.LIAISON, Role.PARTNER)
    def draft_undertaking(
        self,
        agency_id: str,
        *,
        permits: list[str],
        prohibits: list[str] | None = None,
        protections: list[str] | None = None,
        categories: list[str] | None = None,
        undertaking_id: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        own_namespace: bool = False,
    ) -> Undertaking:
        """Validated terms, nothing stored: the agency signs ``terms.statement()``.

        ``own_namespace`` is for a partner naming its own: see ``undertakings.draft_undertaking``;
        a partner always names its own, and drafts for its own agency only.
        """
        visibility.acts_for(self.principal, agency_id, what="gives undertakings")
        own_namespace = own_namespace or self.principal.is_partner
        with self.context.reads() as tx:
            terms = undertakings.draft_undertaking(
                tx,
                agency_id=agency_id,
                undertaking_id=undertaking_id,
                permits=permits,
                prohibits=prohibits or [],
                protections=protections or [],
                categories=categories or [],
                valid_from=valid_from,
                valid_until=valid_until,
                own_namespace=own_namespace,
            )
            return terms

    @entitled(Role.LIAISON, Role.PARTNER)
    def record_undertaking(
        self, terms: Undertaking, *, signature: bytes | None
    ) -> Change[records.Undertaking]:
        visibility.acts_for(self.principal, terms.agency_id, what="gives undertakings")
        with self._tx() as tx:
            row, moved = undertakings.record_undertaking(tx, terms=terms, signature=signature)
            return Change(
                value=views.undertaking(row), moved=visibility.moved(self.principal, moved)
            )

    @entitled(Role.LIAISON)
    def revoke_undertaking(
        self, undertaking_id: str, *, reason: str
    ) -> Change[records.Undertaking]:
        with self._tx() as tx:
            row, moved = undertakings.revoke_undertaking(
                tx, undertaking_id=undertaking_id, reason=reason
            )
            return Change(
                value=views.undertaking(row), moved=visibility.moved(self.principal, moved)
            )

    @entitled(*INTERNAL, Role.PARTNER)
    def undertakings(
        self, agency_id: str | None = None, page: Page | None = None
    ) -> list[records.Undertaking]:
        """Undertakings, of one agency if given; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_undertakings.page(session, page, agency_id=agency_id)
            return [views.undertaking(r) for r in rows]
