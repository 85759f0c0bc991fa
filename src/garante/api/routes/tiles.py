"""/log: the audit log as C2SP tlog-tiles (c2sp.org/tlog-tiles), static paths beside the
checkpoint, so that a witness or an inspector can mirror it with plain, cacheable GETs.

``/log/checkpoint`` is the latest signed checkpoint as text; ``/log/tile/<L>/<N>[.p/<W>]`` the
tiles of hashes, public like the checkpoint; ``/log/tile/entries/<N>[.p/<W>]`` the entry
bundles, served under the same roles as ``/api/v1/audit/entries``. A full tile never changes,
so it is cached for a year; the checkpoint and partial tiles only for a few seconds. Any other
path, or a tile beyond the signed tree, is a 404 in the usual error shape. The routes are left
out of the OpenAPI document: their contract is the C2SP specification.
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from garante.api.auth import acting, may, service
from garante.domain.errors import NotFound
from garante.domain.roles import Principal
from garante.ledger.tiles import TilePathError, TileRef, parse_path
from garante.service.app import Garante
from garante.service.usecases.tiles import TileNotFound

router = APIRouter(prefix="/log", include_in_schema=False)

IMMUTABLE = "max-age=31536000, immutable"
SHORT = "max-age=5"
TILE = "application/octet-stream"


def _ref(path: str) -> TileRef:
    try:
        return parse_path(f"tile/{path}")
    except TilePathError as exc:
        raise TileNotFound(exc.message, hint=exc.hint) from None


def _cache(ref: TileRef, scope: str) -> dict[str, str]:
    return {"Cache-Control": f"{scope}, {IMMUTABLE if ref.full else SHORT}"}


@router.get("/checkpoint")
def checkpoint(request: Request) -> Response:
    """The latest signed checkpoint with its cosignatures, as a signed note. Public."""
    published = service(request).latest_checkpoint()
    if published is None:
        raise NotFound("the log has published no checkpoint yet")
    return Response(
        published.note,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": f"public, {SHORT}"},
    )


@router.get("/tile/entries/{path:path}")
def entry_bundle(
    request: Request,
    path: str,
    who: Principal = Depends(may(Garante.log_entry_bundle)),  # noqa: B008
) -> Response:
    """An entry bundle: the entries, each after its big-endian uint16 length; gzipped for a
    client that accepts it. Private: only the roles that may read the entries."""
    ref = _ref(f"entries/{path}")
    body = acting(request, who).log_entry_bundle(ref)
    headers = {**_cache(ref, "private"), "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=TILE, headers=headers)


@router.get("/tile/{path:path}")
def tile(request: Request, path: str) -> Response:
    """A tile of hashes of the signed tree. Public, like the checkpoint."""
    ref = _ref(path)
    return Response(service(request).log_tile(ref), media_type=TILE, headers=_cache(ref, "public"))
