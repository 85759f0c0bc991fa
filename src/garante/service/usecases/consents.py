"""Consent to share onward (issue 21), the upstream's side: partners ask, liaisons answer."""

from __future__ import annotations

from garante import records
from garante.domain.consent import ConsentRequest
from garante.domain.roles import Role
from garante.service import consents, views, visibility
from garante.service.access import INTERNAL, entitled
from garante.service.usecases.base import UseCases
from garante.store import consents as stored


class Consents(UseCases):
    """Partners' signed consent requests, verified and logged, and the liaison's answers."""

    @entitled(Role.PARTNER)
    def request_consent(
        self, consent: ConsentRequest, *, signature: bytes | None
    ) -> records.ConsentRequested:
        """Record the partner's signed request to share onward what a release gave it."""
        visibility.acts_for(self.principal, consent.agency_id, what="asks consent")
        with self._tx() as tx:
            row, new = consents.request(tx, consent=consent, signature=signature)
            return records.ConsentRequested(consent=views.consent(row), new=new)

    @entitled(*INTERNAL, Role.PARTNER)
    def consents(
        self, agency_id: str | None = None, status: str | None = None
    ) -> list[records.ConsentRequest]:
        """Consent requests received, oldest first; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = stored.listed(session, agency_id=agency_id, status=status)
            return [views.consent(r) for r in rows]

    @entitled(*INTERNAL, Role.PARTNER)
    def consent(self, consent_id: str) -> records.ConsentRequest:
        """One consent request; a partner's view of another's is that there is none."""
        own = visibility.partner(self.principal)
        with self._read() as session:
            row = stored.get(session, consent_id)
            if row is None or (own is not None and row.agency_id != own):
                raise consents.ConsentNotFound(
                    f"no consent request '{consent_id}'", field="consent"
                )
            return views.consent(row)

    @entitled(Role.LIAISON)
    def grant_consent(self, consent_id: str, *, reason: str) -> records.ConsentRequest:
        """Grant a pending consent request: the partner may share onward as it asked."""
        with self._tx() as tx:
            return views.consent(consents.answer(tx, consent_id, granted=True, reason=reason))

    @entitled(Role.LIAISON)
    def refuse_consent(self, consent_id: str, *, reason: str) -> records.ConsentRequest:
        """Refuse a pending consent request: the partner's onward release is denied."""
        with self._tx() as tx:
            return views.consent(consents.answer(tx, consent_id, granted=False, reason=reason))
