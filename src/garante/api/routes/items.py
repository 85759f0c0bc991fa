"""/items: what the originator shares (metadata only; content travels by release)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import ItemAdded, ItemIn, PageOf
from garante.domain.roles import Principal, Role
from garante.service.app import Garante, Page

router = APIRouter(tags=["items"])
READERS = (Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)


@router.get("/items", response_model=PageOf[records.Item], responses=responses(401, 403, 422))
def list_items(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.items)),  # noqa: B008
) -> Paged[records.Item]:
    return paged(acting(request, who).items(current), current, "id")


@router.post(
    "/items",
    status_code=201,
    response_model=ItemAdded,
    responses=responses(401, 403, 409, 422),
)
def add_item(
    body: ItemIn,
    request: Request,
    who: Principal = Depends(may(Garante.add_item)),  # noqa: B008
) -> ItemAdded:
    """Add an item from a STIX 2.1 bundle; the analyst's agency is its originator. The
    answer is the item, with the requests the standing agreements covering it started
    (``started``, each with its decision)."""
    change = acting(request, who).add_item(
        body.id,
        title=body.title,
        category=body.category,
        region=body.region,
        tlp=body.tlp,
        originator=str(who.agency_id),
        bundle=body.bundle,
        releasable_to=body.releasable_to,
        embargo_until=body.embargo_until,
        expires_at=body.expires_at,
    )
    return ItemAdded.of(change)


@router.get("/items/{item_id}", response_model=records.Item, responses=responses(401, 403, 404))
def get_item(
    item_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.item)),  # noqa: B008
) -> records.Item:
    return acting(request, who).item(item_id)


@router.get(
    "/items/{item_id}/versions",
    response_model=list[records.ItemVersion],
    responses=responses(401, 403, 404),
)
def item_versions(
    item_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.item_versions)),  # noqa: B008
) -> list[records.ItemVersion]:
    """An item's history: each upstream version its source gave, in the order taken (none
    for an item added by hand), with the item version it became, its status, TLP and the
    commitment the log holds. Read by those who may read the item; never by a partner."""
    return acting(request, who).item_versions(item_id)
