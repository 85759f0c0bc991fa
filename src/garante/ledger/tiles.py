"""The log as C2SP tlog-tiles (c2sp.org/tlog-tiles): paths, tile bytes, and proofs from tiles.

Pure, like the rest of the ledger core: no I/O; a reader of tiles is given a ``fetch(ref)``
callable that returns a tile's bytes, however it gets them (HTTP, a directory, a test's dict).

What a tile is. Tiles have height 8: the tile ``N`` at level ``L`` holds up to 256 consecutive
hashes of the RFC 6962/9162 tree at tree level ``8 * L``, namely the complete subtrees
``(8L, N * 256 + i)``: leaf hashes at level 0, and at level ``L`` the Merkle Tree Hash of each
full tile of level ``L - 1``. They are exactly the ``(level, index)`` complete subtrees the
store keeps (``garante.ledger.merkle``'s storage model), at the levels that are multiples of 8.
A *partial* tile holds the first ``W`` hashes (1 to 255) of a tile the tree has not filled: for
a tree of size ``s`` the rightmost tile of level ``L`` has ``floor(s / 256**L) mod 256`` hashes,
and none is served when that is 0. Entry bundles follow level 0 tile for tile: each entry is a
2-byte big-endian length and then the entry's bytes.

Paths. ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``, with ``N`` written in groups
of three digits, every group but the last prefixed with ``x`` (1234067 is ``x001/x234/067``).
Each tile has one path: ``parse_path`` refuses any other spelling.

Proofs from tiles. Any complete subtree ``(h, i)`` of a tree of size ``s`` lies in one tile: the
tile at level ``h // 8`` whose hashes ``[i * 2**(h % 8), (i + 1) * 2**(h % 8))`` it is the Merkle
Tree Hash of (a power-of-two run, aligned, so within one tile). ``TileReader.get`` is a
``merkle.GetNode`` over fetched tiles, so ``merkle.root``, ``inclusion_proof`` and
``consistency_proof`` compute a tree head or a proof from the tiles of a checkpoint's tree
exactly as the server computes them from its store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from garante.ledger import merkle
from garante.ledger.errors import BadIndexError, BadSizeError, LedgerError
from garante.ledger.merkle import HASH_SIZE

__all__ = [
    "FULL_WIDTH",
    "HEIGHT",
    "MAX_ENTRY",
    "TileError",
    "TilePathError",
    "TileReader",
    "TileRef",
    "bundle_bytes",
    "bundle_entries",
    "bundles_for",
    "encode_index",
    "parse_path",
    "tile_bytes",
    "tile_for_node",
    "tile_hash",
    "tile_hashes",
    "tile_of",
    "tiles_for",
]

HEIGHT = 8
"""Tree levels per tile level (c2sp.org/tlog-tiles)."""
FULL_WIDTH = 1 << HEIGHT
"""Hashes in a full tile (256), entries in a full bundle."""
MAX_LEVEL = 63
"""The highest tile level a path may name (c2sp.org/tlog-tiles, "<L>")."""
MAX_ENTRY = 0xFFFF
"""The longest entry a bundle can hold: its length is a big-endian uint16."""


class TileError(LedgerError):
    """Tile or bundle bytes that do not have the shape their path says."""

    code = "ledger.bad_tile"


class TilePathError(TileError):
    """A path that is not a tile's path (c2sp.org/tlog-tiles)."""

    code = "ledger.bad_tile_path"


