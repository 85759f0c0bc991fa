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

from sqlalchemy.orm import Session

from garante.ledger.merkle import subtrees_completed_by_leaf_hash
from garante.store import ledger


class IntegrationLost(RuntimeError):
    """Another integrator advanced the tree while this one computed the same range."""


def integrate_batch(session: Session, limit: int) -> tuple[int, int]:
    """Integrate up to ``limit`` entries past the integrated size, in the caller's integrator
    transaction; the (old, new) integrated sizes."""
    start = ledger.integrated_size(session)
    leaves = ledger.leaf_hashes(session, start, limit)
    if not leaves:
        return start, start
    cache: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        found = cache.get((level, index))
        if found is None:
            found = ledger.subtree(session, level, index)
            if found is None:  # a gap means the stored tree is damaged; never paper over it
                raise ledger.LedgerDamaged(f"stored subtree ({level}, {index}) is missing")
            cache[(level, index)] = found
        return found

    nodes: list[ledger.Node] = []
    for offset, leaf in enumerate(leaves):
        for level, index, value in subtrees_completed_by_leaf_hash(start + offset, leaf, node):
            cache[(level, index)] = value
            nodes.append((level, index, value))
    end = start + len(leaves)
    if not ledger.advance_integrated(session, start, end):
        raise IntegrationLost(f"the tree moved past {start} while this batch was computed")
    ledger.add_subtrees(session, nodes)
    return start, end
