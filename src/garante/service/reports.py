"""Per-partner reports over a period: decisions, time held, outcomes, breaches."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from garante.domain.timeutil import iso
from garante.store.schema import AgencyRow, DecisionRow, OutcomeRow, RequestRow

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


def partner_report(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    period = and_(RequestRow.requested_at >= start, RequestRow.requested_at < end)
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "released": 0,
            "held": 0,
            "denied": 0,
            "held_then_released": 0,
            "mean_hours_held": 0.0,
            "max_hours_held": 0.0,
            "outcomes": {},
            "breaches": 0,
        }
    )
    # Every foreign partner appears, even with nothing in the period; domestic services only
    # when something was released to them.
    for agency_id in session.scalars(
        select(AgencyRow.id).where(AgencyRow.domestic.is_(False)).order_by(AgencyRow.id)
    ):
        rows[agency_id]
    counts = session.execute(
        select(RequestRow.recipient_id, RequestRow.outcome, func.count())
        .where(period)
        .group_by(RequestRow.recipient_id, RequestRow.outcome)
    )
    for agency_id, outcome, count in counts:
        rows[agency_id][outcome] = int(count)
    # Held time: from the request to the re-decision that released it.
    released_later = session.execute(
        select(RequestRow.recipient_id, RequestRow.requested_at, func.min(DecisionRow.decided_at))
        .join(DecisionRow, DecisionRow.request_id == RequestRow.id)
        .where(period, DecisionRow.outcome == "released", DecisionRow.trigger != "request")
        .group_by(RequestRow.id, RequestRow.recipient_id, RequestRow.requested_at)
    )
    waits: dict[str, list[float]] = defaultdict(list)
    for agency_id, requested_at, released_at in released_later:
        waits[agency_id].append((released_at - requested_at).total_seconds() / 3600)
    for agency_id, hours in waits.items():
        rows[agency_id]["held_then_released"] = len(hours)
        rows[agency_id]["mean_hours_held"] = round(sum(hours) / len(hours), 2)
        rows[agency_id]["max_hours_held"] = round(max(hours), 2)
    outcomes = session.execute(
        select(OutcomeRow.agency_id, OutcomeRow.kind, OutcomeRow.breach, func.count())
        .where(OutcomeRow.occurred_at >= start, OutcomeRow.occurred_at < end)
        .group_by(OutcomeRow.agency_id, OutcomeRow.kind, OutcomeRow.breach)
    )
    for agency_id, kind, breach, count in outcomes:
        by_kind = rows[agency_id]["outcomes"]
        by_kind[kind] = by_kind.get(kind, 0) + int(count)
        if breach:
            rows[agency_id]["breaches"] += int(count)
    return {
        "period": {"from": iso(start), "to": iso(end)},
        "partners": [
            {"partner": agency_id, **values} for agency_id, values in sorted(rows.items())
        ],
    }


def as_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    out = [list(COLUMNS)]
    for row in report["partners"]:
        outcomes = ";".join(f"{k}={v}" for k, v in sorted(row["outcomes"].items()))
        out.append([str(row[c]) if c != "outcomes" else outcomes for c in COLUMNS])
    return out
