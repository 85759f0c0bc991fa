"""The audit log: its key, checkpoints, cosignatures, entries, proofs and verification."""

from __future__ import annotations

import base64
import json

from sqlalchemy.orm import Session

from garante import records
from garante.domain.errors import (
    NotFound,
    ValidationError,
)
from garante.domain.events import EventKind
from garante.domain.roles import Principal, Role
from garante.ledger.logcheck import LogReport
from garante.ledger.note import VerifierKey
from garante.service import (
    audit,
)
from garante.service.access import INTERNAL, entitled
from garante.service.usecases.base import UseCases
from garante.store import consents as stored_consents
from garante.store import feed as stored_feed
from garante.store import ledger as store_ledger
from garante.store import queries
from garante.store.database import (
    reachable,
)


class ReceiptNotFound(NotFound):
    code = "ledger.no_receipt"


def _delivered_to(session: Session, entry: bytes, who: Principal) -> bool:
    """Whether ``entry`` put objects in ``who``'s feed (``release.marked``) that it has been
    delivered: the only entries a partner is given. They say nothing but what it holds; one
    of a release withheld or withdrawn before delivery would tell it that release existed."""
    try:
        parsed = json.loads(entry)
        data = parsed["data"]
        if parsed["kind"] != EventKind.RELEASE_MARKED.value or data["partner"] != who.agency_id:
            return False
        release = stored_feed.release(session, int(data["request"]))
    except (ValueError, KeyError, TypeError):
        return False
    return release is not None and release.delivered_at is not None


def _partners_own(session: Session, entry: bytes, who: Principal) -> bool:
    """Whether ``who`` may have the receipt of ``entry``: a delivery to it, or the answer to
    one of its own consent requests (``consent.granted`` / ``consent.refused``), which it
    takes only proven (issue 21)."""
    return _delivered_to(session, entry, who) or _consent_answer_to(session, entry, who)


def _consent_answer_to(session: Session, entry: bytes, who: Principal) -> bool:
    try:
        parsed = json.loads(entry)
        if parsed["kind"] not in _CONSENT_ANSWERS:
            return False
        asked = stored_consents.get(session, str(parsed["data"]["consent"]))
    except (ValueError, KeyError, TypeError):
        return False
    return asked is not None and asked.agency_id == who.agency_id


_CONSENT_ANSWERS = frozenset({EventKind.CONSENT_GRANTED.value, EventKind.CONSENT_REFUSED.value})


