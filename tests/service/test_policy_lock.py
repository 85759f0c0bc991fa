"""On PostgreSQL, releases hold the policy lock shared and policy changes hold it exclusively.

Two transactions on two connections, the lock each holds or waits for read from ``pg_locks``
(``tests/support/postgres.py``): a transaction shows there as waiting as soon as it asks, so
the tests wait for that, never for a time.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event

from garante.domain.decision import Outcome
from garante.domain.order import Scope
from garante.domain.request import ReleaseTriple
from garante.service import bulk, orders
from garante.service.app import Garante
from garante.store.database import POLICY_LOCK, SEQUENCER_LOCK
from tests.service.orders import issue
from tests.support.postgres import advisory_locks, await_waiter

SHARED = ("ShareLock", True)
EXCLUSIVE = ("ExclusiveLock", True)
TO_DEA = ReleaseTriple(item_id="lead", recipient_id="dea", purpose="seizure")


@pytest.fixture
def backend() -> str:
    return "postgresql"


def _kinds(garante: Garante) -> list[str]:
    entries = garante.entries(0, garante.ledger_size())
    return [json.loads(entry.entry)["kind"] for entry in entries]


def test_a_release_holds_only_the_shared_policy_lock_until_its_first_entry(
    world: Garante,
) -> None:
    with world.context.writes("test", release=True) as tx:
        tx.policy_state(item_ids=["lead"], agency_ids=["dea"], version=0)
        held = (
            advisory_locks(world.engine, POLICY_LOCK),
            advisory_locks(world.engine, SEQUENCER_LOCK),
        )
        assert held == ([SHARED], [])
        bulk.request_many(tx, [TO_DEA])
        held = (
            advisory_locks(world.engine, POLICY_LOCK),
            advisory_locks(world.engine, SEQUENCER_LOCK),
        )
        assert held == ([SHARED], [EXCLUSIVE])


def test_any_other_write_holds_the_policy_lock_exclusively_and_the_sequencer(
    world: Garante,
) -> None:
    with world.context.writes("test"):
        held = (
            advisory_locks(world.engine, POLICY_LOCK),
            advisory_locks(world.engine, SEQUENCER_LOCK),
        )
    assert held == ([EXCLUSIVE], [EXCLUSIVE])


def test_two_releases_decide_at_once(world: Garante) -> None:
    """While one release transaction has read the state and decided, another, on another
    connection, takes the shared lock, decides, appends and commits; the first then appends
    after it."""
    with ThreadPoolExecutor(1) as pool, world.context.writes("test", release=True) as first:
        first.policy_state(item_ids=["lead"], agency_ids=["dea"], version=0)
        second = pool.submit(world.request_release, "lead", recipient="fbi", purpose="seizure")
        assert second.result(timeout=60).outcome == Outcome.RELEASED
        assert advisory_locks(world.engine, POLICY_LOCK) == [SHARED]  # the first's, still
        [decided] = bulk.request_many(first, [TO_DEA])
    assert decided.decision.outcome == Outcome.RELEASED
    requested = [r.recipient for r in world.requests()]
    assert sorted(requested) == ["dea", "fbi"]
    assert _kinds(world)[-6:] == ["release.requested", "release.decided", "release.marked"] * 2


def test_an_order_waits_for_the_releases_that_hold_the_policy_lock(world: Garante) -> None:
    """The order asks while a release decides, waits until it commits, and is logged after
    it: the release, decided before the order was in force, was right to release, and the
    order, in its own transaction, withholds it from the feed it has not yet been fetched
    from."""
    with ThreadPoolExecutor(1) as pool:
        with world.context.writes("test", release=True) as tx:
            tx.policy_state(item_ids=["lead"], agency_ids=["dea"], version=0)
            order = pool.submit(issue, world, "deny")  # US-scoped: covers the DEA
            assert await_waiter(world.engine, POLICY_LOCK) == [SHARED, ("ExclusiveLock", False)]
            assert not order.done()
            [decided] = bulk.request_many(tx, [TO_DEA])
        assert order.result(timeout=60).value.effect == "deny"
    assert decided.decision.outcome == Outcome.RELEASED
    assert _kinds(world)[-5:] == [
        "release.requested",
        "release.decided",
        "release.marked",
        "order.issued",
        "release.withheld",
    ]
    assert (
        world.request_release("lead", recipient="dea", purpose="arrest").outcome == Outcome.DENIED
    )


def test_a_release_waits_for_a_policy_change_and_decides_on_what_it_committed(
    world: Garante,
) -> None:
    """A release asked while an order is being issued waits for the order to commit, and is
    then denied by it."""
    order = world.draft_order(
        authority_id="presidency",
        effect="deny",
        scope=Scope(countries=frozenset({"US"})),
        reason="issued while a release waits",
    ).order
    with ThreadPoolExecutor(1) as pool:
        with world.context.writes("test") as change:
            orders.issue_order(change, order=order, signature=None)  # as issue_order does
            release = pool.submit(world.request_release, "lead", recipient="dea", purpose="seizure")
            assert await_waiter(world.engine, POLICY_LOCK) == [EXCLUSIVE, ("ShareLock", False)]
            assert not release.done()
        assert release.result(timeout=60).outcome == Outcome.DENIED
    assert _kinds(world)[-3:] == ["order.issued", "release.requested", "release.decided"]


def test_releases_queued_while_a_batch_waits_for_the_sequencer_join_its_transaction(
    world: Garante,
) -> None:
    """A release's batch is taken before it waits for the sequencer (its shared lock is
    granted at once); what queues in the server meanwhile is committed with it, as it would
    have joined a batch waiting for the one writer lock, not in transactions of its own."""
    committed: list[object] = []

    def count(connection: object) -> None:
        committed.append(connection)

    event.listen(world.engine, "commit", count)
    group = world.context.releases
    with ThreadPoolExecutor(3) as pool:
        with world.context.writes("test", release=True) as holder:
            holder.sequence()  # the sequencer, held until this block ends
            first = pool.submit(world.request_release, "lead", recipient="dea", purpose="seizure")
            assert await_waiter(world.engine, SEQUENCER_LOCK) == [
                EXCLUSIVE,
                ("ExclusiveLock", False),
            ]
            queued = [
                pool.submit(world.request_release, "lead", recipient=r, purpose="arrest")
                for r in ("dea", "fbi")
            ]
            deadline = time.monotonic() + 60
            while group.waiting < 2:  # both queued behind the batch waiting for the sequencer
                assert time.monotonic() < deadline, "the requests never queued"
                time.sleep(0.01)
        decided = [f.result(timeout=60) for f in (first, *queued)]
    event.remove(world.engine, "commit", count)
    assert [d.outcome for d in decided] == [Outcome.RELEASED] * 3
    assert len(committed) == 2  # the holder's, and one for the three releases
