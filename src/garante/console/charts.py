"""Releases, holds and denials per partner per day, for the charts page.

Each day's counts are the service's partner report for that day: the requests made that day,
by the decision that stands for them now (a request held on Tuesday and released on Wednesday
counts as a Tuesday release). A partner sees only its own releases, as in the API.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

from garante.domain.timeutil import parse_time
from garante.service.app import Garante, Page

OUTCOMES = ("released", "held", "denied")
MAX_DAYS = 92


def window(now: datetime, days: int) -> list[date]:
    """The ``days`` calendar days (UTC) ending with today."""
    days = min(max(days, 1), MAX_DAYS)
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def by_partner(garante: Garante, days: list[date]) -> dict[str, dict[str, list[int]]]:
    """partner -> outcome -> one count per day, from one partner report per day."""
    out: dict[str, dict[str, list[int]]] = {}
    for n, day in enumerate(days):
        report = garante.partner_report(start=_midnight(day), end=_midnight(day + timedelta(1)))
        for row in report.partners:
            series = out.setdefault(row.partner, {k: [0] * len(days) for k in OUTCOMES})
            series["released"][n] = row.released
            series["held"][n] = row.held
            series["denied"][n] = row.denied
    return out


def own_releases(garante: Garante, agency_id: str, days: list[date]) -> dict[str, list[int]]:
    """What a partner may see: its own releases per day, nothing held or denied."""
    counts: Counter[date] = Counter()
    after: int | None = None
    while True:
        page = garante.requests(
            outcome="released", recipient=agency_id, page=Page(after=after, limit=500)
        )
        for row in page:
            counts[parse_time(row.requested_at).date()] += 1
        if len(page) < 500:
            break
        after = page[-1].id
    return {"released": [counts[d] for d in days]}


def active(series: dict[str, dict[str, list[int]]]) -> dict[str, dict[str, list[int]]]:
    """Partners with at least one request in the window, in id order."""
    return {
        partner: values
        for partner, values in sorted(series.items())
        if any(sum(counts) for counts in values.values())
    }


class PartnerSeries(TypedDict):
    id: str
    series: dict[str, list[int]]


class ChartData(TypedDict):
    """The JSON the page's script draws from (and the tables show without it)."""

    days: list[str]
    partners: list[PartnerSeries]


def chart_data(days: list[date], series: dict[str, dict[str, list[int]]]) -> ChartData:
    return {
        "days": [d.isoformat() for d in days],
        "partners": [
            {"id": partner, "series": {k: v for k, v in values.items()}}
            for partner, values in series.items()
        ],
    }