class AuditLog(UseCases):
    """The audit log: its key, checkpoints, cosignatures, entries, proofs and verification."""

    def ledger_size(self) -> int:
        with self._read() as session:
            return queries.ledger_size(session)

    def log_verifier_key(self) -> str:
        with self._read() as session:
            stored = queries.setting(session, "log_verifier_key")
        if stored is None:
            raise audit.LogKeyMissing(
                "this store has no log key, so it publishes no checkpoints",
                hint="set GARANTE_LOG_KEY or GARANTE_LOG_KEY_FILE, or run `garante init`",
            )
        return str(stored)

    @entitled()
    def publish_checkpoint(self) -> audit.PublishedCheckpoint:
        return self.context.publish_checkpoint()

    def latest_checkpoint(self) -> audit.PublishedCheckpoint | None:
        with self._read() as session:
            row = store_ledger.latest_checkpoint(session)
            return audit.PublishedCheckpoint.from_row(row) if row else None

    def checkpoints(self) -> list[audit.PublishedCheckpoint]:
        with self._read() as session:
            return [
                audit.PublishedCheckpoint.from_row(r) for r in store_ledger.checkpoints(session)
            ]

    @entitled()
    def add_cosignature(self, size: int, line: str) -> audit.PublishedCheckpoint:
        with reachable(self.context.engine), self.context.sessions() as session, session.begin():
            return audit.add_cosignature(session, size, line)

    @entitled(*INTERNAL)
    def entries(self, start: int, end: int) -> list[records.LogEntry]:
        with self._read() as session:
            return [
                records.LogEntry(
                    index=r.idx,
                    kind=r.kind,
                    entry=r.entry.decode(),
                    leaf_hash=base64.b64encode(r.leaf_hash).decode(),
                )
                for r in store_ledger.entries(session, start, end)
            ]

    @entitled(*INTERNAL)
    def inclusion_proof(self, index: int, size: int | None = None) -> records.InclusionProof:
        with self._read() as session:
            size = audit.check_size(session, size)
            audit.check_index(session, index, size)
        self.context.integrate(size)  # a proof past the integrated size waits for its batch
        with self._read() as session:
            [row] = store_ledger.entries(session, index, index + 1)
            proof = store_ledger.inclusion_proof(session, index, size)
            return records.InclusionProof(
                index=index, size=size, leaf_hash=row.leaf_hash, entry=row.entry, proof=tuple(proof)
            )

    @entitled(*INTERNAL, Role.PARTNER)  # hashes only: a partner node checks the log grew
    def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> records.ConsistencyProof:
        with self._read() as session:
            new_size = audit.check_size(session, new_size, field="new")
            if not 0 < old_size <= new_size:
                raise ValidationError(
                    f"old size {old_size} must be from 1 to the new size {new_size}", field="old"
                )
        self.context.integrate(new_size)
        with self._read() as session:
            proof = store_ledger.consistency_proof(session, old_size, new_size)
            return records.ConsistencyProof(
                old_size=old_size, new_size=new_size, proof=tuple(proof)
            )

    @entitled()
    def receipt(self, index: int) -> records.Receipt:
        """A signed checkpoint covering entry ``index`` and the entry's inclusion proof in it."""
        checkpoint = self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= index:
            checkpoint = self.publish_checkpoint()
        proof = self.inclusion_proof(index, checkpoint.size)
        return records.Receipt(
            index=proof.index,
            size=proof.size,
            leaf_hash=proof.leaf_hash,
            entry=proof.entry,
            proof=proof.proof,
            checkpoint=checkpoint.note,
        )

    # -- receipts for partners: a delivery's proof ---------------------------------------------

    @entitled(*INTERNAL, Role.PARTNER)
    def delivery_receipt(self, index: int) -> records.Receipt:
        """The receipt of entry ``index`` (``receipt``): for a partner, only of a
        ``release.marked`` entry of its own, once delivered, or of the answer to one of its
        own consent requests; any other index (another partner's
        release, an order, one beyond the log) is ``ReceiptNotFound``, said alike, so that
        nothing about the rest of the log shows. The checkpoint is the latest, published first
        if none covers the entry yet, so a receipt is there as soon as the object is."""
        who = self.principal
        with self._read() as session:
            size = queries.ledger_size(session)
            found = store_ledger.entries(session, index, index + 1) if 0 <= index < size else []
            if not found or (who.is_partner and not _partners_own(session, found[0].entry, who)):
                raise ReceiptNotFound(
                    "no such receipt",
                    field="index",
                    hint="a delivered object names its receipt in its trace extension (log_index)",
                )
        checkpoint = self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= index:
            checkpoint = self.context.publish_checkpoint()
        with self._read() as session:
            [row] = store_ledger.entries(session, index, index + 1)
            proof = store_ledger.inclusion_proof(session, index, checkpoint.size)
        return records.Receipt(
            index=index,
            size=checkpoint.size,
            leaf_hash=row.leaf_hash,
            entry=row.entry,
            proof=tuple(proof),
            checkpoint=checkpoint.note,
        )

    @entitled()
    def verify_log(self, log_key: str | None = None, *, forms: bool = True) -> LogReport:
        """The stored log against its signed checkpoints; ``forms=False`` skips the RFC 8785
        check of each entry (the tree alone, several times faster on a large log)."""
        key = VerifierKey.parse(log_key or self.log_verifier_key())
        with self._read() as session:
            return audit.verify_store(session, key, forms=forms)
