"""The audit log as stored: entries, complete subtrees, checkpoints; proofs in O(log n) reads.

The proof functions of ``garante.ledger.merkle`` read nodes through a callback, and which nodes
they read depends only on the sizes and index, never on the hashes. So a proof is computed in two
passes: the first records the (level, index) pairs it needs, one query fetches them all, and the
second computes the proof from what was fetched. One round trip, whatever the tree's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import count, repeat
from typing import TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.ledger import merkle
from garante.store.schema import (
    LedgerCheckpointRow,
    LedgerEntryRow,
    LedgerIntegrationRow,
    LedgerSubtreeRow,
)
from garante.store.session import (
    driver_cursor,
    driver_execute,
    driver_rows,
    insert_many,
    padded,
    parameter_mark,
    stored_value,
)

T = TypeVar("T")
_DUMMY = bytes(32)
_ENTRIES = LedgerEntryRow.metadata.tables[LedgerEntryRow.__tablename__]
_SUBTREES = LedgerSubtreeRow.metadata.tables[LedgerSubtreeRow.__tablename__]
_INTEGRATION = LedgerIntegrationRow.metadata.tables[LedgerIntegrationRow.__tablename__]
_INTEGRATED_SIZE = f"SELECT size FROM {_INTEGRATION.name} WHERE id = 1"
_CHECKPOINTS = LedgerCheckpointRow.metadata.tables[LedgerCheckpointRow.__tablename__]
_PUBLISHED_SIZE = f"SELECT max(size) FROM {_CHECKPOINTS.name}"


class LedgerDamaged(RuntimeError):
    """A stored subtree the tree needs is missing: the store was damaged or tampered with."""


def _fetched(session: Session, compute: Callable[[merkle.GetNode], T]) -> T:
    wanted: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return _DUMMY

    compute(record)
    if not wanted:
        return compute(record)
    keys = sorted(set(wanted))
    # Pad to the next power of two by repeating the last key: a handful of statements serve
    # every proof, each built once, instead of one per node count.
    width = 1 << max(2, (len(keys) - 1).bit_length())
    keys += [keys[-1]] * (width - len(keys))
    # Through the driver's own cursor, in the session's transaction: a proof is one query of
    # a few primary-key lookups, and SQLAlchemy's statement execution (parameters by name,
    # result rows) cost more than the query and the hashing together.
    connection = session.connection()
    mark = parameter_mark(connection.dialect)
    with driver_cursor(connection) as cursor:
        cursor.execute(_nodes_sql(width, mark), [n for key in keys for n in key])
        rows = cursor.fetchall()
    nodes: dict[tuple[int, int], bytes] = {
        (int(level), int(index)): bytes(value) for level, index, value in rows
    }

    def get(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LedgerDamaged(f"stored subtree ({level}, {index}) is missing") from None

    return compute(get)


@lru_cache(maxsize=128)
def _nodes_sql(count: int, mark: str) -> str:
    """One statement per (padded) number of nodes: (level = ? AND idx = ?) OR ... on the
    primary key.

    Why not ``(level, idx) IN (VALUES ...)``: SQLite plans that as a scan of the whole table,
    which made every proof O(n). Each OR branch is a primary-key lookup on both backends, and
    caching the statement by size keeps building it off the hot path.
    """
    branch = f"(level = {mark} AND idx = {mark})"
    return f"SELECT level, idx, hash FROM {_SUBTREES.name} WHERE " + " OR ".join(
        branch for _ in range(count)
    )


def subtrees(session: Session, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored complete subtrees among ``keys`` (level, index), in one query (``_nodes_sql``);
    a missing one is absent from the answer."""
    if not keys:
        return {}
    wanted = padded(sorted(set(keys)))
    connection = session.connection()
    mark = parameter_mark(connection.dialect)
    rows = connection.exec_driver_sql(
        _nodes_sql(len(wanted), mark), tuple(n for key in wanted for n in key)
    ).all()
    return {(int(level), int(index)): bytes(value) for level, index, value in rows}


def root(session: Session, size: int) -> bytes:
    return _fetched(session, lambda get: merkle.root(size, get))


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    return _fetched(session, lambda get: merkle.inclusion_proof(index, size, get))


def consistency_proof(session: Session, old_size: int, new_size: int) -> list[bytes]:
    return _fetched(session, lambda get: merkle.consistency_proof(old_size, new_size, get))


def entries(session: Session, start: int, end: int) -> list[LedgerEntryRow]:
    return list(
        session.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.idx >= start, LedgerEntryRow.idx < end)
            .order_by(LedgerEntryRow.idx)
        )
    )


def latest_checkpoint(session: Session) -> LedgerCheckpointRow | None:
    return session.scalars(
        select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.size.desc()).limit(1)
    ).first()


