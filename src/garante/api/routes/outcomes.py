"""/outcomes, the simulations of orders (/orders/simulate, .../amend/simulate,
.../lift/simulate) and /reports."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.routes.orders import _amendment, _draft
from garante.api.schemas import (
    AmendTerms,
    Instant,
    OrderTerms,
    OutcomeChange,
    OutcomeIn,
    PageOf,
)
from garante.domain.errors import ValidationError
from garante.domain.outcome import OutcomeReport
from garante.domain.roles import Principal
from garante.domain.timeutil import utc
from garante.records import Simulation
from garante.service.app import Garante, Page
from garante.service.reports import as_csv_rows
from garante.signatures import decode_signature

router = APIRouter(tags=["outcomes and reports"])
FROM = Query(alias="from", description="Start of the period (inclusive)")
TO = Query(alias="to", description="End of the period (exclusive)")


@router.post(
    "/outcomes",
    status_code=201,
    response_model=OutcomeChange,
    responses=responses(401, 403, 404, 409, 422),
)
def report_outcome(
    body: OutcomeIn,
    request: Request,
    who: Principal = Depends(may(Garante.report_outcome)),  # noqa: B008
) -> OutcomeChange:
    """Report what was done with a release. A partner reports its own (signed when it has a
    key); an analyst reports for the originator. A breach suspends the partner at once.

    The release must have reached the partner (its feed offers it or delivered it), and the
    outcome not be dated before the release's decision. The same report sent again (the same
    release, kind, date, figures, place and note) is recorded once: ``new`` is false and the
    outcome is the one recorded before."""
    garante = acting(request, who)
    report = OutcomeReport(
        request_id=body.release,
        agency_id=body.agency,
        kind=body.kind,
        occurred_at=body.occurred_at or garante.clock.now(),
        casualties=body.casualties,
        persons=body.persons,
        quantities=body.quantities,
        place=body.place,
        note=body.note,
    )
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.report_outcome(report, signature=signature)
    return OutcomeChange(outcome=change.value, moved=change.moved, new=change.new)


@router.get(
    "/outcomes", response_model=PageOf[records.ReportedOutcome], responses=responses(401, 403, 422)
)
def list_outcomes(
    request: Request,
    agency: str | None = None,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.outcomes)),  # noqa: B008
) -> Paged[records.ReportedOutcome]:
    """Outcomes; a partner sees only its own."""
    return paged(acting(request, who).outcomes(agency, current), current, "id")


def _period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    begin, finish = utc(start), utc(end)
    if finish <= begin:
        raise ValidationError("'to' must be after 'from'", field="to")
    return begin, finish


@router.post("/orders/simulate", responses=responses(401, 403, 404, 422))
def simulate_order(
    body: OrderTerms,
    request: Request,
    start: Annotated[Instant, FROM],
    end: Annotated[Instant, TO],
    who: Principal = Depends(may(Garante.simulate_order)),  # noqa: B008
) -> Simulation:
    """What issuing these terms would change for the requests of [from, to); stores nothing."""
    begin, finish = _period(start, end)
    garante = acting(request, who)
    return garante.simulate_order(_draft(garante, who, body).order, start=begin, end=finish)


@router.post("/orders/{order_id}/amend/simulate", responses=responses(401, 403, 404, 409, 422))
def simulate_amendment(
    order_id: str,
    body: AmendTerms,
    request: Request,
    start: Annotated[Instant, FROM],
    end: Annotated[Instant, TO],
    who: Principal = Depends(may(Garante.simulate_amendment)),  # noqa: B008
) -> Simulation:
    """What amending the order with these terms would change for the requests of [from, to):
    each decided with the order as it stands and with the amended version; stores nothing."""
    begin, finish = _period(start, end)
    garante = acting(request, who)
    amended = _amendment(garante, who, order_id, body).order
    return garante.simulate_amendment(order_id, amended, start=begin, end=finish)


@router.post("/orders/{order_id}/lift/simulate", responses=responses(401, 403, 404, 422))
def simulate_lift(
    order_id: str,
    request: Request,
    start: Annotated[Instant, FROM],
    end: Annotated[Instant, TO],
    who: Principal = Depends(may(Garante.simulate_lift)),  # noqa: B008
) -> Simulation:
    """What lifting the order would change for the requests of [from, to)."""
    begin, finish = _period(start, end)
    return acting(request, who).simulate_lift(order_id, start=begin, end=finish)


@router.get(
    "/reports/partners",
    response_model=records.PartnerReport,
    responses={
        **responses(401, 403, 422),
        200: {"content": {"application/json": {}, "text/csv": {}}},
    },
)
def partner_report(
    request: Request,
    start: Annotated[Instant, FROM],
    end: Annotated[Instant, TO],
    format: str = Query("json", pattern="^(json|csv)$"),
    who: Principal = Depends(may(Garante.partner_report)),  # noqa: B008
) -> records.PartnerReport | Response:
    """Per partner and period: releases by decision, time held, outcomes by kind, breaches."""
    begin, finish = _period(start, end)
    report = acting(request, who).partner_report(start=begin, end=finish)
    if format == "json":
        return report
    buffer = io.StringIO()
    csv.writer(buffer).writerows(as_csv_rows(report))
    return Response(buffer.getvalue(), media_type="text/csv")
