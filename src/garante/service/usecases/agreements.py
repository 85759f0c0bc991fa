"""Standing agreements: a partner's standing request, made and changed by a liaison officer."""

from __future__ import annotations

from datetime import datetime, timedelta

from garante import records
from garante.domain.agreement import Agreement
from garante.domain.recalldeadline import parse_within
from garante.domain.roles import Role
from garante.service import agreements, fanout, lookup, views, visibility
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import agreements as store_agreements
from garante.store import feed as store_feed
from garante.store import requests as store_requests


class Agreements(UseCases):
    """Standing agreements: a partner's standing request, made and changed by a liaison."""

    @entitled(Role.LIAISON)
    def draft_agreement(
        self,
        partner: str,
        *,
        purposes: list[str],
        tlp_ceiling: str,
        categories: list[str] | None = None,
        regions: list[str] | None = None,
        originators: list[str] | None = None,
        agreement_id: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        recall_ack_within: str | None = None,
        onward_to: list[str] | None = None,
        onward_purposes: list[str] | None = None,
    ) -> Agreement:
        """Validated terms, nothing stored: the partner may countersign ``statement()``.
        ``recall_ack_within`` (``48h``): how long the partner has to acknowledge a recall.
        ``onward_to`` (agency ids, ISO 3166 codes) and ``onward_purposes``: the onward sharing
        the originator consents to in advance, granted without a liaison when asked."""
        with self.context.reads() as tx:
            return agreements.draft_agreement(
                tx,
                partner=partner,
                agreement_id=agreement_id,
                purposes=purposes,
                categories=categories or [],
                regions=regions or [],
                tlp_ceiling=agreements.tlp_ceiling(tlp_ceiling),
                originators=originators or [],
                valid_from=valid_from,
                valid_until=valid_until,
                recall_ack_within=_within(recall_ack_within),
                onward_to=onward_to,
                onward_purposes=onward_purposes,
            )

    @entitled(Role.LIAISON)
    def make_agreement(
        self,
        terms: Agreement,
        *,
        signature: bytes | None = None,
        backfill_from: datetime | None = None,
    ) -> Change[records.Agreement]:
        """Make an agreement; with ``backfill_from``, also start requests for the items added
        since then that it covers (``started``), in the same transaction (see
        ``simulate_agreement`` for a preview)."""
        with self._tx() as tx:
            row, started = agreements.make_agreement(
                tx, terms=terms, signature=signature, backfill_from=backfill_from
            )
            return Change(
                value=views.agreement(row, now=tx.now),
                started=visibility.moved(self.principal, started),
            )

    @entitled(Role.LIAISON)
    def simulate_agreement(
        self, terms: Agreement, *, backfill_from: datetime
    ) -> records.AgreementPreview:
        """What making ``terms`` with ``backfill_from`` would start now, and how each request
        would be decided; nothing is stored."""
        with self.context.reads() as tx:
            agreements.check_terms(tx, terms)
            return fanout.preview(tx, terms, since=backfill_from)

    @entitled(Role.LIAISON)
    def draft_agreement_amendment(
        self,
        agreement_id: str,
        *,
        purposes: list[str] | None = None,
        tlp_ceiling: str | None = None,
        categories: list[str] | None = None,
        regions: list[str] | None = None,
        originators: list[str] | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        clear_valid_until: bool = False,
        recall_ack_within: str | None = None,
        onward_to: list[str] | None = None,
        onward_purposes: list[str] | None = None,
    ) -> Agreement:
        """The next version, nothing stored: the terms given replace the current ones
        (``onward_to=[]`` ends the onward consent)."""
        with self.context.reads() as tx:
            return agreements.draft_amendment(
                tx,
                agreement_id=agreement_id,
                purposes=purposes,
                categories=categories,
                regions=regions,
                tlp_ceiling=agreements.tlp_ceiling(tlp_ceiling) if tlp_ceiling else None,
                originators=originators,
                valid_from=valid_from,
                valid_until=valid_until,
                clear_valid_until=clear_valid_until,
                recall_ack_within=_within(recall_ack_within),
                onward_to=onward_to,
                onward_purposes=onward_purposes,
            )

    @entitled(Role.LIAISON)
    def amend_agreement(
        self, terms: Agreement, *, reason: str, signature: bytes | None = None
    ) -> Change[records.Agreement]:
        with self._tx() as tx:
            row = agreements.amend_agreement(tx, terms=terms, signature=signature, reason=reason)
            return Change(value=views.agreement(row, now=tx.now))

    @entitled(Role.LIAISON)
    def suspend_agreement(self, agreement_id: str, *, reason: str) -> Change[records.Agreement]:
        with self._tx() as tx:
            row = agreements.suspend_agreement(tx, agreement_id=agreement_id, reason=reason)
            return Change(value=views.agreement(row, now=tx.now))

    @entitled(Role.LIAISON)
    def resume_agreement(self, agreement_id: str, *, reason: str) -> Change[records.Agreement]:
        with self._tx() as tx:
            row = agreements.resume_agreement(tx, agreement_id=agreement_id, reason=reason)
            return Change(value=views.agreement(row, now=tx.now))

    @entitled(Role.LIAISON)
    def end_agreement(self, agreement_id: str, *, reason: str) -> Change[records.Agreement]:
        with self._tx() as tx:
            row = agreements.end_agreement(tx, agreement_id=agreement_id, reason=reason)
            return Change(value=views.agreement(row, now=tx.now))

    @entitled(*INTERNAL, Role.PARTNER)
    def agreements(
        self, partner: str | None = None, page: Page | None = None
    ) -> list[records.Agreement]:
        """Agreements, of one partner if given; a partner sees only its own."""
        partner = visibility.agency_filter(self.principal, partner)
        with self.context.reads() as tx:
            rows = store_agreements.page(tx.session, page, partner_id=partner)
            return [views.agreement(row, now=tx.now) for row in rows]

    @entitled(*INTERNAL, Role.PARTNER)
    def agreement(self, agreement_id: str) -> records.Agreement:
        with self.context.reads() as tx:
            row = store_agreements.get(tx.session, agreement_id)
            visibility.check_agreement(
                self.principal, agreement_id, row.partner_id if row else None
            )
            if row is None:  # the names there are, for the internal roles only
                row = lookup.agreement(tx.session, agreement_id, field="agreement_id")
            return views.agreement(row, now=tx.now)

    # -- the requests an agreement started (the console's agreement page) ----------------

    @entitled(*INTERNAL)
    def agreement_requests(
        self, agreement_id: str, page: Page | None = None
    ) -> list[records.Standing]:
        """Every request ``agreement_id`` started (when made with a backfill, or when an item
        it covers was added), by id, each with the decision that stands for it and where the
        release stands in the partner's feed, as ``item_requests`` shows an item's. An
        unknown agreement is ``AgreementNotFound``, as ``agreement`` says."""
        with self.context.reads() as tx:
            lookup.agreement(tx.session, agreement_id, field="agreement_id")
            rows = store_requests.page(tx.session, page, agreement=agreement_id)
            ids = [row.id for row in rows]
            standing = store_requests.newest_decisions(tx.session, ids)
            delivery = store_feed.deliveries(tx.session, ids)
            return [views.standing(row, delivery.get(row.id), standing[row.id]) for row in rows]


def _within(text: str | None) -> timedelta | None:
    return parse_within(text, field="recall_ack_within") if text else None
