"""Per-partner reports over a period: decisions, time held, outcomes, breaches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.decision import Outcome
from garante.domain.timeutil import iso
from garante.records import PartnerLine, PartnerReport
from garante.store import agencies, outcomes, requests

COLUMNS = (
    "partner",
    "released",
    "held",
    "denied",
    "held_then_released",
    "mean_hours_held",
    "max_hours_held",
    "outcomes",
    "breaches",
)


@dataclass(kw_only=True)
class _Tally:
    """One partner's line while the report is counted."""

    released: int = 0
    held: int = 0
    denied: int = 0
    held_then_released: int = 0
    mean_hours_held: float = 0.0
    max_hours_held: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    breaches: int = 0

    def line(self, partner: str) -> PartnerLine:
        return PartnerLine(
            partner=partner,
            released=self.released,
            held=self.held,
            denied=self.denied,
            held_then_released=self.held_then_released,
            mean_hours_held=self.mean_hours_held,
            max_hours_held=self.max_hours_held,
            outcomes=dict(self.outcomes),
            breaches=self.breaches,
        )


def partner_report(session: Session, start: datetime, end: datetime) -> PartnerReport:
    rows: dict[str, _Tally] = defaultdict(_Tally)
    # Every foreign partner appears, even with nothing in the period; domestic services only
    # when something was released to them.
    for agency_id in agencies.foreign_ids(session):
        rows[agency_id]
    for agency_id, outcome, count in requests.counts_by_recipient(session, start, end):
        tally = rows[agency_id]
        match outcome:
            case Outcome.RELEASED:
                tally.released = count
            case Outcome.HELD:
                tally.held = count
            case Outcome.DENIED:
                tally.denied = count
    # Held time: from the request to the re-decision that released it.
    released_later = requests.released_after_hold(session, start, end)
    waits: dict[str, list[float]] = defaultdict(list)
    for agency_id, requested_at, released_at in released_later:
        waits[agency_id].append((released_at - requested_at).total_seconds() / 3600)
    for agency_id, hours in waits.items():
        rows[agency_id].held_then_released = len(hours)
        rows[agency_id].mean_hours_held = round(sum(hours) / len(hours), 2)
        rows[agency_id].max_hours_held = round(max(hours), 2)
    for agency_id, kind, breach, count in outcomes.counts_by_kind(session, start, end):
        by_kind = rows[agency_id].outcomes
        by_kind[kind] = by_kind.get(kind, 0) + count
        if breach:
            rows[agency_id].breaches += count
    return PartnerReport(
        period={"from": iso(start), "to": iso(end)},
        partners=tuple(tally.line(agency_id) for agency_id, tally in sorted(rows.items())),
    )


def as_csv_rows(report: PartnerReport) -> list[list[str]]:
    out = [list(COLUMNS)]
    for row in report.partners:
        kinds = ";".join(f"{k}={v}" for k, v in sorted(row.outcomes.items()))
        out.append([str(getattr(row, c)) if c != "outcomes" else kinds for c in COLUMNS])
    return out
