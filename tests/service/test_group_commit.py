"""Release requests queued in one process share a transaction, and each keeps its own fate."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from garante.domain.errors import InvalidState, ItemNotFound, StoreUnavailable
from garante.domain.events import SettingsChanged
from garante.domain.roles import Principal, Role
from garante.records import Decided
from garante.service import batch
from garante.service.app import Garante
from garante.service.tokens import Forbidden
from garante.service.transaction import Transaction
from garante.store import feed as store_feed
from garante.store import ledger as store_ledger
from garante.store import queries
from garante.store import requests as store_requests
from garante.store import session as session_helpers

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


@contextmanager
def bulk_inserts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Each bulk insert the release path sends (``store.session.insert_many``, the driver's
    executemany, which SQLAlchemy's statement events never see): its table and row count."""
    seen: list[tuple[str, int]] = []
    real = session_helpers.insert_many

    def counted(session: Any, table: Any, columns: Any, rows: Any, **options: Any) -> None:
        seen.append((table.name, len(rows)))
        real(session, table, columns, rows, **options)

    for module in (store_requests, store_ledger, store_feed):
        monkeypatch.setattr(module, "insert_many", counted)
    yield seen


def test_requests_queued_together_are_stored_with_one_insert_per_table(
    world: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bulk_inserts(monkeypatch) as seen:
        outcomes = queued_behind_a_writer(
            world, release(world), [release(world, recipient=r) for r in ("dea", "nca", "fbi")]
        )
    assert len({o.request for o in outcomes}) == 4
    assert len(world.requests()) == 4
    # The leader takes what queued while it waited for the lock: one group of four.
    for table in ("release_requests", "decisions", "feed_releases", "ledger_entries"):
        assert [rows for name, rows in seen if name == table] == [
            4 * (RELEASED_ENTRIES if table == "ledger_entries" else 1)
        ], table


def test_the_entries_of_a_group_s_callers_each_in_their_own_name_go_in_one_insert(
    world: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    callers = [
        world.acting_as(Principal(token_id=name, role=Role.ANALYST, agency_id="dipol"))
        for name in ("an-1", "an-2", "an-3")
    ]
    with bulk_inserts(monkeypatch) as seen:
        queued_behind_a_writer(world, release(world), [release(caller) for caller in callers])
    assert [rows for name, rows in seen if name == "ledger_entries"] == [4 * RELEASED_ENTRIES]


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


# -- callers that wait through a future (an event loop's) ---------------------------------------


def soon(world: Garante, item: str = "lead", recipient: str = "dea") -> Future[Decided]:
    return world.request_release_soon(item, recipient=recipient, purpose="seizure")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_a_request_queued_through_a_future_is_answered_once_its_transaction_commits(
    world: Garante,
) -> None:
    with world.sessions() as session, session.begin():
        session.connection()  # the writer lock, held until this block ends
        future = soon(world)
        wait_until(lambda: world.context.releases.busy, "the request never queued")
        time.sleep(0.05)
        assert not future.done()  # its transaction waits for the lock
    decided = future.result(timeout=30)
    assert decided.outcome == "released"
    assert [r.id for r in world.requests()] == [decided.request]


def test_requests_queued_through_futures_behind_a_writer_commit_in_one_transaction(
    world: Garante,
) -> None:
    before = world.ledger_size()
    with counting_commits(world) as commits:
        with world.sessions() as session, session.begin():
            session.connection()
            futures = [soon(world, recipient=r) for r in ("dea", "nca", "fbi", "dea")]
            wait_until(lambda: world.context.releases.waiting == 4, "the requests never queued")
        decided = [future.result(timeout=30) for future in futures]
    # the writer that held the lock, then the four that queued meanwhile
    assert len(commits) == 2
    assert [d.recipient for d in decided] == ["dea", "nca", "fbi", "dea"]
    assert len({d.request for d in decided}) == 4
    assert world.ledger_size() == before + RELEASED_ENTRIES * 4


def test_a_refused_request_queued_through_a_future_hears_its_own_error_alone(
    world: Garante,
) -> None:
    with world.sessions() as session, session.begin():
        session.connection()
        futures = [soon(world), soon(world, item="no-such-item"), soon(world)]
        wait_until(lambda: world.context.releases.waiting == 3, "the requests never queued")
    assert isinstance(futures[1].exception(timeout=30), ItemNotFound)
    assert [futures[i].result(timeout=30).outcome for i in (0, 2)] == ["released"] * 2
    assert len(world.requests()) == 2


def test_a_future_can_only_be_refused_by_the_role_check_before_it_queues(
    world: Garante,
) -> None:
    partner = world.acting_as(Principal(token_id="p", role=Role.PARTNER, agency_id="dea"))
    with pytest.raises(Forbidden):
        soon(partner)
    assert world.context.releases.waiting == 0
    assert world.requests() == []


@contextmanager
def held_commits(world: Garante, count: int) -> Iterator[tuple[list[threading.Event], ...]]:
    """The first ``count`` commits each wait, their batch taken, until their gate opens:
    (reached, gates), one event each per commit."""
    reached = [threading.Event() for _ in range(count)]
    gates = [threading.Event() for _ in range(count)]
    seen = 0

    def hold(_connection: object) -> None:
        nonlocal seen
        index, seen = seen, seen + 1
        if index < count:
            reached[index].set()
            gates[index].wait(30)

    world.checkpoint_every = 10**9  # no signing's commit among them
    event.listen(world.engine, "commit", hold)
    try:
        yield reached, gates
    finally:
        for gate in gates:
            gate.set()
        event.remove(world.engine, "commit", hold)


def test_the_lead_passes_between_futures_and_threads_and_each_is_answered(
    world: Garante,
) -> None:
    """A thread of the group's own leads the future's transaction; the caller's thread next in
    line takes the lead back from it, and a thread of the group's own takes it again for the
    future queued behind that."""
    group = world.context.releases
    with ThreadPoolExecutor(1) as pool, held_commits(world, 2) as (reached, gates):
        first = soon(world)
        assert reached[0].wait(30), "the first transaction never came to commit"
        threaded = pool.submit(release(world, recipient="nca"))
        wait_until(lambda: group.waiting == 1, "the thread never queued")
        gates[0].set()
        assert reached[1].wait(30), "the thread never led its own transaction"
        last = soon(world, recipient="fbi")
        wait_until(lambda: group.waiting == 1, "the last request never queued")
        gates[1].set()
        outcomes = [first.result(30), threaded.result(timeout=30), last.result(30)]
    assert [o.recipient for o in outcomes] == ["dea", "nca", "fbi"]
    assert [o.outcome for o in outcomes] == ["released"] * 3
    wait_until(lambda: not group.busy, "the group never went idle")
    assert group.waiting == 0


def test_a_future_queued_behind_a_settling_leader_is_led_beside_it(world: Garante) -> None:
    """A caller's thread that led, and then signs what its commit made due, hands the next
    transaction to a thread of the group's own: that one does not wait for the signing."""
    group = world.context.releases
    settle = group.settle
    assert settle is not None
    signing, may_sign = threading.Event(), threading.Event()

    def held_settle(tx: Transaction) -> None:
        if threading.current_thread().name != "group-commit":  # the caller's thread's
            signing.set()
            may_sign.wait(30)
        settle(tx)

    group.settle = held_settle
    with ThreadPoolExecutor(1) as pool, held_commits(world, 1) as (reached, gates):
        leader = pool.submit(release(world))
        assert reached[0].wait(30), "the leader never came to commit"
        queued = soon(world, recipient="nca")
        wait_until(lambda: group.waiting == 1, "the request never queued")
        gates[0].set()
        assert signing.wait(30), "the leader never came to sign"
        assert queued.result(timeout=30).outcome == "released"
        assert not leader.done()  # still signing
        may_sign.set()
        assert leader.result(timeout=30).outcome == "released"


@pytest.mark.parametrize("callers", [40])
def test_many_futures_and_threads_at_once_each_get_one_decision(
    world: Garante, callers: int
) -> None:
    before = world.ledger_size()
    with ThreadPoolExecutor(4) as pool:
        threaded = [pool.submit(release(world)) for _ in range(callers)]
        futures = [soon(world) for _ in range(callers)]
        outcomes = [f.result(timeout=60) for f in threaded + futures]
    assert len({o.request for o in outcomes}) == 2 * callers
    assert world.ledger_size() == before + RELEASED_ENTRIES * 2 * callers
    wait_until(lambda: not world.context.releases.busy, "the group never went idle")
    assert world.context.releases.waiting == 0


def committing_threads(world: Garante) -> tuple[list[int], Call]:
    """The threads that commit, in order, from now on; and how to stop recording them."""
    threads: list[int] = []

    def record(_connection: object) -> None:
        threads.append(threading.get_ident())

    event.listen(world.engine, "commit", record)
    return threads, lambda: event.remove(world.engine, "commit", record)


def group_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "group-commit"]


def test_the_group_s_own_thread_waits_parked_and_leads_the_next_transaction(
    world: Garante,
) -> None:
    world.checkpoint_every = 10**9  # no signing's commit among them
    threads, stop = committing_threads(world)
    try:
        assert soon(world).result(timeout=30).outcome == "released"
        wait_until(lambda: not world.context.releases.busy, "the group never went idle")
        assert soon(world, recipient="nca").result(timeout=30).outcome == "released"
    finally:
        stop()
    assert len(threads) == 2
    assert threads[0] == threads[1] != threading.get_ident()


def test_the_group_s_parked_thread_ends_once_it_has_waited_in_vain(
    world: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "PARKED_SECONDS", 0.1)
    assert soon(world).result(timeout=30).outcome == "released"
    wait_until(lambda: not group_threads(), "the group's thread never ended")
    assert soon(world, recipient="nca").result(timeout=30).outcome == "released"
