"""The order timeline's geometry."""

from __future__ import annotations

from datetime import UTC, datetime

from garante import records
from garante.console.timeline import timeline

NOW = datetime(2025, 11, 13, 23, tzinfo=UTC)


def _order(order_id: str, start: str, **terms: str) -> records.Order:
    return records.Order(
        id=order_id,
        sequence=1,
        authority="presidency",
        effect="hold",
        scope={"countries": ["US"]},
        requires={},
        exempts=(),
        valid_from=start,
        valid_until=terms.get("valid_until"),
        while_condition=None,
        reason="test order",
        version=1,
        issued_at=start,
        amended_at=terms.get("amended_at"),
        lifted_at=terms.get("lifted_at"),
        lift_reason=None,
    )


def test_no_orders_no_timeline() -> None:
    assert timeline([], NOW) is None


def test_an_open_order_runs_to_the_right_edge() -> None:
    laid = timeline([_order("a", "2025-11-11T21:00:00Z")], NOW)
    assert laid is not None
    (bar,) = laid.bars
    assert bar.open_end and bar.x + bar.width == 100.0
    assert 0 < bar.x < laid.now_x < 100


def test_a_lifted_order_ends_at_its_lift() -> None:
    laid = timeline(
        [
            _order("a", "2025-11-11T00:00:00Z", lifted_at="2025-11-12T00:00:00Z"),
            _order("b", "2025-11-11T00:00:00Z", valid_until="2025-11-13T00:00:00Z"),
        ],
        NOW,
    )
    assert laid is not None
    lifted, expired = laid.bars
    assert lifted.ended_by == "lifted" and expired.ended_by == "expired"
    assert lifted.x == expired.x and lifted.width < expired.width


def test_the_axis_covers_now_and_has_round_ticks() -> None:
    laid = timeline([_order("a", "2025-11-01T00:00:00Z")], NOW)
    assert laid is not None
    assert laid.start < datetime(2025, 11, 1, tzinfo=UTC) and laid.end > NOW
    labels = [label for _, label in laid.ticks]
    assert labels and all(len(label) == 10 for label in labels)  # whole days: 2025-11-03
    assert all(0 <= x <= 100 for x, _ in laid.ticks)


def test_an_amendment_is_marked() -> None:
    laid = timeline([_order("a", "2025-11-11T21:00:00Z", amended_at="2025-11-12T15:00:00Z")], NOW)
    assert laid is not None
    (bar,) = laid.bars
    assert bar.amended_x is not None and bar.x < bar.amended_x < laid.now_x
