"""The audit log as C2SP tlog-tiles: the tiles of the latest signed checkpoint's tree.

Each tile is one range read of the store: a tile of level L is the stored complete subtrees at
tree level 8L, an entry bundle is the entries themselves. Only tiles of the tree the latest
checkpoint signs are served (a partial tile of any width up to it, so that the tiles of every
earlier checkpoint stay available too); any other is not found. Hash tiles are public, like the
checkpoint they hang from; entry bundles are the entries, and served to whoever may read those.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.domain.errors import GaranteError, NotFound
from garante.ledger.tiles import TileError, TileRef, bundle_bytes, tile_bytes
from garante.service.access import INTERNAL, entitled
from garante.service.usecases.base import UseCases
from garante.store import ledger as store_ledger


class TileNotFound(NotFound):
    code = "ledger.tile_not_found"


class TileUnavailable(GaranteError):
    """The store cannot make a tile the signed tree has: a row is missing, or an entry is too
    long for a bundle. Not the caller's fault; the operator's to look into."""

    code = "ledger.tile_unavailable"
    http_status = 500
    exit_code = 7


class LogTiles(UseCases):
    """Tiles and entry bundles of the signed tree (c2sp.org/tlog-tiles)."""

    def log_tile(self, ref: TileRef) -> bytes:
        """A tile of hashes' body. Public, like the checkpoint it is checked against."""
        if ref.level is None:
            raise TileNotFound(f"{ref.path} is an entry bundle, not a tile of hashes")
        with self._read() as session:
            _check_in_tree(session, ref)
            try:
                start = ref.first
                return tile_bytes(
                    store_ledger.level_hashes(session, ref.tree_level, start, start + ref.width)
                )
            except (store_ledger.LedgerDamaged, TileError) as exc:
                raise _unavailable(ref, exc) from None

    @entitled(*INTERNAL)
    def log_entry_bundle(self, ref: TileRef) -> bytes:
        """An entry bundle's body: the entries, for those who may read them."""
        if ref.level is not None:
            raise TileNotFound(f"{ref.path} is a tile of hashes, not an entry bundle")
        with self._read() as session:
            _check_in_tree(session, ref)
            try:
                start = ref.first
                return bundle_bytes(store_ledger.entry_texts(session, start, start + ref.width))
            except (store_ledger.LedgerDamaged, TileError) as exc:
                raise _unavailable(ref, exc) from None


def _check_in_tree(session: Session, ref: TileRef) -> None:
    size = store_ledger.published_size(session)
    if ref.first + ref.width > size >> ref.tree_level:
        raise TileNotFound(
            f"{ref.path} is beyond the signed tree of size {size}",
            hint="read the checkpoint first: only the tiles of the tree it signs are served",
        )


def _unavailable(ref: TileRef, exc: Exception) -> TileUnavailable:
    return TileUnavailable(
        f"{ref.path} cannot be served: {exc}",
        hint="the store is damaged; run `garante audit verify` on it",
    )
