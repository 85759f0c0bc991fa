"""Orders on a timeline: where each bar starts and ends, as percentages of the axis.

A bar runs from ``valid_from`` to whichever comes first of the lift and ``valid_until``; an
order with neither runs past the right edge (``open_end``). The axis spans the earliest start
to a little after the latest instant shown, "now" included, so current orders are visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from garante import records
from garante.domain.timeutil import parse_time

_STEPS = tuple(
    timedelta(hours=h) for h in (1, 3, 6, 12, 24, 48, 24 * 7, 24 * 14, 24 * 30, 24 * 91, 24 * 365)
)
_MAX_TICKS = 8


@dataclass(frozen=True, kw_only=True)
class Bar:
    order: records.Order
    start: datetime
    end: datetime | None  # None: open-ended
    ended_by: str | None  # "lifted", "expired" or None
    x: float
    width: float
    amended_x: float | None

    @property
    def open_end(self) -> bool:
        return self.end is None


@dataclass(frozen=True, kw_only=True)
class Timeline:
    start: datetime
    end: datetime
    now_x: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]


def _end(order: records.Order) -> tuple[datetime | None, str | None]:
    lifted = parse_time(order.lifted_at) if order.lifted_at else None
    until = parse_time(order.valid_until) if order.valid_until else None
    if lifted is not None and (until is None or lifted <= until):
        return lifted, "lifted"
    if until is not None:
        return until, "expired"
    return None, None


def timeline(orders: Sequence[records.Order], now: datetime) -> Timeline | None:
    """Lay out ``orders`` against ``now``; ``None`` if there are none."""
    if not orders:
        return None
    spans = [(parse_time(o.valid_from), *_end(o)) for o in orders]
    first = min(start for start, _, _ in spans)
    last = max([now, *(end for _, end, _ in spans if end is not None)])
    width = max(last - first, timedelta(hours=1))
    axis_start = first - width * 0.05
    axis_end = last + width * 0.1
    total = (axis_end - axis_start).total_seconds()

    def x(at: datetime) -> float:
        return round(100 * (at - axis_start).total_seconds() / total, 3)

    bars = []
    for order, (start, end, ended_by) in zip(orders, spans, strict=True):
        right = x(end) if end is not None else 100.0
        amended = parse_time(order.amended_at) if order.amended_at else None
        bars.append(
            Bar(
                order=order,
                start=start,
                end=end,
                ended_by=ended_by,
                x=x(start),
                width=max(right - x(start), 0.4),
                amended_x=x(amended) if amended is not None else None,
            )
        )
    return Timeline(
        start=axis_start,
        end=axis_end,
        now_x=x(now),
        bars=tuple(bars),
        ticks=tuple((x(at), label) for at, label in _ticks(axis_start, axis_end)),
    )


def _ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Round instants (whole hours, midnights UTC) at the smallest step that fits the axis."""
    span = end - start
    step = next((s for s in _STEPS if span / s <= _MAX_TICKS), _STEPS[-1])
    epoch = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday at midnight: weekly steps start Mondays
    first = epoch + step * -(-(start - epoch) // step)  # the first multiple at or after start
    out: list[datetime] = []
    at = first
    while at <= end and len(out) < _MAX_TICKS * 2:
        out.append(at)
        at += step
    fmt = "%Y-%m-%d" if step >= timedelta(days=1) else "%m-%d %H:%M"
    return [(at, at.strftime(fmt)) for at in out]
