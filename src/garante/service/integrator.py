"""Integration: the log's tree, computed in batches after its entries commit.

Trillian's split of sequencing from integration. A write transaction appends its entries at
dense indices under the sequencer (events cite entries by index, so the index is assigned with
the change) but stores no tree: computing and writing the subtree nodes each entry completes
used to be most of an append's cost, all of it while every other writer waited. The integrator
computes the nodes of the entries since the last integrated size, up to a batch at a time,
stores them and advances the integrated size, in one transaction.

One integrator at a time, elected through the database (``store.database.integrator``: on
PostgreSQL its own advisory lock, neither the policy lock nor the sequencer, so writers never
wait for it; on SQLite a short write transaction). A batch that finds the integrated size moved
since it read it (an integrator elected some other way, or a store restored under it) raises
``IntegrationLost`` and commits nothing. Killed mid-batch, an integrator leaves nothing: the
next continues from the stored integrated size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from garante.ledger.merkle import subtrees_completed_by_leaf_hashes
from garante.store import ledger


class IntegrationLost(RuntimeError):
    """Another integrator advanced the tree while this one computed the same range."""


class Known:
    """The leaf hashes of the entries this process's last write committed, so that the batch
    that integrates them need not read them back.

    A write integrates right after it commits (to publish a checkpoint that is due), so the
    entries to integrate are, most of the time, exactly the ones it has just written. They are
    facts, not guesses: a committed entry's leaf hash never changes. Whatever is not among
    them is read, as before. Replaced whole (one assignment), so threads that share a context
    never see half of it.
    """

    def __init__(self) -> None:
        self._leaves: tuple[int, tuple[bytes, ...]] = (0, ())

    def committed(self, first: int, leaves: Sequence[bytes]) -> None:
        """The leaf hashes of entries ``first``, ``first + 1``, ... that have just committed."""
        self._leaves = (first, tuple(leaves))

    def leaves(self, start: int, limit: int) -> list[bytes]:
        """Up to ``limit`` known leaf hashes from index ``start``; empty if ``start`` is not
        among them."""
        first, leaves = self._leaves
        if not first <= start < first + len(leaves):
            return []
        return list(leaves[start - first : start - first + limit])


def edge(size: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up the tree of ``size`` leaves, one per bit set in
    ``size``: the only nodes left of leaf ``size`` that the subtrees of the leaves from there
    can need (the rest they complete themselves)."""
    return [
        (level, (size >> level) - 1) for level in range(size.bit_length()) if (size >> level) & 1
    ]


def integrate_batch(session: Session, limit: int, known: Known | None = None) -> tuple[int, int]:
    """Integrate up to ``limit`` entries past the integrated size, in the caller's integrator
    transaction; the (old, new) integrated sizes. ``known``: the leaf hashes this process
    wrote last (``Known``); the leaves are read from the store where they are not among them."""
    start = ledger.integrated_size(session)
    leaves = known.leaves(start, limit) if known is not None else []
    if not leaves:
        leaves = ledger.leaf_hashes(session, start, limit)
    if not leaves:
        return start, start
    # The left siblings the batch needs from before it, in one query, not one each.
    cache: dict[tuple[int, int], bytes] = ledger.subtrees(session, edge(start))

    def node(level: int, index: int) -> bytes:
        found = cache.get((level, index))
        if found is None:
            found = ledger.subtree(session, level, index)
            if found is None:  # a gap means the stored tree is damaged; never paper over it
                raise ledger.LedgerDamaged(f"stored subtree ({level}, {index}) is missing")
            cache[(level, index)] = found
        return found

    # The batch's own nodes are its left siblings from within it: only those left of the
    # batch are asked of ``node``.
    nodes = subtrees_completed_by_leaf_hashes(start, leaves, node)
    end = start + len(leaves)
    if not ledger.advance_integrated(session, start, end):
        raise IntegrationLost(f"the tree moved past {start} while this batch was computed")
    ledger.add_subtrees(session, nodes)
    return start, end