@dataclass(frozen=True)
class TileRef:
    """One resource of a tiled log: a hash tile (``level`` >= 0) or an entry bundle
    (``level`` is None), its index in its level, and its width (256 for a full one)."""

    level: int | None
    index: int
    width: int = FULL_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"tile level {self.level} is not from 0 to {MAX_LEVEL}")
        if self.index < 0:
            raise TilePathError(f"tile index {self.index} is negative")
        if not 1 <= self.width <= FULL_WIDTH:
            raise TilePathError(f"tile width {self.width} is not from 1 to {FULL_WIDTH}")

    @property
    def full(self) -> bool:
        return self.width == FULL_WIDTH

    @property
    def entries(self) -> bool:
        """Whether this is an entry bundle rather than a tile of hashes."""
        return self.level is None

    @property
    def tree_level(self) -> int:
        """The RFC 9162 tree level its hashes are at (0 for bundles, whose entries are leaves)."""
        return HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """The index, at ``tree_level``, of its first hash (or entry)."""
        return self.index * FULL_WIDTH

    @property
    def path(self) -> str:
        """Its path below the log's prefix, e.g. ``tile/0/x001/234.p/7``."""
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    def __str__(self) -> str:
        return self.path


def encode_index(n: int) -> str:
    """``n`` in 3-digit path elements, all but the last with an ``x`` (1234067 -> x001/x234/067)."""
    if n < 0:
        raise TilePathError(f"tile index {n} is negative")
    groups: list[str] = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_path(path: str) -> TileRef:
    """The tile a path names; ``TilePathError`` unless it is that tile's one spelling."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(
            f"{path!r} is not a tile path",
            hint="tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], N in x-prefixed 3-digit "
            "groups, e.g. tile/0/x001/234",
        )
    level_text, index_text, width_text = match.group("level", "index", "width")
    index = int(index_text.replace("x", "").replace("/", ""))
    width = int(width_text) if width_text is not None else FULL_WIDTH
    if width_text is not None and width >= FULL_WIDTH:
        raise TilePathError(f"partial width {width} is not from 1 to {FULL_WIDTH - 1}")
    ref = TileRef(None if level_text == "entries" else int(level_text), index, width)
    if ref.path != path:  # a leading zero group, e.g. x000/001 for 001
        raise TilePathError(f"{path!r} is not how tile {ref.path} is spelt", hint=ref.path)
    return ref


def tile_of(level: int | None, index: int, size: int) -> TileRef | None:
    """Tile ``index`` of ``level`` (None: the entry bundle) as a tree of ``size`` has it: full,
    partial, or None when that tree has none of its hashes."""
    if size < 0:
        raise BadSizeError(f"tree size must be >= 0, got {size}")
    count = size >> (HEIGHT * (level or 0))  # complete hashes at the tile's tree level
    width = min(count - index * FULL_WIDTH, FULL_WIDTH)
    return TileRef(level, index, width) if width > 0 else None


def tiles_for(size: int) -> list[TileRef]:
    """Every hash tile of the tree of ``size`` entries, level by level, left to right."""
    out: list[TileRef] = []
    level = 0
    while True:
        count = size >> (HEIGHT * level)
        if count == 0:
            return out
        for index in range((count + FULL_WIDTH - 1) // FULL_WIDTH):
            ref = tile_of(level, index, size)
            assert ref is not None
            out.append(ref)
        level += 1


def bundles_for(size: int) -> list[TileRef]:
    """Every entry bundle of the tree of ``size`` entries, left to right."""
    count = (size + FULL_WIDTH - 1) // FULL_WIDTH
    return [ref for index in range(count) if (ref := tile_of(None, index, size)) is not None]


def tile_bytes(hashes: Sequence[bytes]) -> bytes:
    """A tile's body: its hashes, concatenated."""
    if not 1 <= len(hashes) <= FULL_WIDTH:
        raise TileError(f"a tile holds 1 to {FULL_WIDTH} hashes, not {len(hashes)}")
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise TileError(f"a tile holds {HASH_SIZE}-byte hashes, not {len(h)}-byte ones")
    return b"".join(hashes)