def published_size(session: Session) -> int:
    """The size of the newest checkpoint, 0 before the first: what publication compares.
    The driver's own statement (``driver_rows``): a write that publishes asks it twice."""
    [(size,)] = driver_rows(session, _PUBLISHED_SIZE)
    return int(size) if size is not None else 0


def checkpoints(session: Session) -> list[LedgerCheckpointRow]:
    return list(session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.size)))


def subtree(session: Session, level: int, index: int) -> bytes | None:
    """One stored complete subtree's hash, or None when it is missing."""
    return session.scalar(
        select(LedgerSubtreeRow.hash).where(
            LedgerSubtreeRow.level == level, LedgerSubtreeRow.idx == index
        )
    )


Node = tuple[int, int, bytes]
"""A complete subtree's row: level, index at that level, hash."""


_ENTRY_COLUMNS = ("idx", "kind", "entry", "leaf_hash", "created_at")


def append(
    session: Session,
    first: int,
    kinds: Sequence[str],
    texts: Sequence[bytes],
    leaves: Sequence[bytes],
    at: datetime,
) -> None:
    """Write entries ``first``, ``first + 1``, ... appended at one instant ``at``: one insert
    through the driver's executemany (``insert_many``), since it runs while the sequencer is
    held. Given column by column, as a transaction gathers them: the instant is converted for
    the store once, and the rows go to the driver as they are zipped (no other column needs
    converting on either store), not turned into columns and back. Their subtrees are the
    integrator's (``add_subtrees``)."""
    if not len(kinds) == len(texts) == len(leaves):
        raise ValueError("every entry needs its kind, its text and its leaf hash")
    stored_at = stored_value(session, _ENTRIES, "created_at", at)
    rows = list(zip(count(first), kinds, texts, leaves, repeat(stored_at), strict=False))
    insert_many(session, _ENTRIES, _ENTRY_COLUMNS, rows, stored=True)


# -- integration ------------------------------------------------------------------------------


def integrated_size(session: Session) -> int:
    """How many entries have their subtrees stored. Where the row is missing (a store made
    without migrations), the level-0 nodes say: every one was stored with its entry then."""
    # The driver's own statement (``driver_rows``): every write that publishes reads it twice,
    # and the ORM's select cost several times the primary-key lookup.
    found = driver_rows(session, _INTEGRATED_SIZE)
    if found and found[0][0] is not None:
        return int(found[0][0])
    leaves = session.scalar(
        select(func.max(LedgerSubtreeRow.idx)).where(LedgerSubtreeRow.level == 0)
    )
    return 0 if leaves is None else int(leaves) + 1


def leaf_hashes(session: Session, start: int, limit: int) -> list[bytes]:
    """The leaf hashes of the committed entries from ``start``, at most ``limit``, stopping at
    the first index not (yet) visible: the dense prefix is all an integrator may take."""
    rows = session.execute(
        select(LedgerEntryRow.idx, LedgerEntryRow.leaf_hash)
        .where(LedgerEntryRow.idx >= start, LedgerEntryRow.idx < start + limit)
        .order_by(LedgerEntryRow.idx)
    ).all()
    out: list[bytes] = []
    for index, leaf in rows:
        if index != start + len(out):
            break
        out.append(bytes(leaf))
    return out


def add_subtrees(session: Session, nodes: Sequence[Node]) -> None:
    """Write a batch's complete subtrees: one executemany."""
    insert_many(session, _SUBTREES, ("level", "idx", "hash"), nodes)


def advance_integrated(session: Session, old: int, new: int) -> bool:
    """Record the tree integrated up to ``new``, only if it still stands at ``old``: False
    tells an integrator that another one moved it meanwhile, so its batch must not commit.

    The update first: the row exists in every store but one made without migrations, and
    looking it up before every batch cost a query for that one case. Through the driver's
    own cursor, after writing what the session holds (as the ORM's update would): the ORM's
    statement cost several times the update (``driver_execute``)."""
    mark = parameter_mark(session.connection().dialect)
    changed = driver_execute(
        session,
        f"UPDATE {_INTEGRATION.name} SET size = {mark} WHERE id = 1 AND size = {mark}",
        (new, old),
    )
    if changed == 1:
        return True
    if session.get(LedgerIntegrationRow, 1) is None and old == integrated_size(session):
        session.add(LedgerIntegrationRow(id=1, size=new))
        session.flush()
        return True
    return False


def checkpoint(session: Session, size: int) -> LedgerCheckpointRow | None:
    """The checkpoint published at ``size``, if any."""
    return session.get(LedgerCheckpointRow, size)


