"""Release requests queued in one process share a transaction, and each keeps its own fate."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from garante.domain.errors import InvalidState, ItemNotFound, StoreUnavailable
from garante.domain.events import SettingsChanged
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.transaction import Transaction
from garante.store import queries

Call = Callable[[], Any]

# A released request logs its request, its decision and the objects it marks.
RELEASED_ENTRIES = 3


def release(world: Garante, item: str = "lead", recipient: str = "dea") -> Call:
    return lambda: world.request_release(item, recipient=recipient, purpose="seizure")


def half_done(tx: Transaction) -> None:
    """A change that logs, then refuses: what a half-written change would look like."""
    tx.audit(SettingsChanged(setting="half-done", value=None))
    raise InvalidState("refused after logging")


@contextmanager
def counting_commits(world: Garante) -> Iterator[list[object]]:
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(world.engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(world.engine, "commit", count)


def queued_behind_a_writer(world: Garante, first: Call, queued: list[Call]) -> list[Any]:
    """Run ``first``, then ``queued``, while another writer holds the lock; their outcomes.

    ``first`` leads the next transaction and waits for the lock; the others queue behind it,
    and once the lock is granted they are all committed together. An outcome is a result or an
    error.
    """
    with ThreadPoolExecutor(1 + len(queued)) as pool:
        with world.sessions() as session, session.begin():
            session.connection()  # the writer lock, held until this block ends
            futures = [pool.submit(first)]
            deadline = time.monotonic() + 10
            group = world.context.releases
            while not group.busy and time.monotonic() < deadline:
                time.sleep(0.005)  # until ``first`` has taken the lead and waits for the lock
            futures += [pool.submit(call) for call in queued]
            while group.waiting < 1 + len(queued) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert group.waiting == 1 + len(queued), "the calls never queued"
        return [future.exception(timeout=30) or future.result() for future in futures]


def test_requests_queued_behind_a_writer_commit_in_one_transaction(world: Garante) -> None:
    before = world.ledger_size()
    with counting_commits(world) as commits:
        outcomes = queued_behind_a_writer(world, release(world), [release(world)] * 4)
    # the writer that held the lock, then the leader and the four that queued meanwhile
    assert len(commits) == 2
    assert [o.outcome for o in outcomes] == ["released"] * 5
    assert len({o.request for o in outcomes}) == 5
    assert world.ledger_size() == before + RELEASED_ENTRIES * 5


def test_each_request_in_a_shared_transaction_gets_its_own_decision(world: Garante) -> None:
    outcomes = queued_behind_a_writer(
        world, release(world), [release(world, recipient=r) for r in ("dea", "nca", "fbi")]
    )
    for outcome in outcomes:
        [decision] = world.decisions(outcome.request)
        assert decision.outcome == outcome.outcome
    assert [o.recipient for o in outcomes] == ["dea", "dea", "nca", "fbi"]


def test_requests_queued_together_are_stored_with_one_insert_per_table(world: Garante) -> None:
    inserts: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("INSERT INTO release_requests"):
            inserts.append(statement)

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        outcomes = queued_behind_a_writer(
            world, release(world), [release(world, recipient=r) for r in ("dea", "nca", "fbi")]
        )
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert len({o.request for o in outcomes}) == 4
    assert len(world.requests()) == 4
    # The leader's group of one, then the three that queued behind it, as one bulk.
    assert len(inserts) <= 2


def test_each_request_of_a_group_is_logged_in_its_callers_name(world: Garante) -> None:
    def analyst(name: str) -> Garante:
        return world.acting_as(Principal(token_id=name, role=Role.ANALYST, agency_id="dipol"))

    callers = [analyst(name) for name in ("an-1", "an-2", "an-3")]
    before = world.ledger_size()
    queued_behind_a_writer(
        world,
        release(world),
        [release(caller) for caller in callers],
    )
    logged = [e for e in world.entries(before, world.ledger_size()) if e.kind.startswith("release")]
    expected = [world.actor] * RELEASED_ENTRIES + [
        c.actor for c in callers for _ in range(RELEASED_ENTRIES)
    ]
    assert [json.loads(e.entry)["actor"] for e in logged] == expected
    assert [r.requested_by for r in world.requests()] == [world.actor, *(c.actor for c in callers)]


def test_a_refused_request_in_a_batch_gets_its_error_and_the_others_commit(
    world: Garante,
) -> None:
    before = world.ledger_size()
    outcomes = queued_behind_a_writer(
        world, release(world), [release(world), release(world, item="no-such-item"), release(world)]
    )
    assert isinstance(outcomes[2], ItemNotFound)
    assert [o.outcome for i, o in enumerate(outcomes) if i != 2] == ["released"] * 3
    assert world.ledger_size() == before + RELEASED_ENTRIES * 3
    assert len(world.requests()) == 3


def test_a_failure_after_writing_aborts_the_batch_and_each_request_runs_alone(
    world: Garante,
) -> None:
    """A change refused after it logged could be half done: nothing of it may commit."""

    def faulty() -> None:
        world.context.releases.run(world._tx, "test", half_done)

    before = world.ledger_size()
    outcomes = queued_behind_a_writer(world, release(world), [release(world), faulty])
    assert isinstance(outcomes[2], InvalidState)
    assert [o.outcome for o in outcomes[:2]] == ["released"] * 2
    assert world.ledger_size() == before + RELEASED_ENTRIES * 2
    assert len(world.requests()) == 2
    assert "half-done" not in str(world.entries(before, world.ledger_size()))


def test_a_lone_change_refused_after_writing_stores_nothing_and_hears_its_own_error(
    world: Garante,
) -> None:
    before = world.ledger_size()
    with pytest.raises(InvalidState, match="refused after logging"):
        world.context.releases.run(world._tx, "test", half_done)
    assert world.ledger_size() == before


def test_a_failed_commit_is_not_run_again_and_every_request_in_it_hears_so(
    world: Garante,
) -> None:
    """A commit that fails may still have stored the changes: running them again could
    store them twice, so each caller hears the error and decides whether to retry."""
    commits = 0

    def fail_the_third(_connection: object) -> None:
        nonlocal commits
        commits += 1
        if commits == 2:  # the writer holding the lock, then the batch
            raise OperationalError("COMMIT", {}, Exception("connection lost at commit"))

    before = world.ledger_size()
    event.listen(world.engine, "commit", fail_the_third)
    try:
        outcomes = queued_behind_a_writer(world, release(world), [release(world)] * 2)
    finally:
        event.remove(world.engine, "commit", fail_the_third)
    assert all(isinstance(o, StoreUnavailable) for o in outcomes)
    assert commits == 2
    assert world.ledger_size() == before
    assert world.requests() == []


@pytest.mark.parametrize("threads", [8])
def test_many_threads_requesting_at_once_each_get_one_decision(
    world: Garante, threads: int
) -> None:
    before = world.ledger_size()
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(release(world)) for _ in range(10 * threads)]
        outcomes = [future.result(timeout=60) for future in futures]
    assert len({o.request for o in outcomes}) == 10 * threads
    assert world.ledger_size() == before + RELEASED_ENTRIES * 10 * threads
    assert world.context.releases.waiting == 0


def test_orders_and_conditions_read_at_one_instant_are_never_shared_with_another(
    world: Garante,
) -> None:
    with world.sessions() as session:
        now = world.clock.now()
        standing = queries.standing(session, now)
        with pytest.raises(ValueError, match="cannot describe"):
            queries.policy_state(session, now + timedelta(seconds=1), shared=standing)


def test_a_group_is_answered_before_the_checkpoint_it_makes_due_is_signed(
    world: Garante,
) -> None:
    world.checkpoint_every = 1  # every commit makes one due
    group = world.context.releases
    settle = group.settle
    assert settle is not None
    signing, may_sign = threading.Event(), threading.Event()

    def held_settle(tx: Transaction) -> None:
        signing.set()
        may_sign.wait(30)
        settle(tx)

    group.settle = held_settle
    with ThreadPoolExecutor(5) as pool:
        with world.sessions() as session, session.begin():
            session.connection()  # the writer lock: the five queue into one transaction
            leader = pool.submit(release(world))
            deadline = time.monotonic() + 10
            while not group.busy and time.monotonic() < deadline:
                time.sleep(0.005)
            others = [pool.submit(release(world)) for _ in range(4)]
            while group.waiting < 5 and time.monotonic() < deadline:
                time.sleep(0.005)
            assert group.waiting == 5, "the calls never queued"
        assert signing.wait(30), "the leader never came to sign"
        assert [f.result(timeout=30).outcome for f in others] == ["released"] * 4
        assert not leader.done()  # the leader's own answer waits for the signing
        may_sign.set()
        assert leader.result(timeout=30).outcome == "released"
    checkpoint = world.latest_checkpoint()
    assert checkpoint is not None and checkpoint.size == world.ledger_size()
