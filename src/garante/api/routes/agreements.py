"""/agreements: partners' standing agreements, made and changed by a liaison officer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import (
    AgreementAmendIn,
    AgreementAmendTerms,
    AgreementChange,
    AgreementIn,
    AgreementReasonIn,
    AgreementSimulateIn,
    AgreementTerms,
    PageOf,
    StatementOut,
)
from garante.domain.agreement import Agreement
from garante.domain.roles import Principal
from garante.service.app import Garante, Page
from garante.signatures import canonical, decode_signature

router = APIRouter(tags=["agreements"])


def _terms(garante: Garante, body: AgreementTerms) -> Agreement:
    return garante.draft_agreement(
        body.partner,
        purposes=body.purposes,
        tlp_ceiling=body.tlp_ceiling,
        categories=body.categories,
        regions=body.regions,
        originators=body.originators,
        agreement_id=body.id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        recall_ack_within=body.recall_ack_within,
        onward_to=body.onward_to,
        onward_purposes=body.onward_purposes,
    )


def _amendment(garante: Garante, agreement_id: str, body: AgreementAmendTerms) -> Agreement:
    return garante.draft_agreement_amendment(
        agreement_id,
        purposes=body.purposes,
        tlp_ceiling=body.tlp_ceiling,
        categories=body.categories,
        regions=body.regions,
        originators=body.originators,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        clear_valid_until=body.clear_valid_until,
        recall_ack_within=body.recall_ack_within,
        onward_to=body.onward_to,
        onward_purposes=body.onward_purposes,
    )


def _statement(terms: Agreement) -> StatementOut:
    statement = terms.statement()
    return StatementOut(statement=statement, canonical=canonical(statement).decode())


@router.get(
    "/agreements",
    response_model=PageOf[records.Agreement],
    responses=responses(401, 403, 422),
)
def list_agreements(
    request: Request,
    partner: str | None = None,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.agreements)),  # noqa: B008
) -> Paged[records.Agreement]:
    """Agreements by id, of one partner if given; a partner sees only its own."""
    return paged(acting(request, who).agreements(partner, current), current, "id")


@router.get(
    "/agreements/{agreement_id}",
    response_model=records.Agreement,
    responses=responses(401, 403, 404),
)
def get_agreement(
    agreement_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.agreement)),  # noqa: B008
) -> records.Agreement:
    """One agreement at its latest version; a partner's own only (another's is 404)."""
    return acting(request, who).agreement(agreement_id)


@router.post(
    "/agreements/draft", response_model=StatementOut, responses=responses(401, 403, 404, 409, 422)
)
def draft_agreement(
    body: AgreementTerms,
    request: Request,
    who: Principal = Depends(may(Garante.draft_agreement)),  # noqa: B008
) -> StatementOut:
    """The validated terms, as the statement the partner countersigns (with its id and
    valid_from fixed); stores nothing. Send the same terms with the returned id and
    valid_from, and the countersignature, to POST /agreements."""
    return _statement(_terms(acting(request, who), body))


@router.post(
    "/agreements",
    status_code=201,
    response_model=AgreementChange,
    responses=responses(401, 403, 404, 409, 422),
)
def make_agreement(
    body: AgreementIn,
    request: Request,
    who: Principal = Depends(may(Garante.make_agreement)),  # noqa: B008
) -> AgreementChange:
    """Make an agreement, countersigned by the partner's key when a signature is given; from
    now on each item added that it covers starts a request per purpose. With backfill_from,
    the items added since then that it covers start theirs too, in the same transaction
    (``started``, each with its decision)."""
    garante = acting(request, who)
    terms = _terms(garante, body)
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.make_agreement(terms, signature=signature, backfill_from=body.backfill_from)
    return AgreementChange.of(change)


@router.post(
    "/agreements/simulate",
    response_model=records.AgreementPreview,
    responses=responses(401, 403, 404, 409, 422),
)
def simulate_agreement(
    body: AgreementSimulateIn,
    request: Request,
    who: Principal = Depends(may(Garante.simulate_agreement)),  # noqa: B008
) -> records.AgreementPreview:
    """What making these terms with backfill_from would start now: how many items it covers,
    the requests it would start, and how many would be released, held or denied. Stores
    nothing."""
    garante = acting(request, who)
    return garante.simulate_agreement(_terms(garante, body), backfill_from=body.backfill_from)


@router.post(
    "/agreements/{agreement_id}/amend/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 409, 422),
)
def draft_agreement_amendment(
    agreement_id: str,
    body: AgreementAmendTerms,
    request: Request,
    who: Principal = Depends(may(Garante.draft_agreement_amendment)),  # noqa: B008
) -> StatementOut:
    """The statement of the next version, for the partner to countersign; stores nothing."""
    return _statement(_amendment(acting(request, who), agreement_id, body))


@router.post(
    "/agreements/{agreement_id}/amend",
    response_model=AgreementChange,
    responses=responses(401, 403, 404, 409, 422),
)
def amend_agreement(
    agreement_id: str,
    body: AgreementAmendIn,
    request: Request,
    who: Principal = Depends(may(Garante.amend_agreement)),  # noqa: B008
) -> AgreementChange:
    """Put the next version in force: only the terms given change. Requests already started
    stand; items added from now on are matched against the new terms."""
    garante = acting(request, who)
    terms = _amendment(garante, agreement_id, body)
    signature = decode_signature(body.signature) if body.signature else None
    change = garante.amend_agreement(terms, reason=body.reason, signature=signature)
    return AgreementChange.of(change)


@router.post(
    "/agreements/{agreement_id}/suspend",
    response_model=AgreementChange,
    responses=responses(401, 403, 404, 409, 422),
)
def suspend_agreement(
    agreement_id: str,
    body: AgreementReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.suspend_agreement)),  # noqa: B008
) -> AgreementChange:
    """From now until it is resumed, the agreement starts nothing."""
    change = acting(request, who).suspend_agreement(agreement_id, reason=body.reason)
    return AgreementChange.of(change)


@router.post(
    "/agreements/{agreement_id}/resume",
    response_model=AgreementChange,
    responses=responses(401, 403, 404, 409, 422),
)
def resume_agreement(
    agreement_id: str,
    body: AgreementReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.resume_agreement)),  # noqa: B008
) -> AgreementChange:
    """A suspended agreement starts requests again, for items added from now on."""
    change = acting(request, who).resume_agreement(agreement_id, reason=body.reason)
    return AgreementChange.of(change)


@router.post(
    "/agreements/{agreement_id}/end",
    response_model=AgreementChange,
    responses=responses(401, 403, 404, 409, 422),
)
def end_agreement(
    agreement_id: str,
    body: AgreementReasonIn,
    request: Request,
    who: Principal = Depends(may(Garante.end_agreement)),  # noqa: B008
) -> AgreementChange:
    """End the agreement for good: it starts nothing more; requests it started stand."""
    change = acting(request, who).end_agreement(agreement_id, reason=body.reason)
    return AgreementChange.of(change)
