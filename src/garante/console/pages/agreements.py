"""Standing agreements: each partner's, an agreement's page, and the liaison's forms.

Making one is two steps, as an order is: the preview drafts the terms, shows the statement the
partner may countersign and, for an agreement that also covers the items added since a date,
how many items that is and how each request it would start would be decided now
(``simulate_agreement``); the confirm post drafts the same terms again and makes it, and the
done page lists what it started. Amend, suspend, resume and end are one post each from the
agreement's page, with the reason the service requires; each shows its result.

The internal roles read every agreement, a partner its own: the service narrows
(``Garante.agreements``), the console never does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from garante import records
from garante.console.errors import shown
from garante.console.forms import AgreementTerms, Form, form
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import Viewer, check_csrf, service, viewer
from garante.domain.agreement import TLP_ORDER, Agreement
from garante.domain.errors import GaranteError
from garante.domain.numbers import whole_number
from garante.service.app import Garante, Page
from garante.service.results import Change
from garante.signatures import canonical, decode_signature

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
FORM = "agreement"  # the error words and field labels of these forms (console/errors.py)


def _choices(garante: Garante) -> dict[str, Any]:
    """What the forms offer: partners, purposes, categories, regions, markings, originators."""
    agencies = garante.agencies()
    vocabulary = garante.vocabulary().to_dict()
    return {
        "partners": [a for a in agencies if not a.domestic],
        "originators": [a for a in agencies if a.domestic],
        "vocabulary": vocabulary,
        "markings": [tlp.value for tlp in TLP_ORDER],
    }


def _error(error: GaranteError | None, who: Viewer, action: str) -> dict[str, str] | None:
    """The error as the forms show it, naming the form (``action``) that was sent."""
    if error is None:
        return None
    return {**shown(error, who.lang, form=FORM), "form": action}


def _liaison(request: Request, data: Form) -> Viewer:
    """The signed-in liaison officer behind a form post, once its CSRF token is checked."""
    who = viewer(request)
    who.require_agreements()
    check_csrf(request, data.get("csrf"))
    return who


# -- agreements, of every partner or of one ---------------------------------------------------


@router.get("/agreements")
def agreements(request: Request) -> Response:
    who = viewer(request)
    garante = service(request)
    params = request.query_params
    after = params.get("after", "") or None
    agencies = garante.agencies() if who.internal else []
    # The filter is a reader's choice; which agreements a partner sees is the service's.
    asked = params.get("partner", "")
    partner = asked if asked in {a.id for a in agencies} else None
    rows = garante.agreements(partner, Page(after=after, limit=PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request,
        "agreements.html",
        viewer=who,
        rows=rows,
        partners=[a for a in agencies if not a.domestic],
        partner=partner,
        after=after,
        next_after=rows[-1].id if more and rows else None,
        now=garante.clock.now(),
    )


# -- making one: the form, the preview, the done page -----------------------------------------


def _form_page(
    request: Request,
    who: Viewer,
    terms: AgreementTerms,
    *,
    error: GaranteError | None = None,
) -> Response:
    return page(
        request,
        "agreement_new.html",
        viewer=who,
        terms=terms,
        error=_error(error, who, "make"),
        status_code=error.http_status if error else 200,
        **_choices(service(request)),
    )


@router.get("/agreements/new")
def new_agreement(request: Request) -> Response:
    who = viewer(request)
    who.require_agreements()
    return _form_page(request, who, AgreementTerms())


def _draft(garante: Garante, terms: AgreementTerms) -> Agreement:
    return garante.draft_agreement(
        terms.partner,
        purposes=list(terms.purposes),
        tlp_ceiling=terms.tlp_ceiling,
        categories=list(terms.categories),
        regions=list(terms.regions),
        originators=list(terms.originators),
        agreement_id=terms.id or None,
        valid_from=terms.start(),
        valid_until=terms.until(),
    )


def _signature(data: Form) -> bytes | None:
    text = data.get("signature")
    return decode_signature(text) if text else None


@router.post("/agreements/preview")
def preview_agreement(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _liaison(request, data)
    garante = service(request)
    terms = AgreementTerms.parse(data)
    try:
        drafted = _draft(garante, terms)
        since = terms.since()
        preview = (
            garante.simulate_agreement(drafted, backfill_from=since) if since is not None else None
        )
    except GaranteError as exc:
        return _form_page(request, who, terms, error=exc)
    statement = drafted.statement()
    return page(
        request,
        "agreement_preview.html",
        viewer=who,
        agreement=drafted,
        preview=preview,
        hidden=terms.with_draft(drafted.id, drafted.valid_from).hidden(),
        canonical=canonical(statement).decode(),
    )


@router.post("/agreements/make")
def make_agreement(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _liaison(request, data)
    garante = service(request)
    terms = AgreementTerms.parse(data)
    try:
        change = garante.make_agreement(
            _draft(garante, terms), signature=_signature(data), backfill_from=terms.since()
        )
    except GaranteError as exc:
        return _form_page(request, who, terms, error=exc)
    return _done(request, who, "made", change)


def _done(
    request: Request, who: Viewer, action: str, change: Change[records.Agreement]
) -> Response:
    """What the write did: the agreement as it stands now, and the requests it started."""
    return page(
        request,
        "agreement_done.html",
        viewer=who,
        action=action,
        agreement=change.value,
        started=change.started,
    )


# -- an agreement's page, and the changes made from it --------------------------------------


def _agreement_page(
    request: Request,
    who: Viewer,
    agreement_id: str,
    *,
    error: GaranteError | None = None,
    action: str = "",
    sent: AgreementTerms | None = None,
) -> Response:
    garante = service(request)
    agreement = garante.agreement(agreement_id)
    after = whole_number(request.query_params.get("after", ""))
    rows: list[records.Standing] = []
    if who.internal:  # a partner's releases are in its feed, not here
        rows = garante.agreement_requests(agreement_id, Page(after=after, limit=PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    choices = _choices(garante) if who.makes_agreements else {}
    return page(
        request,
        "agreement_detail.html",
        viewer=who,
        agreement=agreement,
        terms=sent or AgreementTerms.from_agreement(agreement),
        error=_error(error, who, action),
        status_code=error.http_status if error else 200,
        rows=rows,
        after=after,
        next_after=rows[-1].id if more and rows else None,
        **choices,
    )


@router.get("/agreements/{agreement_id}")
def agreement_detail(agreement_id: str, request: Request) -> Response:
    return _agreement_page(request, viewer(request), agreement_id)


@router.post("/agreements/{agreement_id}/amend")
def amend_agreement(
    agreement_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    who = _liaison(request, data)
    garante = service(request)
    terms = AgreementTerms.parse(data)
    try:
        amended = garante.draft_agreement_amendment(
            agreement_id,
            purposes=list(terms.purposes),
            tlp_ceiling=terms.tlp_ceiling or None,
            categories=list(terms.categories),
            regions=list(terms.regions),
            originators=list(terms.originators),
            valid_from=terms.start(),
            valid_until=terms.until(),
            clear_valid_until=not terms.valid_until,
        )
        change = garante.amend_agreement(amended, reason=terms.reason, signature=_signature(data))
    except GaranteError as exc:
        return _agreement_page(request, who, agreement_id, error=exc, action="amend", sent=terms)
    return _done(request, who, "amended", change)


def _change(request: Request, agreement_id: str, data: Form, action: str) -> Response:
    """Suspend, resume or end, with the reason the form gives."""
    who = _liaison(request, data)
    garante = service(request)
    act = {
        "suspend": (garante.suspend_agreement, "suspended"),
        "resume": (garante.resume_agreement, "resumed"),
        "end": (garante.end_agreement, "ended"),
    }
    write, done = act[action]
    try:
        change = write(agreement_id, reason=data.get("reason"))
    except GaranteError as exc:
        return _agreement_page(request, who, agreement_id, error=exc, action=action)
    return _done(request, who, done, change)


@router.post("/agreements/{agreement_id}/suspend")
def suspend_agreement(
    agreement_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    return _change(request, agreement_id, data, "suspend")


@router.post("/agreements/{agreement_id}/resume")
def resume_agreement(
    agreement_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    return _change(request, agreement_id, data, "resume")


@router.post("/agreements/{agreement_id}/end")
def end_agreement(
    agreement_id: str,
    request: Request,
    data: Form = Depends(form),  # noqa: B008
) -> Response:
    return _change(request, agreement_id, data, "end")
