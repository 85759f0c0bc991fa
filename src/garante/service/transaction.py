"""One use case, one transaction: the state change and its audit entry commit together.

A write transaction holds the sequencer (``store.database``) for everything that needs a
serial order: the log's size and its entries, the feeds' next positions, what a partner
already holds, the held queue. Every write takes it at its start, except a release
transaction on PostgreSQL (``Context.writes(actor, release=True)``, begun on
``store.database.releaser``'s engine), which begins holding only the policy lock, shared, and
takes the sequencer at the first thing that needs it (``Transaction.sequence``;
``ledger_size``, and so ``audit``, take it themselves). Before that, a release reads the
policy state and decides, concurrently with other releases.

Why that keeps "once an order commits, nothing it covers is released": policy changes
(orders, conditions, undertakings, keys, agreements, items) hold the policy lock exclusively,
so none commits between a release's reading of the state and its commit. The release's
decision still describes the state when its entries are appended, whatever other releases
appended in between (they change nothing ``decide`` reads), and the state version it cites,
its request entry's index plus one, names a state equal to the one it read: ``audit replay``
decides it again on that and agrees. The held queue is re-decided only by changes under the
exclusive lock; a release only adds to it. So a re-decision never overlaps a release of the
same request, and never gives it two outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from garante.canonical import canonical_plain
from garante.domain.events import AuditEvent
from garante.domain.timeutil import iso
from garante.domain.vocabulary import Vocabulary
from garante.ledger.merkle import leaf_hash
from garante.policy.state import PolicyState
from garante.signatures import canonical
from garante.store import ledger, queries
from garante.store.database import sequencer_taken, take_sequencer


@dataclass(kw_only=True)
class Reading:
    """What a read-only use case works with: one consistent snapshot, at one instant.

    Previews, drafts, simulations and every view run on one: they never take the writer lock,
    so they never queue behind writes, and nothing they do is ever committed.
    """

    session: Session
    now: datetime
    _vocabulary: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = queries.vocabulary(self.session)
        return self._vocabulary


@dataclass(kw_only=True)
class Transaction(Reading):
    """What a use case that changes state works with: a reading that holds the writer lock,
    names who acts, and appends the audit entries that commit with the change."""

    actor: str
    sequenced: bool = True
    _size: int | None = None
    entries: list[int] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    """The leaf hashes of ``entries``, in order: what the integrator would read back."""
    _pending_entries: list[ledger.Entry] = field(default_factory=list)
    _loaded: list[object] = field(default_factory=list)
    _standing: queries.Standing | None = None
    _at: tuple[datetime, str] | None = None

    def sequence(self) -> None:
        """Hold the sequencer from now on: call it before reading anything whose result a
        write depends on and that another release may change (the log's size, the feeds).
        A no-op where it is held already (every transaction but a release's on PostgreSQL)."""
        if not self.sequenced:
            take_sequencer(self.session)
            self.sequenced = True

    @property
    def ledger_size(self) -> int:
        if self._size is None:
            self.sequence()
            self._size = queries.ledger_size(self.session)
        return self._size

    def hold(self, *rows: object) -> None:
        """Keep rows referenced until the transaction ends.

        The session's identity map holds rows weakly; a row held here is found there when the
        use case reads it again (``Session.get``), instead of being queried a second time.
        """
        self._loaded.extend(rows)

    def policy_state(
        self,
        *,
        item_ids: Iterable[str] | None = None,
        agency_ids: Iterable[str] | None = None,
        reuse_standing: bool = False,
        version: int | None = None,
    ) -> PolicyState:
        """The snapshot ``decide`` reads now, citing the version this transaction has reached
        (or ``version``, for a caller that cites its own and must not take the sequencer yet).

        The rows it loads stay referenced until the transaction ends, so what the use case
        reads next about the same item, agency or undertaking comes from the session. With
        ``reuse_standing``, the orders and conditions are read once per transaction and
        shared by every snapshot that asks so: for use cases that never change orders,
        conditions or events (release requests, many of which share one transaction).
        """
        shared = None
        if reuse_standing:
            if self._standing is None:
                self._standing = queries.standing(self.session, self.now)
            shared = self._standing
        return queries.policy_state(
            self.session,
            self.now,
            item_ids=item_ids,
            agency_ids=agency_ids,
            version=self.ledger_size if version is None else version,
            known_vocabulary=self.vocabulary,
            keep=self._loaded,
            shared=shared,
        )

    def audit(self, event: AuditEvent) -> int:
        """Append one audit entry in this transaction and return its index.

        The entry is the RFC 8785 canonical JSON of the event, stored with its leaf hash at the
        next dense index. The tree is not computed here: the integrator
        (``service.integrator``) stores the subtrees the entry completes in a later batch, off
        the sequencer, and whatever serves a proof or a checkpoint past the integrated size
        integrates first. The rows are written together when the transaction commits
        (``flush_ledger``): one insert, not one per entry.
        """
        index = self.ledger_size
        kind = event.entry_kind._value_  # ``value`` is a slower property
        if self._at is None or self._at[0] != self.now:
            self._at = (self.now, iso(self.now))  # one instant per transaction: format it once
        entry = entry_bytes(kind, self._at[1], self.actor, event)
        leaf = leaf_hash(entry)
        self._pending_entries.append((index, kind, entry, leaf, self.now))
        self._size = index + 1
        self.entries.append(index)
        self.leaves.append(leaf)
        return index

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One unit of several in this transaction: what it changes, and the audit entries it
        appends, are rolled back alone if it raises (a SAVEPOINT), and the exception goes on.

        Why: a use case that takes many independent things (the events of a MISP feed) takes
        them in one transaction, so it pays one commit for many, yet one that fails leaves
        nothing half-taken and the others stand. Entries appended before it are written
        first, so that rolling it back drops only its own.
        """
        self.flush_ledger()
        size, entries = self._size, len(self.entries)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            if nested.is_active:
                nested.rollback()
            self._size = size
            self._pending_entries = []
            del self.entries[entries:]
            del self.leaves[entries:]  # the integrator takes them as the committed leaves
            raise
        nested.commit()

    def flush_ledger(self) -> None:
        """Write the entries appended in this transaction."""
        if self._pending_entries:
            ledger.append(self.session, self._pending_entries)
            self._pending_entries = []


def entry_bytes(kind: str, at: str, actor: str, event: AuditEvent) -> bytes:
    """An audit entry's bytes: the RFC 8785 JSON of its envelope and the event's data.

    The plain path first: the event's data checked as it is built (``plain_data``), so its
    JSON is written without a second walk over every value (``canonical_plain``); the
    reference path, ``canonical`` of ``data()``, for anything else. The same bytes either
    way, checked for every kind of event by ``tests/service/test_entry_bytes.py``.
    """
    data = event.plain_data() if type(actor) is str and type(kind) is str else None
    if data is not None:
        entry = canonical_plain({"v": 1, "kind": kind, "at": at, "actor": actor, "data": data})
        if entry is not None:
            return entry
    return canonical({"v": 1, "kind": kind, "at": at, "actor": actor, "data": event.data()})


@contextmanager
def transaction(
    factory: sessionmaker[Session], clock: Callable[[], datetime], actor: str
) -> Iterator[Transaction]:
    """Commit everything or nothing: an error anywhere rolls back the change and its entries.

    The instant is read from ``clock`` only once the lock the transaction begins with is held
    (the writer lock, or a release's shared policy lock). Read before, a transaction that
    waited behind an order could be stamped earlier than that order's start, and decide as if
    the order, already committed, were not yet in force. ``factory``'s engine says which lock
    that is (``store.database.releaser``).
    """
    with factory() as session, session.begin():
        connection = session.connection()  # begins the transaction, which takes its lock
        tx = Transaction(
            session=session, now=clock(), actor=actor, sequenced=sequencer_taken(connection)
        )
        yield tx
        tx.flush_ledger()


@contextmanager
def reading(factory: sessionmaker[Session], clock: Callable[[], datetime]) -> Iterator[Reading]:
    """A read transaction on ``factory``'s sessions (a reader engine: no writer lock). Closing
    the session rolls it back, so a use case that only reads can never change anything."""
    with factory() as session:
        yield Reading(session=session, now=clock())
