"""Group commit: release requests waiting in one process share one write transaction.

Every write holds the store's writer lock (``store.database``): on SQLite the one writer, for
the whole transaction; on PostgreSQL a release holds the policy lock shared and the sequencer
only from its first entry to its commit. Either way, releases per second is bounded by one
over the time a release holds the serial part, however many servers there are. Much of that
time is the same for one release or ten: taking the lock, reading the log's size, the
ledger's inserts, the commit. So requests that arrive while a transaction runs wait here, and
the next transaction takes them all, each decided in turn, in arrival order. It takes them
once it has its lock, so what arrived while it waited for the lock (behind other servers'
writes) joins.

Work of one kind can also be done for the whole group at once (``run_many``): release requests
queued together are decided and stored by ``service.bulk`` with one insert per table, not one
request after another.

What must follow a commit but changes no one's answer (signing the checkpoint its entries make
due) is ``settle``'s, run by the leader once it has answered everyone in its transaction and
passed the lead on: the callers it answered do not wait for it, only the leader's own.

A caller need not block a thread to wait (``submit_many``): an event loop queues its request
and awaits a future. When such a caller is first in line, a thread of the group's own leads
(the ``group-commit`` thread), and goes on leading while the next in line waits the same way;
a caller with a thread of its own takes the lead back when its turn comes. So a server's many
waiting requests hold no thread of its pool each, and are not each woken in turn.

Each request keeps its own fate. One refused before it wrote anything (an unknown item, agency
or purpose) gets its error, and the others go on. Anything else that fails before the commit
aborts the whole transaction, and its requests run again one transaction each, so one
request's failure never becomes another's. A failed commit is not run again (it may have
stored them): every request in it hears the error. Nobody hears a result before the
transaction holding it commits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from garante.domain.errors import GaranteError
from garante.service.transaction import Transaction

log = logging.getLogger(__name__)

PARKED_SECONDS = 2.0
"""How long the group's own thread, once the queue is empty, waits for the next transaction
to lead before it ends: under load the queue empties between most transactions, and waking a
parked thread costs less than starting one."""

T = TypeVar("T")
P = TypeVar("P")
Begin = Callable[[], AbstractContextManager[Transaction]]
Work = Callable[[Transaction], T]
Outcome = tuple[T | None, BaseException | None]
Many = Callable[[Transaction, list[tuple[str, P]]], list[Outcome[T]]]
"""Work for a group (``Many[Payload, Result]``): each caller's actor and payload in, each
one's result or refusal out. It refuses before it appends to the log (as ``Work`` does), and
answers every caller."""


class BatchAborted(Exception):
    """Raised inside a shared transaction to roll it back; never leaves this module."""


@dataclass(eq=False)
class _Waiting(Generic[T]):
    begin: Begin
    actor: str
    work: Work[T]
    many: Many[Any, Any] | None = None
    payload: Any = None
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    finished: bool = False
    result: T | None = None
    error: BaseException | None = None
    future: Future[T] | None = None  # answered here, for a caller without a thread waiting

    def finish(self, result: T | None, error: BaseException | None) -> None:
        self.result, self.error, self.finished = result, error, True
        if self.future is None:
            self.wake.set()
        elif error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)  # type: ignore[arg-type]  # no error: it is set


class GroupCommit:
    """Runs each piece of work in a write transaction it may share with others queued."""

    def __init__(
        self, *, limit: int = 32, settle: Callable[[Transaction], None] | None = None
    ) -> None:
        self.limit = limit
        self.settle = settle
        self._lock = threading.Lock()
        self._queue: list[_Waiting[Any]] = []
        self._busy = False
        self._handoff = threading.Condition(self._lock)  # to the group's parked thread
        self._handed: _Waiting[Any] | None = None
        self._parked = False

    @property
    def busy(self) -> bool:
        """Whether a transaction of queued work is running (or about to)."""
        with self._lock:
            return self._busy

    @property
    def waiting(self) -> int:
        """How many pieces of work wait for the next transaction (the running one aside)."""
        with self._lock:
            return len(self._queue)

    def run(self, begin: Begin, actor: str, work: Work[T]) -> T:
        """``work(tx)`` in a committed transaction, acting as ``actor``; its result or error.

        ``work`` must raise its typed refusals before it appends to the log: a refusal after
        that cannot be told apart from a half-done change, and aborts the batch.
        """
        return self._run(_Waiting(begin=begin, actor=actor, work=work))

    def run_many(self, begin: Begin, actor: str, payload: P, many: Many[P, T]) -> T:
        """``payload``'s result in a committed transaction, done by ``many`` together with
        the payloads of the same ``many`` queued beside it; alone, a group of one."""
        work = _alone(many, actor, payload)
        return self._run(_Waiting(begin=begin, actor=actor, work=work, many=many, payload=payload))

    def submit_many(self, begin: Begin, actor: str, payload: P, many: Many[P, T]) -> Future[T]:
        """As ``run_many``, without waiting: the future holds ``payload``'s result or refusal
        once the transaction holding it has committed. For a caller that must not block a
        thread while it waits (an event loop, through ``asyncio.wrap_future``)."""
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()  # it cannot be cancelled: it may be stored
        waiting = _Waiting(
            begin=begin,
            actor=actor,
            work=_alone(many, actor, payload),
            many=many,
            payload=payload,
            future=future,
        )
        if self._queued(waiting):
            self._lead_in_thread(waiting)
        return future

    def _queued(self, waiting: _Waiting[Any]) -> bool:
        """Queue ``waiting``; whether it leads (no transaction was running)."""
        with self._lock:
            self._queue.append(waiting)
            if not self._busy:
                self._busy = waiting.lead = True
            return waiting.lead

    def _run(self, waiting: _Waiting[T]) -> T:
        self._queued(waiting)
        while not (waiting.lead or waiting.finished):
            waiting.wake.wait()
            waiting.wake.clear()
        if not waiting.finished:
            successor, last = self._lead(waiting)
            if successor is not None:  # it leads beside this thread's settling
                self._lead_in_thread(successor)
            self._settle(last)
        if waiting.error is not None:
            raise waiting.error
        return waiting.result  # type: ignore[return-value]  # set with finished, no error

    def _lead_in_thread(self, first: _Waiting[Any]) -> None:
        """Hand ``first``'s transaction to a thread of the group's own: the parked one, woken,
        or else a new one."""
        with self._lock:
            if self._parked and self._handed is None:
                self._handed = first
                self._handoff.notify()
                return
        serving = threading.Thread(target=self._serve, args=(first,), name="group-commit")
        serving.daemon = True
        serving.start()

    def _serve(self, first: _Waiting[Any]) -> None:
        leader: _Waiting[Any] | None = first
        while leader is not None:
            self._lead_queued(leader)
            leader = self._park()

    def _park(self) -> _Waiting[Any] | None:
        """Wait, as the group's parked thread, for the next transaction to lead; None after
        ``PARKED_SECONDS`` without one, or at once if another thread is parked already."""
        with self._lock:
            if self._parked:
                return None
            self._parked = True
            try:
                deadline = time.monotonic() + PARKED_SECONDS
                while self._handed is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._handoff.wait(remaining)
                first, self._handed = self._handed, None
                return first
            finally:
                self._parked = False

    def _lead_queued(self, first: _Waiting[Any]) -> None:
        """The group's own leader: ``first``'s transaction, then each next one whose first
        caller waits through a future, until the queue is empty or a caller's thread leads.

        It settles each commit before leading the next: on SQLite, signing a checkpoint
        takes the one writer the next transaction needs anyway."""
        leader: _Waiting[Any] | None = first
        while leader is not None:
            leader, last = self._lead(leader)
            try:
                self._settle(last)
            except Exception:  # committed and answered: what failed is the settling alone
                log.exception("settling a group commit failed")

    def _settle(self, last: Transaction | None) -> None:
        if self.settle is not None and last is not None:
            self.settle(last)  # the last commit's size covers the ones before it

    def _lead(self, leader: _Waiting[Any]) -> tuple[_Waiting[Any] | None, Transaction | None]:
        """Commit what is queued (this thread's own work first), then pass the lead on.

        To a caller that waits with a thread of its own, by waking it; one that waits through a
        future is returned, for this thread or a new one to lead. With it, the last
        transaction committed, if any, to settle."""
        taken: list[_Waiting[Any]] = []
        committed: list[Transaction] = []
        successor: _Waiting[Any] | None = None
        done = False
        try:
            self._commit(leader, taken, committed)
            done = True
        finally:
            with self._lock:
                if not taken and leader in self._queue:  # interrupted before taking its batch
                    self._queue.remove(leader)
                    taken.append(leader)
                for waiting in taken:
                    if not waiting.finished:  # only on an error that is not an Exception
                        waiting.finish(None, RuntimeError("the transaction was interrupted"))
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    if successor.future is None:
                        successor.wake.set()
                        successor = None
                else:
                    self._busy = False
            if successor is not None and not done:  # interrupted: no one else would lead it
                self._lead_in_thread(successor)
        return successor, committed[-1] if committed else None

    def _take(self, taken: list[_Waiting[Any]]) -> list[_Waiting[Any]]:
        """Move up to ``limit`` less what ``taken`` holds from the queue to ``taken``; what
        was moved."""
        with self._lock:
            room = max(self.limit - len(taken), 0)
            moved = self._queue[:room]
            del self._queue[:room]
        taken.extend(moved)
        return moved

    def _commit(
        self, leader: _Waiting[Any], taken: list[_Waiting[Any]], committed: list[Transaction]
    ) -> None:
        """Take the writer lock, then the batch: what arrived while waiting for it joins.

        A release transaction on PostgreSQL begins with the shared policy lock, granted at
        once, and waits for the sequencer only at its first entry (``store.database``): so
        once its batch has taken the sequencer, what queued while it waited joins the same
        transaction, decided under the sequencer, as it would have joined a batch waiting for
        the one writer lock.

        The batch taken is appended to ``taken``, so that the caller can answer everyone in
        it whatever happens here; each transaction that committed, to ``committed``.
        """
        outcomes: list[tuple[Any, BaseException | None]] = []
        worked = False
        try:
            with leader.begin() as tx:
                late = not tx.sequenced
                outcomes = self._work_through(tx, self._take(taken))
                if late and tx.sequenced:
                    outcomes += self._work_through(tx, self._take(taken))
                worked = True
            committed.append(tx)
            batch = taken
        except Exception as failed:
            if not taken:
                self._take(taken)
            batch = taken
            if worked or len(batch) == 1:
                # A failed commit may still have stored the changes, so running them again
                # could store them twice: everyone hears the error. One alone hears its own.
                heard = (failed.__cause__ or failed) if isinstance(failed, BatchAborted) else failed
                for waiting in batch:
                    waiting.finish(None, heard)
            else:
                for waiting in batch:
                    self._alone(waiting, committed)
            return
        for waiting, (result, error) in zip(batch, outcomes, strict=True):
            waiting.finish(result, error)

    @staticmethod
    def _work_through(
        tx: Transaction, batch: list[_Waiting[Any]]
    ) -> list[tuple[Any, BaseException | None]]:
        outcomes: list[tuple[Any, BaseException | None]] = []
        start = 0
        while start < len(batch):
            waiting = batch[start]
            if waiting.many is not None:
                end = start + 1
                while end < len(batch) and batch[end].many is waiting.many:
                    end += 1
                group = batch[start:end]
                try:
                    done = waiting.many(tx, [(w.actor, w.payload) for w in group])
                except Exception as failed:
                    # Its refusals are answered in ``done``; anything raised is unforeseen:
                    # everyone runs again alone, to hear only their own fate.
                    raise BatchAborted from failed
                outcomes.extend(done)
                start = end
                continue
            tx.actor = waiting.actor
            logged = tx.ledger_size
            try:
                outcomes.append((waiting.work(tx), None))
            except GaranteError as refused:
                if tx.ledger_size != logged:
                    raise BatchAborted from refused
                outcomes.append((None, refused))
            start += 1
        return outcomes

    @staticmethod
    def _alone(waiting: _Waiting[Any], committed: list[Transaction]) -> None:
        try:
            with waiting.begin() as tx:
                tx.actor = waiting.actor
                result = waiting.work(tx)
        except Exception as error:
            waiting.finish(None, error)
        else:
            committed.append(tx)
            waiting.finish(result, None)


def _alone(many: Many[P, T], actor: str, payload: P) -> Work[T]:
    """``many`` for one caller: its result, or its refusal raised (a group of one)."""

    def alone(tx: Transaction) -> T:
        [(result, error)] = many(tx, [(actor, payload)])
        if error is not None:
            raise error
        return result  # type: ignore[return-value]  # no error: the result is set

    return alone
