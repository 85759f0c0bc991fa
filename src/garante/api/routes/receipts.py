"""/receipts: what a partner needs to prove what it received (``garante verify-delivery``).

A delivered object names, in its trace extension, the log entry that released it
(``log_index``); its receipt is that entry, an RFC 9162 inclusion proof and the signed
checkpoint it leads to. A partner gets only the receipts of its own releases, and of the
answers to its own consent requests (``consent.granted`` / ``consent.refused``, which a node
takes only proven): any other index is the same 404 as one beyond the log.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.schemas import INT_MAX
from garante.domain.roles import Principal
from garante.service.app import Garante

router = APIRouter(prefix="/receipts", tags=["audit"])


@router.get(
    "/{index}", response_model=records.EncodedReceipt, responses=responses(401, 403, 404, 422)
)
def receipt(
    request: Request,
    index: int = Path(ge=0, le=INT_MAX, description="The entry's index (``log_index``)"),
    who: Principal = Depends(may(Garante.delivery_receipt)),  # noqa: B008
) -> records.EncodedReceipt:
    """Entry ``index`` with its inclusion proof and the signed checkpoint covering it."""
    return acting(request, who).delivery_receipt(index).encoded()
