"""``garante db check``: a store's schema, its log and its state, checked in one snapshot.

The SQL lives with the store (``store/integrity.py``); this module runs it together with the
log's verification against its signed checkpoints (``service/audit.py``) and reports both. It
reads only, in one snapshot transaction, so it can run beside live servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from garante.domain.events import Json
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey
from garante.replay.run import replay_log
from garante.service import audit
from garante.service.audit import PublishedCheckpoint
from garante.service.logstate import compare
from garante.store import ledger, queries
from garante.store.database import reader
from garante.store.integrity import (
    NOT_LINKED,
    REPLAYED,
    LinkCheck,
    SchemaCheck,
    check_links,
    check_schema,
)


@dataclass(frozen=True, kw_only=True)
class LogCheck:
    """The stored log verified against its signed checkpoints (``ledger.logcheck``)."""

    entries: int
    checkpoints: int
    latest_checkpoint: int | None
    verified_size: int
    findings: list[str]
    first_bad_index: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True, kw_only=True)
class ReplayCheck:
    """The store's state against its log replayed with the published key (``--log-key``)."""

    entries: int
    signatures_verified: int
    decisions_rederived: int
    disagreements: list[str]
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.differences


@dataclass(kw_only=True)
class StoreReport:
    """Everything ``garante db check`` found; ``log`` and ``links`` are None when skipped.

    ``replay`` is None when no key was given: the log was then verified only with the key the
    store itself names, which vouches for nothing to someone who does not trust the store.
    """

    schema: SchemaCheck
    log: LogCheck | None = None
    links: LinkCheck | None = None
    replay: ReplayCheck | None = None
    not_linked: tuple[str, ...] = NOT_LINKED

    @property
    def failed(self) -> list[str]:
        """The names of the checks that failed (a skipped check is not a pass)."""
        names: list[str] = []
        if not self.schema.ok:
            names.append("schema")
        if self.log is None or not self.log.ok:
            names.append("audit log")
        if self.links is None or not self.links.ok:
            names.append("state and log")
        if self.replay is not None and not self.replay.ok:
            names.append("state against the replayed log")
        return names

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Json]:
        """The report as ``garante db check --json`` prints it."""
        return {
            "ok": self.ok,
            "failed": self.failed,
            "schema": {
                "ok": self.schema.ok,
                "revision": self.schema.revision,
                "head": self.schema.head,
            },
            "log": None
            if self.log is None
            else {
                "ok": self.log.ok,
                "entries": self.log.entries,
                "checkpoints": self.log.checkpoints,
                "latest_checkpoint": self.log.latest_checkpoint,
                "verified_size": self.log.verified_size,
                "first_bad_index": self.log.first_bad_index,
                "findings": self.log.findings,
            },
            "links": None
            if self.links is None
            else {
                "ok": self.links.ok,
                "checked": self.links.links,
                "orphans": [
                    {
                        "side": o.side,
                        "link": o.link,
                        "key": o.key,
                        "index": o.index,
                        "message": o.message,
                    }
                    for o in self.links.orphans
                ],
                "not_listed": self.links.truncated,
                "error": self.links.error,
            },
            "replay": None
            if self.replay is None
            else {
                "ok": self.replay.ok,
                "entries": self.replay.entries,
                "signatures_verified": self.replay.signatures_verified,
                "decisions_rederived": self.replay.decisions_rederived,
                "disagreements": self.replay.disagreements,
                "differences": self.replay.differences,
            },
            "not_linked": list(self.not_linked),
        }


# -- the checks ---------------------------------------------------------------------------


