"""The audit log: the latest signed checkpoint, an entry browser, and proofs for the browser.

The page hands the browser the signed checkpoint and the log's verifier key; the browser
fetches proofs and checks them itself (``static/verify.js``), so the verdict it shows does
not rest on the server's word. The key shown is the one the server reports: an inspector
should compare it with the key obtained out of band, and may paste that key instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic_core import to_jsonable_python
from starlette.responses import JSONResponse, Response

from garante import records
from garante.console.render import SECURITY_HEADERS, page
from garante.console.routing import ConsoleRoute
from garante.console.session import service, viewer
from garante.domain.errors import GaranteError, ValidationError
from garante.domain.numbers import whole_number
from garante.service.audit import PublishedCheckpoint

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 25


def _int(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name, "")
    number = whole_number(value)
    return default if number is None else number


@dataclass(frozen=True, kw_only=True)
class _Shown(records.Checkpoint):
    """A checkpoint as the page shows it: as the log serves it, and when it was published."""

    published_at: datetime

    @classmethod
    def of(cls, published: PublishedCheckpoint) -> _Shown:
        served = published.served()
        return cls(
            size=served.size,
            root_hash=served.root_hash,
            note=served.note,
            published_at=published.published_at,
        )


@router.get("/audit")
def audit(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    latest = garante.latest_checkpoint()
    try:
        key = garante.log_verifier_key()
    except GaranteError:
        key = None
    size = garante.ledger_size()
    entries: list[records.LogEntry] = []
    start = 0
    previous: list[_Shown] = []
    if who.internal:
        # Newest first by default: the last page of the log.
        default_start = max(size - PAGE_SIZE, 0)
        start = min(_int(request, "start", default_start) or 0, max(size - 1, 0))
        entries = garante.entries(start, min(start + PAGE_SIZE, size))
        previous = [_Shown.of(c) for c in garante.checkpoints() if latest and c.size < latest.size][
            -20:
        ]
    checkpoint = _Shown.of(latest) if latest else None
    return page(
        request,
        "audit.html",
        viewer=who,
        checkpoint=checkpoint,
        key=key,
        size=size,
        entries=entries,
        start=start,
        page_size=PAGE_SIZE,
        previous=previous,
        server_url=str(request.base_url).rstrip("/"),
        verify_data={
            "key": key,
            "checkpoint": checkpoint.note if checkpoint else None,
            "previous": [{"size": c.size, "note": c.note} for c in previous],
        },
    )


def _json(body: object, status: int = 200) -> JSONResponse:
    """``body`` (a record, or an error's JSON) as the browser reads it."""
    return JSONResponse(to_jsonable_python(body), status_code=status, headers=SECURITY_HEADERS)


@router.get("/audit/inclusion.json")
def inclusion(request: Request) -> Response:
    """An entry and its inclusion proof, for the browser to check against a checkpoint."""
    who = viewer(request)
    who.require_internal()
    index, size = _int(request, "index"), _int(request, "size")
    if index is None:
        raise ValidationError("give the entry's index", field="index")
    try:
        proof = service(request).inclusion_proof(index, size)
    except GaranteError as exc:
        return _json(exc.to_dict(), exc.http_status)
    return _json(proof.encoded())


@router.get("/audit/consistency.json")
def consistency(request: Request) -> Response:
    """A consistency proof between two tree sizes."""
    who = viewer(request)
    who.require_internal()
    old, new = _int(request, "old"), _int(request, "new")
    if old is None:
        raise ValidationError("give the old tree size", field="old")
    try:
        proof = service(request).consistency_proof(old, new)
    except GaranteError as exc:
        return _json(exc.to_dict(), exc.http_status)
    return _json(proof.encoded())
