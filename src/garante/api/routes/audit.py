"""/audit: what an inspector's verifier needs, and nothing it must take on trust."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from garante.api.auth import acting, may, service
from garante.api.errors import responses
from garante.api.schemas import (
    INT_MAX,
    CheckpointOut,
    ConsistencyOut,
    EntryOut,
    InclusionOut,
    LogKeyOut,
)
from garante.domain.errors import NotFound, ValidationError
from garante.domain.roles import Principal
from garante.service.app import Garante

router = APIRouter(prefix="/audit", tags=["audit"])
MAX_ENTRIES = 1000


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@router.get("/key", response_model=LogKeyOut, responses=responses(503))
def log_key(request: Request) -> dict[str, Any]:
    """The log's verifier key. Public; an inspector should also get it out of band."""
    return {"log_key": service(request).log_verifier_key()}


@router.get("/checkpoint", response_model=CheckpointOut, responses=responses(404))
def latest_checkpoint(request: Request) -> dict[str, Any]:
    """The latest signed checkpoint, with witnesses' cosignatures. Public, as in CT."""
    published = service(request).latest_checkpoint()
    if published is None:
        raise NotFound("the log has published no checkpoint yet")
    return {"size": published.size, "root_hash": _b64(published.root_hash), "note": published.note}


@router.get("/entries", response_model=list[EntryOut], responses=responses(401, 403, 422))
def entries(
    request: Request,
    start: int = Query(0, ge=0, le=INT_MAX),
    end: int | None = Query(
        None, ge=1, le=INT_MAX, description=f"Exclusive; at most {MAX_ENTRIES} entries"
    ),
    who: Principal = Depends(may(Garante.entries)),  # noqa: B008
) -> list[dict[str, Any]]:
    """Audit entries [start, end) as canonical JSON, with their leaf hashes."""
    stop = end if end is not None else start + 100
    if stop <= start or stop - start > MAX_ENTRIES:
        raise ValidationError(
            f"end must be after start and at most {MAX_ENTRIES} entries further", field="end"
        )
    return acting(request, who).entries(start, stop)


@router.get(
    "/proof/inclusion", response_model=InclusionOut, responses=responses(401, 403, 404, 422)
)
def inclusion(
    request: Request,
    index: int = Query(ge=0, le=INT_MAX),
    size: int | None = Query(None, ge=1, le=INT_MAX),
    who: Principal = Depends(may(Garante.inclusion_proof)),  # noqa: B008
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    proof = acting(request, who).inclusion_proof(index, size)
    return {
        "index": proof["index"],
        "size": proof["size"],
        "leaf_hash": _b64(proof["leaf_hash"]),
        "entry": proof["entry"].decode(),
        "proof": [_b64(h) for h in proof["proof"]],
    }


@router.get("/proof/consistency", response_model=ConsistencyOut, responses=responses(401, 403, 422))
def consistency(
    request: Request,
    old: int = Query(ge=1, le=INT_MAX),
    new: int | None = Query(None, ge=1, le=INT_MAX),
    who: Principal = Depends(may(Garante.consistency_proof)),  # noqa: B008
) -> dict[str, Any]:
    """RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
    proof = acting(request, who).consistency_proof(old, new)
    return {**proof, "proof": [_b64(h) for h in proof["proof"]]}
