"""Consent to share onward (issue 21), the upstream's side: partners ask, liaisons answer."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

from garante import records
from garante.client import GaranteAPIError, GaranteClient
from garante.domain.consent import ConsentRequest, Onward
from garante.domain.errors import GaranteError, InvalidState, UpstreamFailed, ValidationError
from garante.domain.roles import Role
from garante.service import consents, lookup, onward, views, visibility
from garante.service.access import INTERNAL, entitled
from garante.service.usecases.base import UseCases
from garante.signatures import canonical
from garante.store import consents as stored
from garante.store import sources as stored_sources
from garante.store.queries import vocabulary
from garante.store.schema import ConsentAskedRow, SourceRow

#: How long a node waits on its upstream when it asks consent or fetches an answer.
_TIMEOUT = 30.0
#: The longest consent request id, as the upstream and this node's store keep it.
ID_LENGTH = 128


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

    # -- on a node: consent asked of a Garante upstream, and its answer taken proven -------

    @entitled(Role.ANALYST)
    def ask_consent(
        self,
        item_id: str,
        *,
        recipient: str,
        purpose: str,
        sign: Callable[[bytes], bytes],
        consent_id: str | None = None,
    ) -> records.ConsentAsked:
        """Ask the Garante upstream ``item_id`` came from for consent to share it with
        ``recipient`` (an agency this node knows) for ``purpose``: the request, signed with
        ``sign`` (the key of the agency this node is at the upstream), is sent with the
        source's credentials and recorded here as asked.

        ``consent_id`` is the request's id, as the caller chose it (the upstream's answer
        names it), else a new ``consent--UUID``; an id this node asked before is refused
        before anything is sent (``consent.id_taken``), as is one the upstream holds for
        other content."""
        if consent_id is not None and not 1 <= len(consent_id) <= ID_LENGTH:
            raise ValidationError(
                f"a consent request's id is 1 to {ID_LENGTH} characters", field="id"
            )
        with self._read() as session:
            if consent_id is not None and stored.asked(session, consent_id) is not None:
                raise consents.ConsentIdTaken(
                    f"consent {consent_id} was asked before on this node",
                    field="id",
                    hint="give each consent request its own id, or leave --id out",
                )
            item = lookup.item(session, item_id)
            agency = lookup.agency(session, recipient, field="recipient")
            vocabulary(session).check("purposes", [purpose], field_name="purpose")
            found = stored_sources.taken_from(session, item.id)
            terms = found.terms if found is not None else None
            taken = Onward.of_terms(terms)
            if found is None or taken is None or not isinstance(terms, dict):
                raise InvalidState(
                    f"item {item.id} was not taken from a Garante upstream: no consent to ask",
                    field="item",
                )
            source = stored_sources.get(session, found.source_id)
            assert source is not None  # an ingest names its source
            url, secret, source_id = source.url, source.secret, source.id
        now = self.clock.now().replace(microsecond=0)
        consent = ConsentRequest(
            id=consent_id or f"consent--{uuid.uuid4()}",
            agency_id=str(terms["released_to"]),
            release=taken.request,
            recipient=agency.id,
            country=agency.country,
            purpose=purpose,
            requested_at=now,
        )
        statement = consent.statement()
        signature = base64.b64encode(sign(canonical(statement))).decode()
        try:
            with GaranteClient(url, secret, timeout=_TIMEOUT) as upstream:
                upstream.request_consent(
                    consent.release,
                    agency=consent.agency_id,
                    recipient=consent.recipient,
                    country=consent.country,
                    purpose=purpose,
                    signature=signature,
                    consent_id=consent.id,
                    requested_at=now,
                )
        except GaranteAPIError as exc:
            if exc.code == consents.ConsentIdTaken.code:
                raise consents.ConsentIdTaken(
                    f"the upstream Garante at {url} holds consent request {consent.id} with "
                    "other content",
                    field="id",
                    hint="give each consent request its own id, or leave --id out",
                ) from None
            raise UpstreamFailed(
                f"the upstream Garante at {url} refused the consent request: {exc.code}: "
                f"{exc.message}",
                field="url",
            ) from None
        with self._tx() as tx:
            row = stored.add_asked(
                tx.session,
                ConsentAskedRow(
                    id=consent.id,
                    source_id=source_id,
                    item_id=item_id,
                    upstream_origin=taken.origin,
                    upstream_request=taken.request,
                    recipient_id=agency.id,
                    purpose=purpose,
                    statement=canonical(statement).decode(),
                    asked_by=tx.actor,
                    asked_at=now,
                    status="asked",
                ),
            )
            return views.consent_asked(row)

    @entitled(*INTERNAL)
    def asked_consents(self, status: str | None = None) -> list[records.ConsentAsked]:
        """The consents this node asked of its upstreams, oldest first."""
        with self._read() as session:
            return [views.consent_asked(r) for r in stored.asked_list(session, status=status)]

    @entitled(Role.ANALYST)
    def take_consent(self, consent_id: str, served: onward.ServedAnswer) -> records.ConsentAsked:
        """Take the answer to a consent this node asked, proven by the upstream's receipt of
        its log entry; the held requests it may move are decided again."""
        with self._tx() as tx:
            row, moved = onward.take(tx, consent_id, served)
            return views.consent_asked(row, moved=tuple(d.request.id for d in moved))

    @entitled(Role.ANALYST)
    def fetch_consents(self) -> list[records.ConsentAsked]:
        """Ask each upstream for the answers to the consents still awaited, and take each
        one answered, proven; one whose answer does not prove says why (``problem``)."""
        with self._read() as session:
            waiting = [
                (row.id, source.url, source.secret)
                for row in stored.asked_list(session, status="asked")
                if (source := session.get(SourceRow, row.source_id)) is not None
            ]
        done: list[records.ConsentAsked] = []
        for consent_id, url, secret in waiting:
            try:
                with GaranteClient(url, secret, timeout=_TIMEOUT) as upstream:
                    served = onward.served_answer(upstream, consent_id)
                if served is None:
                    continue
                done.append(self.take_consent(consent_id, served))
            except (GaranteError, GaranteAPIError) as exc:
                with self._read() as session:
                    row = stored.asked(session, consent_id)
                    assert row is not None
                    message = getattr(exc, "message", str(exc))
                    done.append(views.consent_asked(row, problem=f"{exc.code}: {message}"))
        return done
