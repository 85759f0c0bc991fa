"""/orders: an authority's orders, signed, moving the held queue at once."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager

from fastapi import APIRouter, Depends, Query, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import (
    AmendIn,
    AmendTerms,
    LiftIn,
    OrderChange,
    OrderDraftOut,
    OrderIn,
    OrderTerms,
    PageOf,
    ReachOut,
    RequirementModel,
    ScopeModel,
    StatementOut,
    assertion_of,
)
from garante.domain.errors import scope_hinted
from garante.domain.events import Json
from garante.domain.order import Requirement, Scope
from garante.domain.roles import Principal
from garante.service.app import Garante, Page
from garante.service.results import Draft
from garante.signatures import canonical, decode_signature

router = APIRouter(tags=["orders"])


def _scope(model: ScopeModel | str | None) -> Scope:
    if not isinstance(model, ScopeModel):
        return Scope()
    return Scope(
        agencies=frozenset(model.agencies),
        countries=frozenset(model.countries),
        categories=frozenset(model.categories),
        regions=frozenset(model.regions),
    )


def _requires(model: RequirementModel | None) -> Requirement | None:
    if model is None:
        return None
    return Requirement(
        prohibits=frozenset(model.prohibits), protections=frozenset(model.protections)
    )


def _explicit() -> AbstractContextManager[None]:
    """The service's refusal of an unsaid empty scope, with the hint in this API's terms."""
    return scope_hinted(
        both='give "scope" as "all" or as an object naming a scope, not both',
        unsaid='give "scope" as an object naming agencies, countries, categories or regions, '
        'or as the string "all" for an order that holds every partner and item',
    )


def _draft(garante: Garante, who: Principal, body: OrderTerms) -> Draft:
    with _explicit():
        return garante.draft_order(
            authority_id=str(who.authority_id),
            effect=body.effect,
            scope=_scope(body.scope),
            everything=body.scope == "all",
            order_id=body.id,
            requires=_requires(body.requires),
            exempts=body.exempts,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            while_condition=body.while_condition,
            reason=body.reason,
        )


def _amendment(garante: Garante, who: Principal, order_id: str, body: AmendTerms) -> Draft:
    with _explicit():
        return garante.draft_amendment(
            order_id,
            authority_id=str(who.authority_id),
            effect=body.effect,
            scope=_scope(body.scope) if body.scope is not None else None,
            everything=body.scope == "all",
            requires=_requires(body.requires),
            exempts=body.exempts,
            valid_until=body.valid_until,
            while_condition=body.while_condition,
            clear_condition=body.clear_condition,
            reason=body.reason,
        )


def _statement(statement: Mapping[str, Json]) -> StatementOut:
    return StatementOut(statement=dict(statement), canonical=canonical(statement).decode())


def _previewed(draft: Draft, statement: Mapping[str, Json]) -> OrderDraftOut:
    return OrderDraftOut(
        statement=dict(statement),
        canonical=canonical(statement).decode(),
        reach=ReachOut.of(draft.reach),
    )


@router.get("/orders", response_model=PageOf[records.Order], responses=responses(401, 403, 422))
def list_orders(
    request: Request,
    active: bool = Query(False, description="Hide lifted orders"),
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.orders)),  # noqa: B008
) -> Paged[records.Order]:
    rows = acting(request, who).orders(include_lifted=not active, page=current)
    return paged(rows, current, "sequence")


@router.get("/orders/{order_id}", response_model=records.Order, responses=responses(401, 403, 404))
def get_order(
    order_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.order)),  # noqa: B008
) -> records.Order:
    return acting(request, who).order(order_id)


@router.post(
    "/orders/draft", response_model=OrderDraftOut, responses=responses(401, 403, 404, 409, 422)
)
def draft_order(
    body: OrderTerms,
    request: Request,
    who: Principal = Depends(may(Garante.draft_order)),  # noqa: B008
) -> OrderDraftOut:
    """The statement the authority signs for these terms; stores nothing.

    Send the same terms, with the returned ``id`` and ``valid_from``, and the signature.
    ``reach`` says how many partners, and agencies in all, the scope reaches.
    """
    draft = _draft(acting(request, who), who, body)
    return _previewed(draft, draft.order.statement())


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderChange,
    responses=responses(401, 403, 404, 409, 422),
)
def issue_order(
    body: OrderIn,
    request: Request,
    who: Principal = Depends(may(Garante.issue_order)),  # noqa: B008
) -> OrderChange:
    """Issue an order as the token's authority; held requests in scope are decided again, and
    releases not yet delivered are withheld or made available again (``withheld``,
    ``available``)."""
    garante = acting(request, who)
    order = _draft(garante, who, body).order
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.issue_order(order, signature=signature, assertion=assertion_of(body.assertion))
    return OrderChange.of(change)


@router.post(
    "/orders/{order_id}/amend/draft",
    response_model=OrderDraftOut,
    responses=responses(401, 403, 404, 409, 422),
)
def draft_amendment(
    order_id: str,
    body: AmendTerms,
    request: Request,
    who: Principal = Depends(may(Garante.draft_amendment)),  # noqa: B008
) -> OrderDraftOut:
    draft = _amendment(acting(request, who), who, order_id, body)
    return _previewed(draft, {**draft.order.statement(), "amended_by": who.authority_id})


@router.post(
    "/orders/{order_id}/amend",
    response_model=OrderChange,
    responses=responses(401, 403, 404, 409, 422),
)
def amend_order(
    order_id: str,
    body: AmendIn,
    request: Request,
    who: Principal = Depends(may(Garante.amend_order)),  # noqa: B008
) -> OrderChange:
    """Amend an order: only the terms given change; the order gets a new signed version."""
    garante = acting(request, who)
    amended = _amendment(garante, who, order_id, body).order
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.amend_order(
        amended,
        authority_id=str(who.authority_id),
        signature=signature,
        assertion=assertion_of(body.assertion),
    )
    return OrderChange.of(change)


@router.post(
    "/orders/{order_id}/lift/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 409, 422),
)
def draft_lift(
    order_id: str,
    body: LiftIn,
    request: Request,
    who: Principal = Depends(may(Garante.lift_statement)),  # noqa: B008
) -> StatementOut:
    return _statement(
        acting(request, who).lift_statement(
            order_id, authority_id=str(who.authority_id), reason=body.reason
        )
    )


@router.post(
    "/orders/{order_id}/lift",
    response_model=OrderChange,
    responses=responses(401, 403, 404, 409, 422),
)
def lift_order(
    order_id: str,
    body: LiftIn,
    request: Request,
    who: Principal = Depends(may(Garante.lift_order)),  # noqa: B008
) -> OrderChange:
    """Lift an order; everything it held is decided again at once."""
    signature = decode_signature(body.signature) if body.signature else None
    change = acting(request, who).lift_order(
        order_id,
        authority_id=str(who.authority_id),
        reason=body.reason,
        signature=signature,
        assertion=assertion_of(body.assertion),
    )
    return OrderChange.of(change)
