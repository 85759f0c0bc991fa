"""/log: the log as C2SP tlog-tiles, served from a store holding a few thousand entries.

Full level-0 tiles, a partial one, and a partial level-1 tile; one server per store backend.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator

import httpx
import pytest

from garante.ledger.checkpoint import Checkpoint, VerifierKey, open_checkpoint
from garante.ledger.tiles import TileReader, TileRef, bundle_entries, tile_hashes, tile_of
from garante.tiled import TiledLog
from tests.api.test_error_shape import assert_canonical_error
from tests.support.servers import Server, running_server
from tests.support.stores import new_store
from tests.support.tiled import grow_log

IMMUTABLE = "max-age=31536000, immutable"


@pytest.fixture(scope="module")
def tiled(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    store = new_store(request, server_backend, "tiles")
    grow_log(store, at_least=3000)
    with running_server(store) as server:
        yield server


@pytest.fixture(scope="module")
def overseer(tiled: Server) -> str:
    return tiled.token("overseer", agency="cti")


def _checkpoint(server: Server) -> Checkpoint:
    key = VerifierKey.parse(httpx.get(f"{server.api}/audit/key").json()["log_key"])
    return open_checkpoint(httpx.get(f"{server.url}/log/checkpoint").text, [key])[0]


def _get(server: Server, ref: TileRef, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.url}/log/{ref.path}", headers=headers)


def test_the_checkpoint_is_served_as_text_and_cached_for_seconds(tiled: Server) -> None:
    response = httpx.get(f"{tiled.url}/log/checkpoint")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=5"
    assert response.text == httpx.get(f"{tiled.api}/audit/checkpoint").json()["note"]


def test_a_full_tile_holds_the_leaf_hashes_and_is_cached_for_good(
    tiled: Server, overseer: str
) -> None:
    response = _get(tiled, TileRef(0, 1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == f"public, {IMMUTABLE}"
    entries = httpx.get(
        f"{tiled.api}/audit/entries",
        params={"start": 256, "end": 512},
        headers={"Authorization": f"Bearer {overseer}"},
    ).json()
    assert tile_hashes(TileRef(0, 1), response.content) == [
        base64.b64decode(row["leaf_hash"]) for row in entries
    ]


def test_the_partial_tile_of_the_signed_tree_is_cached_for_seconds(tiled: Server) -> None:
    size = _checkpoint(tiled).size
    ref = tile_of(0, size // 256, size)
    assert ref is not None and not ref.full
    response = _get(tiled, ref)
    assert response.status_code == 200
    assert len(response.content) == 32 * ref.width
    assert response.headers["cache-control"] == "public, max-age=5"


def test_the_root_from_the_tiles_is_the_signed_root(tiled: Server) -> None:
    checkpoint = _checkpoint(tiled)
    with TiledLog(f"{tiled.url}/log") as log:
        assert TileReader(checkpoint.size, log.fetch).root() == checkpoint.root_hash
        assert log.requests <= 3  # a partial level-0 tile, and the level-1 tile


def test_a_consistency_proof_from_the_tiles_is_the_servers(tiled: Server, overseer: str) -> None:
    size = _checkpoint(tiled).size
    served = httpx.get(
        f"{tiled.api}/audit/proof/consistency",
        params={"old": 1000, "new": size},
        headers={"Authorization": f"Bearer {overseer}"},
    ).json()["proof"]
    with TiledLog(f"{tiled.url}/log") as log:
        proof = TileReader(size, log.fetch).consistency_proof(1000)
    assert [base64.b64encode(h).decode() for h in proof] == served


def test_a_tile_beyond_the_signed_tree_is_not_found(tiled: Server) -> None:
    size = _checkpoint(tiled).size
    partial = size // 256
    for ref in (TileRef(0, partial), TileRef(0, partial + 1, 1), TileRef(2, 0, 1)):
        body = assert_canonical_error(_get(tiled, ref), 404, "ledger.tile_not_found")
        assert f"beyond the signed tree of size {size}" in body["message"]


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/x000/001",
        "tile/00/000",
        "tile/64/000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000/extra",
        "tile/-1/000",
        "tile/0/00%C3%A9",
        "tile/",
    ],
)
def test_a_path_that_is_no_tiles_is_a_404_in_the_error_shape(tiled: Server, path: str) -> None:
    assert_canonical_error(httpx.get(f"{tiled.url}/log/{path}"), 404)


def test_an_entry_bundle_needs_a_token_that_may_read_the_entries(tiled: Server) -> None:
    assert_canonical_error(_get(tiled, TileRef(None, 0)), 401, "auth.unauthenticated")
    partner = tiled.token("partner", agency="dea")
    assert_canonical_error(_get(tiled, TileRef(None, 0), partner), 403, "auth.forbidden")


def test_an_entry_bundle_holds_the_entries_and_is_private(tiled: Server, overseer: str) -> None:
    response = _get(tiled, TileRef(None, 2), overseer)
    assert response.headers["cache-control"] == f"private, {IMMUTABLE}"
    entries = httpx.get(
        f"{tiled.api}/audit/entries",
        params={"start": 512, "end": 768},
        headers={"Authorization": f"Bearer {overseer}"},
    ).json()
    assert bundle_entries(TileRef(None, 2), response.content) == [
        row["entry"].encode() for row in entries
    ]


def test_an_entry_bundle_is_gzipped_for_a_client_that_accepts_it(
    tiled: Server, overseer: str
) -> None:
    headers = {"Authorization": f"Bearer {overseer}", "Accept-Encoding": "gzip"}
    with httpx.stream("GET", f"{tiled.url}/log/tile/entries/000", headers=headers) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert len(bundle_entries(TileRef(None, 0), gzip.decompress(raw))) == 256
