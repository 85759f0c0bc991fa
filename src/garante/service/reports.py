"""Per-partner reports over a period: decisions, time held, outcomes, breaches."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from garante.domain.timeutil import iso
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


def partner_report(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
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
    for agency_id in agencies.foreign_ids(session):
        rows[agency_id]
    for agency_id, outcome, count in requests.counts_by_recipient(session, start, end):
        rows[agency_id][outcome] = count
    # Held time: from the request to the re-decision that released it.
    released_later = requests.released_after_hold(session, start, end)
    waits: dict[str, list[float]] = defaultdict(list)
    for agency_id, requested_at, released_at in released_later:
        waits[agency_id].append((released_at - requested_at).total_seconds() / 3600)
    for agency_id, hours in waits.items():
        rows[agency_id]["held_then_released"] = len(hours)
        rows[agency_id]["mean_hours_held"] = round(sum(hours) / len(hours), 2)
        rows[agency_id]["max_hours_held"] = round(max(hours), 2)
    for agency_id, kind, breach, count in outcomes.counts_by_kind(session, start, end):
        by_kind = rows[agency_id]["outcomes"]
        by_kind[kind] = by_kind.get(kind, 0) + count
        if breach:
            rows[agency_id]["breaches"] += count
    return {
        "period": {"from": iso(start), "to": iso(end)},
        "partners": [
            {"partner": agency_id, **values} for agency_id, values in sorted(rows.items())
        ],
    }


def as_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    out = [list(COLUMNS)]
    for row in report["partners"]:
        kinds = ";".join(f"{k}={v}" for k, v in sorted(row["outcomes"].items()))
        out.append([str(row[c]) if c != "outcomes" else kinds for c in COLUMNS])
    return out
