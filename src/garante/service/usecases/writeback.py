"""What partners write back (issue 21): signed acknowledgements of deliveries and of recalls,
signed outcome reports, and the recalls not yet acknowledged."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from garante import records
from garante.domain.acknowledgement import Acknowledgement, SignedWrite
from garante.domain.consent import ConsentRequest
from garante.domain.errors import GaranteError
from garante.domain.roles import Role
from garante.domain.timeutil import iso
from garante.service import (
    acknowledgements,
    consents,
    recalldeadlines,
    views,
    visibility,
    writeback,
)
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change
from garante.service.usecases.base import UseCases
from garante.store import acknowledgements as store_acknowledgements


class WriteBack(UseCases):
    """Partners' signed acknowledgements and outcome reports, each verified and logged."""

    @entitled(Role.PARTNER)
    def acknowledge(self, ack: Acknowledgement, *, signature: bytes | None) -> records.Acknowledged:
        """Record the partner's signed acknowledgement of a delivery or a recall, once."""
        visibility.acts_for(self.principal, ack.agency_id, what="acknowledges")
        with self._tx() as tx:
            row, new = acknowledgements.acknowledge(tx, ack=ack, signature=signature)
            return records.Acknowledged(acknowledgement=views.acknowledgement(row), new=new)

    @entitled(*INTERNAL, Role.PARTNER)
    def acknowledgements(self, agency_id: str | None = None) -> list[records.Acknowledgement]:
        """Acknowledgements received, of one agency if given; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_acknowledgements.of_agency(session, agency_id)
            return [views.acknowledgement(r) for r in rows]

    @entitled(*INTERNAL, Role.PARTNER)
    def unacknowledged_recalls(
        self, agency_id: str | None = None
    ) -> list[records.UnacknowledgedRecall]:
        """Recalled releases whose partner has not acknowledged the recall, oldest first."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_acknowledgements.unacknowledged_recalls(session, agency_id)
            if visibility.partner(self.principal) is not None:
                # A release withdrawn before it was delivered never reached the partner.
                rows = [r for r in rows if r.delivered_at is not None]
            now = self.clock.now()
            return [
                views.unacknowledged_recall(
                    r, item=store_acknowledgements.item_of(session, r.request_id), now=now
                )
                for r in rows
            ]

    @entitled()
    def enforce_recall_deadlines(self) -> Change[tuple[records.RecallHold, ...]]:
        """Hold each partner with a recall past its acknowledgement deadline and not
        acknowledged: one system order per such recall, issued once (``serve`` runs this every
        second). Which recalls are overdue is read first without the writer lock."""
        with self._read() as session:
            if not store_acknowledgements.any_overdue(session, self.clock.now()):
                return Change(value=())
        with self._tx() as tx:
            held = recalldeadlines.enforce(tx)
            return Change(
                value=tuple(
                    records.RecallHold(
                        order=h.order_id, agency=h.partner, release=h.release, ack_by=h.ack_by
                    )
                    for h in held
                ),
                moved=visibility.moved(self.principal, [m for h in held for m in h.moved]),
            )

    @entitled(Role.PARTNER)
    def write_back(self, writes: Sequence[SignedWrite]) -> records.WriteStatus:
        """Take each object a partner wrote to its write collection in its own transaction;
        the status (TAXII 2.1, 4.3) says what became of each, and is kept for the partner."""
        who = self.principal
        agency = str(who.agency_id)
        requested = self.clock.now()
        successes: list[records.WriteResult] = []
        failures: list[records.WriteResult] = []
        for write in writes:
            try:
                message = self._write(write)
            except GaranteError as exc:
                message = exc.message + (f" ({exc.hint})" if exc.hint else "")
                failures.append(_result(write, f"{exc.code}: {message}"))
                continue
            successes.append(_result(write, message))
        status = records.WriteStatus(
            id=str(uuid.uuid4()),
            agency=agency,
            status="complete",
            request_timestamp=iso(requested),
            total_count=len(writes),
            success_count=len(successes),
            failure_count=len(failures),
            pending_count=0,
            successes=tuple(successes),
            failures=tuple(failures),
        )
        with self._tx() as tx:
            writeback.save_status(tx, status)
        return status

    def _write(self, write: SignedWrite) -> str:
        """One object's write: what was recorded, or a ``GaranteError`` saying why not."""
        content = write.content
        if write.problem is not None or content is None:
            raise _Malformed(write.problem or "the object states nothing Garante records")
        visibility.acts_for(self.principal, content.agency_id, what="writes back")
        if isinstance(content, Acknowledgement):
            done = self.acknowledge(content, signature=write.signature)
            what = f"acknowledgement of {content.kind} of release {content.request_id}"
            if done.new:
                return f"recorded the {what}"
            return f"already recorded the {what} ({done.acknowledgement.id})"
        if isinstance(content, ConsentRequest):
            with self._tx() as tx:
                _, new = consents.request(tx, consent=content, signature=write.signature)
            what = f"consent request {content.id} for release {content.release}"
            return f"recorded the {what}" if new else f"already recorded the {what}"
        with self._tx() as tx:
            row, _, new = writeback.report_signed_outcome(
                tx, report=content, signature=write.signature
            )
            outcome = visibility.outcome(self.principal, views.outcome(row))
        what = f"outcome {outcome.id} ({outcome.kind}) of release {outcome.release}"
        return f"recorded {what}" if new else f"already recorded {what}"

    @entitled(Role.PARTNER)
    def write_status(self, status_id: str) -> records.WriteStatus:
        """The status of one of the partner's own writes; anyone else's does not exist."""
        with self._read() as session:
            return writeback.status(session, status_id, str(self.principal.agency_id))


class _Malformed(GaranteError):
    code = "writeback.malformed"
    http_status = 422


def _result(write: SignedWrite, message: str) -> records.WriteResult:
    return records.WriteResult(id=write.object_id, version=write.version, message=message)
