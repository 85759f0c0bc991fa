"""An in-memory log store for tests: a dict of complete subtrees fed by the append path."""

from __future__ import annotations

from collections.abc import Iterable

from garante.ledger.merkle import subtrees_completed_by_append
from garante.ledger.tiles import TileRef, tile_bytes


class MemoryLog:
    """Stores ``(level, index) -> hash`` exactly as a server would, counting reads."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.reads = 0
        for entry in entries:
            self.append(entry)

    def get(self, level: int, index: int) -> bytes:
        """The ``get`` callable the merkle functions read through."""
        self.reads += 1
        return self.nodes[(level, index)]

    def append(self, entry: bytes) -> None:
        """Append one entry, storing every subtree it completes (write-once)."""
        for level, index, h in subtrees_completed_by_append(self.size, entry, self.get):
            assert (level, index) not in self.nodes, "a complete subtree is written once"
            self.nodes[(level, index)] = h
        self.size += 1

    def tile(self, ref: TileRef) -> bytes:
        """Tile ``ref``'s body as a tiled log serves it: the stored hashes at its tree level."""
        level = ref.tree_level
        return tile_bytes([self.nodes[(level, ref.first + i)] for i in range(ref.width)])
