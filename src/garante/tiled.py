"""A client of a tiled log (c2sp.org/tlog-tiles) over HTTP: its checkpoint and its tiles.

``TiledLog(prefix)`` reads ``<prefix>/checkpoint`` and ``<prefix>/tile/...`` (for Garante,
``http://host:8000/log``), counting its requests; ``fetch`` is the ``Fetch`` the pure
``garante.ledger.tiles.TileReader`` and ``garante.ledger.tilecheck.check_tiles`` read through.
Entry bundles need a token that may read the entries; tiles of hashes and the checkpoint none.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from garante.inspector import raise_unless_ok
from garante.ledger.tiles import TileRef


class TiledLog:
    def __init__(
        self,
        prefix: str,
        *,
        token: str | None = None,
        timeout: float = 60,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.prefix = prefix.rstrip("/")
        self.requests = 0
        self._http = httpx.Client(
            base_url=self.prefix + "/", headers=headers, timeout=timeout, transport=transport
        )

    def checkpoint(self) -> str:
        """The signed checkpoint note, as served: verify it before trusting anything."""
        return self._get("checkpoint").decode("utf-8")

    def fetch(self, ref: TileRef) -> bytes:
        """A tile's or an entry bundle's body."""
        return self._get(ref.path)

    def _get(self, path: str) -> bytes:
        self.requests += 1
        response = self._http.get(path)
        raise_unless_ok(response, f"{self.prefix}/{path}")
        return response.content

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TiledLog:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
