"""What partners write back: acknowledgements and signed outcome reports, each verified
against the partner's registered key, accepted once, and the status of each TAXII write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy.orm import Session

from garante import records
from garante.domain.errors import NotFound
from garante.domain.outcome import OutcomeReport
from garante.service import outcomes, partnerstatements
from garante.service.transaction import Transaction
from garante.store import taxii_statuses


class StatusNotFound(NotFound):
    code = "taxii.status_not_found"


def report_signed_outcome(
    tx: Transaction, *, report: OutcomeReport, signature: bytes | None
) -> outcomes.Reported:
    """An outcome the partner signed by its registered key (a TAXII write carries no unsigned
    statement), recorded once: the same statement again gives the outcome recorded before
    (``new`` False: nothing more logged)."""
    session = tx.session
    statement = report.statement()
    partnerstatements.check_partner_signature(
        session,
        agency_id=report.agency_id,
        statement=statement,
        signature=signature,
        what="report",
    )
    return outcomes.report_outcome(tx, report=report, signed=True, signature=signature)


def save_status(tx: Transaction, status: records.WriteStatus) -> None:
    taxii_statuses.add(
        tx.session,
        status_id=status.id,
        agency_id=status.agency,
        at=tx.now,
        body=json.dumps(asdict(status)),
    )


def status(session: Session, status_id: str, agency_id: str) -> records.WriteStatus:
    """A write's status, to the partner that wrote it only: to anyone else it does not exist."""
    row = taxii_statuses.get(session, status_id)
    if row is None or row.agency_id != agency_id:
        raise StatusNotFound(f"no status {status_id} for this caller", field="status")
    body = json.loads(row.body)
    return records.WriteStatus(
        **{
            **body,
            "successes": _results(body["successes"]),
            "failures": _results(body["failures"]),
        }
    )


def _results(items: list[Mapping[str, str]]) -> tuple[records.WriteResult, ...]:
    return tuple(records.WriteResult(**item) for item in items)
