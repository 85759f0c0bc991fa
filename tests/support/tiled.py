"""A store whose log holds a few thousand entries: enough for full and partial tiles at level 0
and a level-1 tile, grown with real release requests on the demo, one transaction per batch."""

from __future__ import annotations

from garante.domain.request import ReleaseTriple
from tests.support.stores import Store

PARTNERS = ("dea", "nca", "fbi")


def grow_log(store: Store, *, at_least: int) -> int:
    """Replay the demo into ``store``, then request releases of its item co-2025-0417 until the log
    holds ``at_least`` entries, and publish a checkpoint; the log's size."""
    store.replay_demo()
    with store.service("test") as garante:
        while (size := garante.ledger_size()) < at_least:
            count = min(1000, at_least - size)
            garante.request_releases(
                [
                    ReleaseTriple(
                        item_id="co-2025-0417", recipient_id=PARTNERS[n % 3], purpose="seizure"
                    )
                    for n in range(count)
                ]
            )
        return garante.publish_checkpoint().size
