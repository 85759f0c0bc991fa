"""Orders on a timeline, and the authority's issue, amend and lift forms.

Every write is two steps, as in the API: a preview drafts the statement, simulates it over
recent requests (a new order, an amendment beside the order as it stands, or a lift) and shows
what must be signed; the second post
drafts the same terms again and hands the signature to the service, acting as the signed-in
authority, so each change gets its audit entry like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from garante import records
from garante.console.errors import shown
from garante.console.forms import Form, OrderTerms, form
from garante.console.pages.passkeys import assertion_of, signature_of, signing
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import Viewer, check_csrf, service, viewer
from garante.console.timeline import timeline
from garante.domain.errors import GaranteError
from garante.domain.events import Json
from garante.domain.order import Effect, Order
from garante.service.app import Garante
from garante.service.results import Change, Draft, Reach
from garante.signatures import canonical

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


class Choices(TypedDict):
    """What the forms offer: known agencies, countries, vocabularies, conditions, orders."""

    agencies: list[records.Agency]
    countries: list[str]
    vocabulary: dict[str, list[str]]
    conditions: list[records.Condition]
    exemptable: list[records.Order]
    effects: list[str]


def _choices(garante: Garante) -> Choices:
    agencies = garante.agencies()
    return Choices(
        agencies=agencies,
        countries=sorted({a.country for a in agencies}),
        vocabulary=garante.vocabulary().to_dict(),
        conditions=garante.conditions(),
        exemptable=[o for o in garante.orders(include_lifted=False) if o.effect != Effect.EXEMPT],
        effects=[e.value for e in Effect],
    )


def _orders_page(request: Request, who: Viewer) -> Response:
    garante = service(request)
    orders = garante.orders()
    now = garante.clock.now()
    conditions = {c.id: c for c in garante.conditions()}
    return page(
        request,
        "orders.html",
        viewer=who,
        orders=orders,
        timeline=timeline(orders, now),
        conditions=conditions,
        now=now,
    )


@router.get("/orders")
def orders(request: Request) -> Response:
    who = viewer(request)
    who.require_internal()
    return _orders_page(request, who)


def _form_page(
    request: Request,
    who: Viewer,
    terms: OrderTerms,
    *,
    error: GaranteError | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "order_new.html",
        viewer=who,
        terms=terms,
        error=shown(error, who.lang) if error else None,
        status_code=status_code,
        **_choices(service(request)),
    )


@router.get("/orders/new")
def new_order(request: Request) -> Response:
    who = viewer(request)
    who.require_authority()
    return _form_page(request, who, OrderTerms(effect="hold"))


def _draft(garante: Garante, who: Viewer, terms: OrderTerms) -> Draft:
    return garante.draft_order(
        authority_id=str(who.principal.authority_id),
        effect=terms.effect,
        scope=terms.scope(),
        everything=terms.everything,
        order_id=terms.id or None,
        requires=terms.requires(),
        exempts=list(terms.exempts) if terms.effect == Effect.EXEMPT else None,
        valid_from=terms.start(),
        valid_until=terms.until(),
        while_condition=terms.while_condition or None,
        reason=terms.reason,
    )


def _authority(request: Request, data: Form) -> Viewer:
    """The signed-in authority behind a form post, once its CSRF token is checked."""
    who = viewer(request)
    who.require_authority()
    check_csrf(request, data.get("csrf"))
    return who


def _recent(garante: Garante, days: int) -> tuple[datetime, datetime]:
    """The period a preview simulates: the last ``days`` days, up to and including now."""
    now = garante.clock.now()
    return now - timedelta(days=days), now + timedelta(seconds=1)


def _preview(
    request: Request,
    who: Viewer,
    garante: Garante,
    *,
    action: str,
    target: str,
    order_id: str,
    hidden: list[tuple[str, str]],
    statement: Mapping[str, Json],
    simulation: records.Simulation | None = None,
    reach: Reach | None = None,
    scopes: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None,
) -> Response:
    """The second step of every order form: what is to be signed, and what it would change.

    ``scopes``: an amendment's scope before and after, as ``Scope.to_dict`` gives them.
    """
    return page(
        request,
        "order_preview.html",
        viewer=who,
        action=action,
        target=target,
        order_id=order_id,
        hidden=hidden,
        simulation=simulation,
        reach=reach,
        scopes=scopes,
        error=None,
        statement=statement,
        canonical=canonical(statement).decode(),
        **signing(garante, str(who.principal.authority_id), statement),
    )


@router.post("/orders/preview")
def preview_order(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _authority(request, data)
    garante = service(request)
    terms = OrderTerms.parse(data)
    try:
        draft = _draft(garante, who, terms)
        order = draft.order
        start, end = _recent(garante, terms.days)
        simulation = garante.simulate_order(order, start=start, end=end)
    except GaranteError as exc:
        return _form_page(request, who, terms, error=exc, status_code=exc.http_status)
    return _preview(
        request,
        who,
        garante,
        action="issue",
        target="/orders/issue",
        order_id=order.id,
        hidden=terms.with_draft(order.id, order.valid_from).hidden(),
        statement=order.statement(),
        simulation=simulation,
        reach=draft.reach,
    )


@router.post("/orders/issue")
def issue_order(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _authority(request, data)
    garante = service(request)
    terms = OrderTerms.parse(data)
    try:
        order = _draft(garante, who, terms).order
        change = garante.issue_order(
            order, signature=signature_of(data), assertion=assertion_of(data)
        )
    except GaranteError as exc:
        return _form_page(request, who, terms, error=exc, status_code=exc.http_status)
    return _changed(request, who, "issued", change)


def _changed(request: Request, who: Viewer, action: str, change: Change[records.Order]) -> Response:
    """What the write changed now: the held requests it decided again, and the releases not
    yet delivered it withheld or made available again (not the preview's past requests)."""
    return page(
        request,
        "order_done.html",
        viewer=who,
        action=action,
        order=change.value,
        moved=change.moved,
        withheld=change.withheld,
        available=change.available,
    )


def _order_page(
    request: Request, who: Viewer, order_id: str, *, error: GaranteError | None = None
) -> Response:
    garante = service(request)
    order = garante.order(order_id)
    return page(
        request,
        "order_detail.html",
        viewer=who,
        order=order,
        error=shown(error, who.lang) if error else None,
        status_code=error.http_status if error else 200,
        condition={c.id: c for c in garante.conditions()}.get(order.while_condition or ""),
        **_choices(garante),
    )


@router.get("/orders/{order_id}")
def order_detail(order_id: str, request: Request) -> Response:
    who = viewer(request)
    who.require_internal()
    return _order_page(request, who, order_id)


def _amendment(garante: Garante, who: Viewer, order_id: str, terms: OrderTerms) -> Draft:
    return garante.draft_amendment(
        order_id,
        authority_id=str(who.principal.authority_id),
        effect=terms.effect or None,
        scope=terms.scope(),
        everything=terms.everything,
        requires=terms.requires(),
        exempts=list(terms.exempts) if terms.effect == Effect.EXEMPT else [],
        valid_until=terms.until(),
        while_condition=terms.while_condition or None,
        clear_condition=not terms.while_condition,
        reason=terms.reason or None,
    )


def _amendment_statement(amended: Order, who: Viewer) -> dict[str, Json]:
    return {**amended.statement(), "amended_by": who.principal.authority_id}


@router.post("/orders/{order_id}/amend/preview")
def preview_amendment(
    order_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    who = _authority(request, data)
    garante = service(request)
    terms = OrderTerms.parse(data)
    try:
        before = garante.order(order_id).scope
        draft = _amendment(garante, who, order_id, terms)
        start, end = _recent(garante, terms.days)
        simulation = garante.simulate_amendment(order_id, draft.order, start=start, end=end)
    except GaranteError as exc:
        return _order_page(request, who, order_id, error=exc)
    return _preview(
        request,
        who,
        garante,
        action="amend",
        target=f"/orders/{order_id}/amend",
        order_id=order_id,
        hidden=terms.hidden(),
        statement=_amendment_statement(draft.order, who),
        simulation=simulation,
        reach=draft.reach,
        scopes=(before, draft.order.scope.to_dict()),
    )


@router.post("/orders/{order_id}/amend")
def amend_order(
    order_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    who = _authority(request, data)
    garante = service(request)
    terms = OrderTerms.parse(data)
    try:
        amended = _amendment(garante, who, order_id, terms).order
        change = garante.amend_order(
            amended,
            authority_id=str(who.principal.authority_id),
            signature=signature_of(data),
            assertion=assertion_of(data),
        )
    except GaranteError as exc:
        return _order_page(request, who, order_id, error=exc)
    return _changed(request, who, "amended", change)


@router.post("/orders/{order_id}/lift/preview")
def preview_lift(
    order_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    who = _authority(request, data)
    garante = service(request)
    reason = data.get("reason")
    days = OrderTerms.parse(data).days
    try:
        statement = garante.lift_statement(
            order_id, authority_id=str(who.principal.authority_id), reason=reason
        )
        start, end = _recent(garante, days)
        simulation = garante.simulate_lift(order_id, start=start, end=end)
    except GaranteError as exc:
        return _order_page(request, who, order_id, error=exc)
    return _preview(
        request,
        who,
        garante,
        action="lift",
        target=f"/orders/{order_id}/lift",
        order_id=order_id,
        hidden=[("reason", reason), ("days", str(days))],
        statement=statement,
        simulation=simulation,
    )


@router.post("/orders/{order_id}/lift")
def lift_order(
    order_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    who = _authority(request, data)
    garante = service(request)
    try:
        change = garante.lift_order(
            order_id,
            authority_id=str(who.principal.authority_id),
            reason=data.get("reason"),
            signature=signature_of(data),
            assertion=assertion_of(data),
        )
    except GaranteError as exc:
        return _order_page(request, who, order_id, error=exc)
    return _changed(request, who, "lifted", change)
