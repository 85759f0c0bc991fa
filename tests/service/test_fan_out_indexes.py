"""The indexes revision 0027 reshaped: a feed object's key leads with the object and is still
unique per partner, object and version; recalls are found through indexes that hold only the
recalled releases, not by reading every release."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from garante.service.app import Garante
from garante.store import acknowledgements
from garante.store.schema import FeedObjectRow


def _report(world: Garante, partner: str) -> FeedObjectRow:
    with world.context.reads() as reading:
        row = reading.session.scalars(
            select(FeedObjectRow).where(
                FeedObjectRow.partner_id == partner, FeedObjectRow.object_type == "report"
            )
        ).one()
        reading.session.expunge(row)
        return row


def test_two_partners_hold_the_same_version_of_an_object(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    world.request_release("lead", recipient="fbi", purpose="seizure")
    dea, fbi = _report(world, "dea"), _report(world, "fbi")
    assert (dea.object_id, dea.version) == (fbi.object_id, fbi.version)


def test_a_partner_never_holds_one_version_of_an_object_twice(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    held = _report(world, "dea")
    with pytest.raises(IntegrityError), world.context.writes("test") as tx:
        tx.session.add(
            FeedObjectRow(
                partner_id="dea",
                request_id=held.request_id,
                object_id=held.object_id,
                object_type=held.object_type,
                version=held.version,
                date_added=held.date_added,
                body=held.body,
                visible=True,
                is_latest=False,
            )
        )
        tx.session.flush()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_every_second_check_for_overdue_recalls_reads_only_recalled_releases(
    world: Garante,
) -> None:
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(world.engine, "before_cursor_execute", keep)
    try:
        with world.context.reads() as reading:
            acknowledgements.any_overdue(reading.session, datetime(2026, 1, 1, tzinfo=UTC))
    finally:
        event.remove(world.engine, "before_cursor_execute", keep)
    [(statement, parameters)] = [(s, p) for s, p in sent if "recall_ack_by" in s]
    with world.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    steps = [str(row[3]) for row in plan]
    assert any("ix_feed_releases_recall_due" in step for step in steps), steps
