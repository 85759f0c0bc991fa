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

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from garante.canonical import Json, canonical_plain
from garante.domain.events import AuditEvent, plain_builder
from garante.domain.timeutil import iso
from garante.domain.vocabulary import Vocabulary
from garante.ledger.merkle import leaf_hashes
from garante.policy.state import PolicyState
from garante.service.trace_tokens import TokenClock
from garante.signatures import canonical
from garante.store import items, ledger, queries
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
    """The leaf hashes of ``entries``, in order: what the integrator would read back. Those
    of the entries written so far (``flush_ledger``): all of them once the transaction ends."""
    _pending_kinds: list[str] = field(default_factory=list)
    _pending_texts: list[bytes] = field(default_factory=list)
    _loaded: list[object] = field(default_factory=list)
    _standing: queries.Standing | None = None
    _envelope: _Envelope | None = None
    _envelopes: dict[str, _Envelope] = field(default_factory=dict)
    """The envelopes of the pending entries' instant, by actor: a group commit's callers each
    act in their own name in one transaction, and their entries are still written together."""
    _on_commit: list[Callable[[], None]] = field(default_factory=list)
    tokens: TokenClock = field(default_factory=TokenClock)
    """Where the store's last trace token stood: the open store's, shared by its transactions
    (``trace_tokens``), so that each release's token sorts after the one before."""

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this transaction has committed, and never if it (or the
        savepoint it is made in) rolls back: for what a process may only learn from what is
        durably stored, such as a cache of rows that are never deleted. A callback must not
        raise: the change is committed by then, and its caller would hear of a failure."""
        self._on_commit.append(callback)

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
        kept_items: Mapping[str, items.Kept] | None = None,
    ) -> PolicyState:
        """The snapshot ``decide`` reads now, citing the version this transaction has reached
        (or ``version``, for a caller that cites its own and must not take the sequencer yet).

        The rows it loads stay referenced until the transaction ends, so what the use case
        reads next about the same item, agency or undertaking comes from the session. With
        ``reuse_standing``, the orders and conditions are read once per transaction and
        shared by every snapshot that asks so: for use cases that never change orders,
        conditions or events (release requests, many of which share one transaction).
        ``kept_items``: the items as ``store.items.kept`` gave them in this transaction.
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
            kept_items=kept_items,
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
        index = self._size
        if index is None:
            index = self.ledger_size
        envelope = self._envelope
        if envelope is None or envelope.now is not self.now or envelope.actor is not self.actor:
            envelope = self._envelope_now()
        # What each kind of event needs, found once per transaction by its class: the entry's
        # kind, the envelope's frame, the data's builder.
        try:
            writer = envelope.writers[type(event)]
        except KeyError:
            writer = envelope.writer(type(event))
        self._pending_texts.append(envelope.write(writer, event))
        self._pending_kinds.append(writer[0])
        self._size = index + 1
        self.entries.append(index)
        return index

    def _envelope_now(self) -> _Envelope:
        """The envelope for the next entry: this transaction's instant and actor.

        One instant and a few actors for most transactions: their part of every entry's
        envelope is written once per actor, not per entry. A new instant (compared by
        identity: another object equal to it only costs writing it again) writes the entries
        pending first, as those written together share their instant; another actor does not
        (a group commit's callers, each in their own name, whose entries went in one insert
        per caller before: a round trip each, under the sequencer on PostgreSQL).
        """
        current = self._envelope
        if current is not None and current.now is not self.now:
            self.flush_ledger()
            self._envelopes.clear()
        envelope = self._envelopes.get(self.actor)
        if envelope is None:
            envelope = self._envelopes[self.actor] = _Envelope(self.now, self.actor)
        self._envelope = envelope
        return envelope

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
        size, entries, callbacks = self._size, len(self.entries), len(self._on_commit)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            if nested.is_active:
                nested.rollback()
            self._size = size
            self._pending_kinds = []
            self._pending_texts = []
            del self.entries[entries:]
            del self.leaves[entries:]  # the integrator takes them as the committed leaves
            del self._on_commit[callbacks:]
            raise
        nested.commit()

    def flush_ledger(self) -> None:
        """Write the entries appended in this transaction since the last flush: their leaf
        hashes in one pass (``leaf_hashes``, no Python call per entry), their rows in one
        insert (``ledger.append``)."""
        texts = self._pending_texts
        if texts:
            assert self._envelope is not None  # every entry pending was appended through it
            at = self._envelope.now
            assert at is not None  # a transaction's envelope has its instant
            leaves = leaf_hashes(texts)
            first = self.entries[len(self.leaves)]
            ledger.append(self.session, first, self._pending_kinds, texts, leaves, at)
            self.leaves.extend(leaves)
            self._pending_kinds = []
            self._pending_texts = []