def check_store(
    engine: Engine, *, configured_key: str | None = None, log_key: VerifierKey | None = None
) -> StoreReport:
    """Run every check; a store at an old revision is not read further (its tables may differ).

    ``configured_key`` is the verifier key of the signing key this process is configured with
    (``GARANTE_LOG_KEY`` or its file), when there is one: it must be the store's own, or the
    servers would sign checkpoints nobody can verify with the published key. ``log_key`` is
    the key the operator published, given by whoever checks: with it, the log is verified
    against that key and replayed, and the store's state compared with the replay.
    """
    report = StoreReport(schema=check_schema(engine))
    if not report.schema.ok:
        return report
    with Session(reader(engine)) as session, session.begin():
        report.log = check_log(session, configured_key=configured_key)
        report.links = check_links(session)
        if log_key is not None:
            report.log, report.replay = check_replay(session, report.log, log_key)
            report.not_linked = tuple(n for n in NOT_LINKED if n not in REPLAYED)
    return report


def check_replay(
    session: Session, stored: LogCheck, log_key: VerifierKey
) -> tuple[LogCheck, ReplayCheck]:
    """The log verified with the given key and replayed; the state compared with the replay."""
    notes = [PublishedCheckpoint.from_row(row).note for row in ledger.checkpoints(session)]
    result = replay_log(audit.stored_entries(session), notes, log_key)
    findings = [str(finding) for finding in result.log.findings]
    stored_key = queries.setting(session, "log_verifier_key")
    if stored_key is not None and stored_key != log_key.to_text():
        findings.insert(
            0,
            "the store names a different log key than the one given; its checkpoints are "
            "checked against the one given",
        )
    if not notes and result.log.entries:
        findings.append(
            f"the log has {result.log.entries} entries and no signed checkpoint to verify "
            "them against (publish one with `garante audit checkpoint`)"
        )
    log = LogCheck(
        entries=result.log.entries,
        checkpoints=result.log.checkpoints_verified,
        latest_checkpoint=stored.latest_checkpoint,
        verified_size=result.log.latest_verified_size,
        findings=findings,
        first_bad_index=result.log.first_bad_index,
    )
    replay = ReplayCheck(
        entries=result.replay.entries,
        signatures_verified=result.replay.signatures_verified,
        decisions_rederived=result.replay.decisions_rederived,
        disagreements=[str(d) for d in result.replay.disagreements],
        differences=[str(d) for d in compare(session, result.replayer.state)],
    )
    return log, replay


def check_log(session: Session, *, configured_key: str | None = None) -> LogCheck:
    """The stored log against its signed checkpoints, with the verifier the project ships."""
    size = queries.ledger_size(session)
    latest = ledger.latest_checkpoint(session)
    stored_key = queries.setting(session, "log_verifier_key")
    findings: list[str] = []
    if configured_key is not None and stored_key is not None and configured_key != stored_key:
        findings.append(
            "the configured log key (GARANTE_LOG_KEY or its file) is not the key this store's "
            f"log is signed with; the store expects {stored_key}"
        )

    def unverified() -> LogCheck:
        return LogCheck(
            entries=size,
            checkpoints=0,
            latest_checkpoint=latest.size if latest else None,
            verified_size=0,
            findings=findings,
        )

    if size == 0 and latest is None:
        return unverified()  # an empty log: nothing to sign yet
    if stored_key is None:
        findings.append(
            f"the log has {size} entries but the store records no log verifier key, "
            "so nothing can be verified (set GARANTE_LOG_KEY_FILE and run `garante init`)"
        )
        return unverified()
    if latest is None:
        findings.append(
            f"the log has {size} entries and no signed checkpoint to verify them against "
            "(publish one with `garante audit checkpoint`)"
        )
        return unverified()
    try:
        key = VerifierKey.parse(str(stored_key))
    except LedgerError as exc:
        findings.append(f"the store's log verifier key cannot be read: {exc}")
        return unverified()
    verified = audit.verify_store(session, key)
    findings += [str(finding) for finding in verified.findings]
    return LogCheck(
        entries=verified.entries,
        checkpoints=verified.checkpoints_verified,
        latest_checkpoint=latest.size,
        verified_size=verified.latest_verified_size,
        findings=findings,
        first_bad_index=verified.first_bad_index,
    )
