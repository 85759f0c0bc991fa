"""Outcomes partners report, and the report of each partner over a period."""

from __future__ import annotations

from datetime import datetime

from garante import records
from garante.domain.outcome import OutcomeReport
from garante.domain.roles import Role
from garante.service import (
    outcomes,
    reports,
    views,
    visibility,
)
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import outcomes as store_outcomes


class Outcomes(UseCases):
    """Outcomes partners report, and the report of each partner over a period."""

    @entitled(Role.ANALYST, Role.PARTNER)
    def report_outcome(
        self, report: OutcomeReport, *, signed: bool = False, signature: bytes | None = None
    ) -> Change[records.ReportedOutcome]:
        """Record an outcome; a breach suspends the partner at once (``moved`` shows it).

        ``signed``: the partner reports it itself, so its key signs it; always so for a
        partner, which reports outcomes of its own releases only. The same report again is
        recorded once (``new`` False, the outcome recorded before).
        """
        who = self.principal
        visibility.acts_for(who, report.agency_id, what="reports outcomes")
        with self._tx() as tx:
            reported = outcomes.report_outcome(
                tx, report=report, signed=signed or who.is_partner, signature=signature
            )
            return Change(
                value=visibility.outcome(who, views.outcome(reported.row)),
                moved=visibility.moved(who, reported.moved),
                new=reported.new,
            )

    @entitled(*INTERNAL, Role.PARTNER)
    def outcomes(
        self, agency_id: str | None = None, page: Page | None = None
    ) -> list[records.ReportedOutcome]:
        """Outcomes, of one agency if given; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_outcomes.page(session, page, agency_id=agency_id)
            return visibility.outcomes(self.principal, [views.outcome(r) for r in rows])

    @entitled(*INTERNAL)
    def partner_report(self, *, start: datetime, end: datetime) -> records.PartnerReport:
        with self._read() as session:
            return reports.partner_report(session, start, end)