Frame = tuple[bytes, bytes]
"""An entry's bytes before and after its ``data``: the rest of its envelope, written once."""


def entry_frame(kind: str, at: str, actor: str) -> Frame | None:
    """The envelope around an entry's data, or None where it cannot be written apart from it.

    RFC 8785 sorts the envelope's keys ``actor``, ``at``, ``data``, ``kind``, ``v`` (plain
    ASCII, one order in UTF-16 and in code points), so an entry is the text before its data,
    the data's own canonical JSON, and the text after. ``canonical_plain`` writes both parts as
    it writes them inside the whole envelope, or refuses (None) what it would refuse there: an
    actor or a kind that is not exactly ``str``, or holds a character beyond the BMP.
    """
    head = canonical_plain({"actor": actor, "at": at})
    tail = canonical_plain({"kind": kind, "v": 1})
    if head is None or tail is None:
        return None
    return head[:-1] + b',"data":', b"," + tail[1:]


def entry_bytes(kind: str, at: str, actor: str, event: AuditEvent) -> bytes:
    """An audit entry's bytes: the RFC 8785 JSON of its envelope and the event's data, as
    ``Transaction.audit`` writes them (``_Envelope.entry``)."""
    envelope = _Envelope(None, actor, at=at)
    return envelope.entry(kind, event)


def reference_entry(kind: str, at: str, actor: str, event: AuditEvent) -> bytes:
    """The reference path: ``canonical`` of the whole envelope with ``data()``, for what the
    plain path refuses."""
    return canonical({"v": 1, "kind": kind, "at": at, "actor": actor, "data": event.data()})


_Writer = tuple[str, bytes, bytes, Callable[[AuditEvent], "dict[str, Json | datetime] | None"]]
"""What the append needs per class of event: its entry's kind, the envelope's frame
(``entry_frame``: the text before the data and after it, both empty where there is none), the
builder of its plain data (``events.plain_builder``)."""


class _Envelope:
    """One transaction's envelope of its entries: its instant as text, its actor, and per
    class of event appended, what writing its entries needs (``_Writer``)."""

    __slots__ = ("actor", "at", "now", "writers")

    def __init__(self, now: datetime | None, actor: str, *, at: str | None = None) -> None:
        """``now`` for a transaction's entries (written at ``iso(now)``); ``at`` alone for
        ``entry_bytes``, which has the instant as text and writes no row."""
        if at is None:
            assert now is not None
            at = iso(now)
        self.now = now
        self.actor = actor
        self.at = at
        self.writers: dict[type[AuditEvent], _Writer] = {}

    def writer(self, cls: type[AuditEvent], kind: str | None = None) -> _Writer:
        """``cls``'s writer, made and kept. ``kind`` overrides the class's entry kind (tests
        write one event under another kind's name)."""
        if kind is None:
            kind = cls.entry_kind.value
        head, tail = entry_frame(kind, self.at, self.actor) or (b"", b"")
        writer = self.writers[cls] = (kind, head, tail, plain_builder(cls))
        return writer

    def entry(self, kind: str, event: AuditEvent) -> bytes:
        """An entry's bytes under ``kind`` (``write`` with the writer for it)."""
        writer = self.writers.get(type(event))
        if writer is None or writer[0] != kind:
            writer = self.writer(type(event), kind)
        return self.write(writer, event)

    def write(self, writer: _Writer, event: AuditEvent) -> bytes:
        """An entry's bytes, as ``Transaction.audit`` and ``entry_bytes`` write them: the
        plain path first, the event's data checked as it is built (``plain_data``), so its
        JSON is written without a second walk over every value (``canonical_plain``), between
        the frame's two parts; the reference path (``reference_entry``) for anything else.
        The same bytes either way, checked for every kind of event by
        ``tests/service/test_entry_bytes.py``, through this same code."""
        kind, head, tail, build = writer
        if head:
            data = build(event)
            if data is not None:
                body = canonical_plain(data)
                if body is not None:
                    return head + body + tail
        return reference_entry(kind, self.at, self.actor, event)


@contextmanager
def transaction(
    factory: sessionmaker[Session],
    clock: Callable[[], datetime],
    actor: str,
    tokens: TokenClock | None = None,
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
            session=session,
            now=clock(),
            actor=actor,
            sequenced=sequencer_taken(connection),
            tokens=tokens if tokens is not None else TokenClock(),
        )
        yield tx
        tx.flush_ledger()
    for callback in tx._on_commit:
        callback()


@contextmanager
def reading(factory: sessionmaker[Session], clock: Callable[[], datetime]) -> Iterator[Reading]:
    """A read transaction on ``factory``'s sessions (a reader engine: no writer lock). Closing
    the session rolls it back, so a use case that only reads can never change anything."""
    with factory() as session:
        yield Reading(session=session, now=clock())