def tile_hashes(ref: TileRef, data: bytes) -> list[bytes]:
    """The hashes of tile ``ref``, from its body; ``TileError`` if it is not ``width`` hashes."""
    if len(data) != ref.width * HASH_SIZE:
        raise TileError(
            f"{ref.path} is {len(data)} bytes; it should be {ref.width * HASH_SIZE} "
            f"({ref.width} hashes)"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def bundle_bytes(entries: Iterable[bytes]) -> bytes:
    """An entry bundle's body: each entry as a big-endian uint16 length, then its bytes."""
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise TileError(
                f"an entry of {len(entry)} bytes does not fit a bundle (at most {MAX_ENTRY})"
            )
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def bundle_entries(ref: TileRef, data: bytes) -> list[bytes]:
    """The entries of bundle ``ref``; ``TileError`` unless the body holds exactly ``width``."""
    out: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError(f"{ref.path} ends inside an entry's length")
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise TileError(f"{ref.path}: entry {ref.first + len(out)} is cut short")
        out.append(data[at : at + length])
        at += length
    if len(out) != ref.width:
        raise TileError(f"{ref.path} holds {len(out)} entries; it should hold {ref.width}")
    return out


def tile_hash(hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a full tile's 256 hashes: its hash in the tile level above."""
    if len(hashes) != FULL_WIDTH:
        raise TileError(f"only a full tile ({FULL_WIDTH} hashes) has a hash in the level above")
    return merkle.subtree_root(hashes)


def tile_for_node(level: int, index: int, size: int) -> tuple[TileRef, int, int]:
    """Where the complete subtree ``(level, index)`` of the tree of ``size`` is: the tile (as
    that tree has it), and the run ``[start, end)`` of its hashes whose Merkle Tree Hash it is."""
    if level < 0 or index < 0 or (index + 1) << level > size:
        raise BadIndexError(
            f"subtree ({level}, {index}) is not complete in a tree of size {size}",
            hint="only complete subtrees are in tiles",
        )
    tile_level, height = divmod(level, HEIGHT)
    first = index << height  # at tree level 8 * tile_level
    ref = tile_of(tile_level, first // FULL_WIDTH, size)
    assert ref is not None  # the subtree is complete, so its tile has its hashes
    start = first - ref.first
    return ref, start, start + (1 << height)


Fetch = Callable[[TileRef], bytes]
"""Reads a tile's body by its reference (over HTTP, from disk...); raises if it cannot."""


class TileReader:
    """The hashes of the tree of ``size`` entries, read from its tiles through ``fetch``.

    ``get`` is a ``merkle.GetNode``: pass it to ``merkle.root``, ``inclusion_proof`` or
    ``consistency_proof``. Each tile is fetched once and its length checked; ``fetched``
    lists them in the order they were fetched. The reader trusts the tiles' contents: check
    the root it gives against a signed checkpoint (``root``), as every proof must be checked.
    """

    def __init__(self, size: int, fetch: Fetch) -> None:
        if size < 0:
            raise BadSizeError(f"tree size must be >= 0, got {size}")
        self.size = size
        self._fetch = fetch
        self._tiles: dict[TileRef, list[bytes]] = {}
        self.fetched: list[TileRef] = []

    def hashes(self, ref: TileRef) -> list[bytes]:
        """Tile ``ref``'s hashes, fetched once."""
        cached = self._tiles.get(ref)
        if cached is None:
            cached = tile_hashes(ref, self._fetch(ref))
            self._tiles[ref] = cached
            self.fetched.append(ref)
        return cached

    def get(self, level: int, index: int) -> bytes:
        ref, start, end = tile_for_node(level, index, self.size)
        hashes = self.hashes(ref)[start:end]
        return hashes[0] if len(hashes) == 1 else merkle.root_from_leaf_hashes(hashes)

    def root(self) -> bytes:
        """The tree head MTH(D[0:size])."""
        return merkle.root(self.size, self.get)

    def inclusion_proof(self, index: int) -> list[bytes]:
        return merkle.inclusion_proof(index, self.size, self.get)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """The proof that the tree of ``old_size`` is a prefix of this one."""
        return merkle.consistency_proof(old_size, self.size, self.get)
