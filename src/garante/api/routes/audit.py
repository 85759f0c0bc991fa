"""/audit: what an inspector's verifier needs, and nothing it must take on trust."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from garante import records
from garante.api.auth import acting, may, service
from garante.api.errors import responses
from garante.api.schemas import INT_MAX, WitnessIn, WitnessRemovalIn
from garante.domain.errors import NotFound, ValidationError
from garante.domain.roles import Principal
from garante.service.app import Garante

router = APIRouter(prefix="/audit", tags=["audit"])
MAX_ENTRIES = 1000


@router.get("/key", response_model=records.LogKey, responses=responses(503))
def log_key(request: Request) -> records.LogKey:
    """The log's verifier key. Public; an inspector should also get it out of band."""
    return records.LogKey(log_key=service(request).log_verifier_key())


@router.get("/checkpoint", response_model=records.Checkpoint, responses=responses(404))
def latest_checkpoint(request: Request) -> records.Checkpoint:
    """The latest signed checkpoint, with witnesses' cosignatures. Public, as in CT."""
    published = service(request).latest_checkpoint()
    if published is None:
        raise NotFound("the log has published no checkpoint yet")
    return published.served()


@router.get("/witnesses", response_model=list[records.Witness])
def witnesses(request: Request) -> list[records.Witness]:
    """The witnesses whose cosignatures the log takes (registered by its operator with
    ``garante witnesses add``, or by a liaison with ``POST /audit/witnesses``). Public, like
    the checkpoint their cosignatures are served with."""
    return service(request).witnesses()


@router.post(
    "/witnesses",
    status_code=201,
    response_model=records.Witness,
    responses=responses(401, 403, 409, 422),
)
def add_witness(
    body: WitnessIn,
    request: Request,
    who: Principal = Depends(may(Garante.add_witness)),  # noqa: B008
) -> records.Witness:
    """Register a witness: its cosignatures of the log's checkpoints are taken from then on.
    A liaison's act (it keeps the registry), logged as ``witness.added``; a second witness of
    the same key name is 409 (remove the first to change its key)."""
    return acting(request, who).add_witness(body.key)


@router.post(
    "/witnesses/{witness_id}/remove",
    response_model=records.Witness,
    responses=responses(401, 403, 404, 422),
)
def remove_witness(
    witness_id: str,
    body: WitnessRemovalIn,
    request: Request,
    who: Principal = Depends(may(Garante.remove_witness_with_id)),  # noqa: B008
) -> records.Witness:
    """Stop taking a witness's cosignatures (by its id, as the list gives it); those taken
    stay. Logged as ``witness.removed``."""
    return acting(request, who).remove_witness_with_id(witness_id, body.reason)


@router.post("/cosignatures", response_model=records.Checkpoint, responses=responses(413, 422))
def take_cosignature(request: Request, cosigned: records.CosignedCheckpoint) -> records.Checkpoint:
    """A witness's cosignature of one of the log's checkpoints: the checkpoint's note as
    served, with the witness's cosignature line (c2sp.org/tlog-cosignature) appended. No token:
    it is taken only if it verifies with the key of a witness the operator registered, over a
    checkpoint this log published; the answer is that checkpoint with every cosignature kept."""
    return service(request).take_cosignature(cosigned.note).served()


@router.get("/entries", response_model=list[records.LogEntry], responses=responses(401, 403, 422))
def entries(
    request: Request,
    start: int = Query(0, ge=0, le=INT_MAX),
    end: int | None = Query(
        None, ge=1, le=INT_MAX, description=f"Exclusive; at most {MAX_ENTRIES} entries"
    ),
    who: Principal = Depends(may(Garante.entries)),  # noqa: B008
) -> list[records.LogEntry]:
    """Audit entries [start, end) as canonical JSON, with their leaf hashes."""
    stop = end if end is not None else start + 100
    if stop <= start or stop - start > MAX_ENTRIES:
        raise ValidationError(
            f"end must be after start and at most {MAX_ENTRIES} entries further", field="end"
        )
    return acting(request, who).entries(start, stop)


@router.get(
    "/proof/inclusion",
    response_model=records.EncodedInclusionProof,
    responses=responses(401, 403, 404, 422),
)
def inclusion(
    request: Request,
    index: int = Query(ge=0, le=INT_MAX),
    size: int | None = Query(None, ge=1, le=INT_MAX),
    who: Principal = Depends(may(Garante.inclusion_proof)),  # noqa: B008
) -> records.EncodedInclusionProof:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    return acting(request, who).inclusion_proof(index, size).encoded()


@router.get(
    "/proof/consistency",
    response_model=records.EncodedConsistencyProof,
    responses=responses(401, 403, 422),
)
def consistency(
    request: Request,
    old: int = Query(ge=1, le=INT_MAX),
    new: int | None = Query(None, ge=1, le=INT_MAX),
    who: Principal = Depends(may(Garante.consistency_proof)),  # noqa: B008
) -> records.EncodedConsistencyProof:
    """RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
    return acting(request, who).consistency_proof(old, new).encoded()
