"""Checking a tiled log (c2sp.org/tlog-tiles) against its signed checkpoint, tile by tile.

Pure: the tiles are read through a ``fetch(ref)`` callable. The checkpoint's signature is
verified with the log's key (got out of band); every entry bundle of its tree is read and each
entry hashed, and each hash compared with the level-0 tile's; from those leaf hashes the hashes
of every higher tile are recomputed and compared, and the root with the signed one. Finally the
root is computed again from the tiles alone, as a witness computing a proof from them would.
A changed entry is named by its index; a changed hash tile by its path and the entries it
covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from garante.ledger.checkpoint import Checkpoint, open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.logcheck import Finding, LogReport
from garante.ledger.merkle import leaf_hashes, root_from_leaf_hashes
from garante.ledger.note import VerifierKey
from garante.ledger.tiles import (
    FULL_WIDTH,
    Fetch,
    TileReader,
    TileRef,
    bundle_entries,
    bundles_for,
    tile_hash,
    tile_hashes,
    tiles_for,
)


@dataclass(kw_only=True)
class TilesReport(LogReport):
    """A ``LogReport`` of the one checkpoint a tiled log serves, and what was fetched."""

    checkpoint: Checkpoint | None = None
    fetched: list[TileRef] = field(default_factory=list)


def check_tiles(note: str, key: VerifierKey, fetch: Fetch) -> TilesReport:
    """Verify ``note`` with ``key``, then every tile and bundle of its tree against it.

    Raises ``LedgerError`` if the note does not verify (nothing else can be checked then) and
    whatever ``fetch`` raises for a tile it cannot get; a tile of the wrong shape, or hashes or
    entries that disagree, are findings in the report.
    """
    checkpoint, _ = open_checkpoint(note, [key])
    size = checkpoint.size
    report = TilesReport(entries=size, checkpoint=checkpoint)
    tiles: dict[TileRef, bytes] = {}  # hash tiles, kept for the root from the tiles alone

    def get(ref: TileRef) -> bytes:
        body = tiles.get(ref)
        if body is None:
            body = fetch(ref)
            report.fetched.append(ref)
            if not ref.entries:  # bundles are read once; a big log's entries stay out of memory
                tiles[ref] = body
        return body

    leaves: list[bytes] = []
    for bundle in bundles_for(size):
        tile = TileRef(0, bundle.index, bundle.width)
        try:
            hashes = leaf_hashes(bundle_entries(bundle, get(bundle)))
            served = tile_hashes(tile, get(tile))
        except LedgerError as exc:
            report.findings.append(Finding(index=None, message=str(exc), range_start=bundle.first))
            return report
        for offset, (mine, theirs) in enumerate(zip(hashes, served, strict=True)):
            if mine != theirs:
                report.findings.append(
                    Finding(
                        index=bundle.first + offset,
                        message=f"the entry does not hash to its leaf hash in {tile.path}",
                    )
                )
        leaves.extend(hashes)
    below = leaves
    for level in range(1, 64):
        refs = [ref for ref in tiles_for(size) if ref.level == level]
        if not refs:
            break
        full = len(below) // FULL_WIDTH
        ours = [tile_hash(below[n * FULL_WIDTH : (n + 1) * FULL_WIDTH]) for n in range(full)]
        for ref in refs:
            try:
                served = tile_hashes(ref, get(ref))
            except LedgerError as exc:
                report.findings.append(Finding(index=None, message=str(exc)))
                continue
            for offset, theirs in enumerate(served):
                if ours[ref.first + offset] != theirs:
                    span = FULL_WIDTH**level
                    start = (ref.first + offset) * span
                    report.findings.append(
                        Finding(
                            index=None,
                            message=f"hash {offset} of {ref.path} is not the hash of entries "
                            f"{start} to {start + span - 1}",
                            range_start=start,
                        )
                    )
        below = ours
    if root_from_leaf_hashes(leaves) != checkpoint.root_hash:
        report.findings.append(
            Finding(
                index=None,
                message=f"the entries' root is not the root the checkpoint of size {size} signs",
                range_start=0,
            )
        )
    elif size and TileReader(size, get).root() != checkpoint.root_hash:
        report.findings.append(
            Finding(index=None, message="the root computed from the tiles is not the signed one")
        )
    if report.ok:
        report.checkpoints_verified, report.latest_verified_size = 1, size
    return report