def add_checkpoint(
    session: Session, *, size: int, root_hash: bytes, note: str, at: datetime
) -> None:
    """A signed tree head, not yet cosigned, written now: through the driver's executemany
    (``insert_many``), as every write that publishes adds one, and the ORM's unit of work
    (a row object, its flush) cost more than the insert."""
    insert_many(
        session,
        _CHECKPOINTS,
        ("size", "root_hash", "note", "cosignatures", "published_at"),
        [(size, root_hash, note, [], at)],
    )


def entries_with_leaves(
    session: Session, *, chunk: int = 10_000
) -> Iterator[list[tuple[int, bytes, bytes]]]:
    """Each entry's index, text and stored leaf hash, in index order, a list of up to ``chunk``
    entries at a time (the log may be large). Where the level-0 subtree's copy of the leaf
    hash is present and differs from the entry's, an empty hash stands in: it never matches,
    so a verifier reports the entry.

    Read through the driver's own cursor, the rows handed on as the driver returns them
    (plain tuples, no result row object or dataclass per entry, which cost more than the
    verification itself). A chunk of the integrated log is one statement: its level-0
    subtrees scanned in their key's order (clustered on it, migration 0025), each entry
    looked up by its primary key, and the two copies compared in the row. That statement
    gives only the entries that have a level-0 subtree, so its rows are taken only where
    there is one per index of the chunk (the primary key makes the indices distinct); a
    chunk short of that (not yet integrated, or damaged) is read the other way: its entries,
    one range of their key, each joined to its level-0 subtree if there is one. The same rows
    either way; scanning the subtrees reads each integrated entry's page once, not twice.
    """
    connection = session.connection()
    mark = parameter_mark(connection.dialect)
    joined_sql = (
        f"SELECT e.idx, e.entry, CASE WHEN s.hash = e.leaf_hash THEN e.leaf_hash ELSE {mark} END "
        f"FROM {_SUBTREES.name} s JOIN {_ENTRIES.name} e ON e.idx = s.idx "
        f"WHERE s.level = 0 AND s.idx >= {mark} AND s.idx < {mark} ORDER BY s.idx"
    )
    entries_sql = (
        f"SELECT e.idx, e.entry, CASE WHEN s.hash IS NULL OR s.hash = e.leaf_hash "
        f"THEN e.leaf_hash ELSE {mark} END "
        f"FROM {_ENTRIES.name} e LEFT JOIN {_SUBTREES.name} s "
        f"ON s.level = 0 AND s.idx = e.idx "
        f"WHERE e.idx >= {mark} AND e.idx < {mark} ORDER BY e.idx"
    )
    as_bytes = connection.dialect.name != "sqlite"  # SQLite returns bytes already
    with driver_cursor(connection) as cursor:
        cursor.execute(f"SELECT max(idx) FROM {_ENTRIES.name}")
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return
        last = int(row[0])
        for start in range(0, last + 1, chunk):
            end = min(start + chunk, last + 1)
            cursor.execute(joined_sql, (b"", start, end))
            rows = cast(list[tuple[int, bytes, bytes]], cursor.fetchall())
            if len(rows) != end - start:
                cursor.execute(entries_sql, (b"", start, end))
                rows = cast(list[tuple[int, bytes, bytes]], cursor.fetchall())
            if as_bytes:
                rows = [(index, bytes(entry), bytes(leaf)) for index, entry, leaf in rows]
            yield rows


# -- tiles (c2sp.org/tlog-tiles) ---------------------------------------------------------------


def level_hashes(session: Session, level: int, start: int, end: int) -> list[bytes]:
    """The stored complete subtrees ``(level, start)`` to ``(level, end - 1)``, in order: one
    range scan of the primary key, the body of one tile. Raises ``LedgerDamaged`` if any is
    missing."""
    rows = session.scalars(
        select(LedgerSubtreeRow.hash)
        .where(
            LedgerSubtreeRow.level == level,
            LedgerSubtreeRow.idx >= start,
            LedgerSubtreeRow.idx < end,
        )
        .order_by(LedgerSubtreeRow.idx)
    ).all()
    if len(rows) != end - start:
        raise LedgerDamaged(
            f"stored subtrees ({level}, {start}..{end - 1}): {end - start - len(rows)} missing"
        )
    return [bytes(h) for h in rows]


def entry_texts(session: Session, start: int, end: int) -> list[bytes]:
    """Entries ``[start, end)``'s canonical bytes, in order: one range scan, one entry bundle.
    Raises ``LedgerDamaged`` if any is missing."""
    rows = session.scalars(
        select(LedgerEntryRow.entry)
        .where(LedgerEntryRow.idx >= start, LedgerEntryRow.idx < end)
        .order_by(LedgerEntryRow.idx)
    ).all()
    if len(rows) != end - start:
        raise LedgerDamaged(f"entries {start}..{end - 1}: {end - start - len(rows)} missing")
    return [bytes(e) for e in rows]
