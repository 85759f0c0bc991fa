"""/agencies and /authorities."""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.paging import Paged, keyset, paged
from garante.api.schemas import (
    AgencyIn,
    AuthorityIn,
    KeyDraftIn,
    KeyIn,
    PageOf,
    StandingOut,
    StatementOut,
)
from garante.domain.roles import Principal
from garante.service.app import Garante, Page
from garante.service.usecases.agencies import KeyStatementOf, SetsKey
from garante.signatures import canonical, decode_signature, parse_public_key

router = APIRouter(tags=["agencies and authorities"])

T = TypeVar("T")


@router.get("/agencies", response_model=PageOf[records.Agency], responses=responses(401, 403, 422))
def list_agencies(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.agencies)),  # noqa: B008
) -> Paged[records.Agency]:
    """Agencies. A partner sees only itself."""
    return paged(acting(request, who).agencies(current), current, "id")


@router.post(
    "/agencies",
    status_code=201,
    response_model=records.Agency,
    responses=responses(401, 403, 409, 422),
)
def register_agency(
    body: AgencyIn,
    request: Request,
    who: Principal = Depends(may(Garante.register_agency)),  # noqa: B008
) -> records.Agency:
    """Register an agency (liaison)."""
    key = parse_public_key(body.public_key) if body.public_key else None
    return (
        acting(request, who)
        .register_agency(
            body.id,
            name=body.name,
            country=body.country,
            domestic=body.domestic,
            requires_undertaking=body.requires_undertaking,
            public_key=key,
        )
        .value
    )


@router.get(
    "/agencies/{agency_id}", response_model=records.Agency, responses=responses(401, 403, 404)
)
def get_agency(
    agency_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.agency)),  # noqa: B008
) -> records.Agency:
    return acting(request, who).agency(agency_id)


@router.post(
    "/agencies/{agency_id}/key/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 422),
)
def draft_agency_key(
    agency_id: str,
    body: KeyDraftIn,
    request: Request,
    who: Principal = Depends(may(Garante.agency_key_statement)),  # noqa: B008
) -> StatementOut:
    """What must be signed to put this key in place of the agency's current one; stores
    nothing. The agency's current key signs it; to recover a lost key, the authority named."""
    return _key_statement(acting(request, who).agency_key_statement, agency_id, body)


@router.put(
    "/agencies/{agency_id}/key",
    response_model=records.Agency,
    responses=responses(401, 403, 404, 422),
)
def set_agency_key(
    agency_id: str,
    body: KeyIn,
    request: Request,
    who: Principal = Depends(may(Garante.set_agency_key)),  # noqa: B008
) -> records.Agency:
    """Register an agency's public key; from then on its undertakings must be signed.

    Replacing a registered key takes the statement of ``.../key/draft`` signed by that key (or,
    with ``recovered_by``, by that authority's key); the log keeps the statement.
    """
    return _set_key(acting(request, who).set_agency_key, agency_id, body)


@router.get(
    "/authorities", response_model=PageOf[records.Authority], responses=responses(401, 403, 422)
)
def list_authorities(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.authorities)),  # noqa: B008
) -> Paged[records.Authority]:
    return paged(acting(request, who).authorities(current), current, "id")


@router.post(
    "/authorities",
    status_code=201,
    response_model=records.Authority,
    responses=responses(401, 403, 409, 422),
)
def register_authority(
    body: AuthorityIn,
    request: Request,
    who: Principal = Depends(may(Garante.register_authority)),  # noqa: B008
) -> records.Authority:
    """Register an authority that may issue orders (liaison)."""
    key = parse_public_key(body.public_key) if body.public_key else None
    return acting(request, who).register_authority(body.id, name=body.name, public_key=key).value


@router.post(
    "/authorities/{authority_id}/key/draft",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 422),
)
def draft_authority_key(
    authority_id: str,
    body: KeyDraftIn,
    request: Request,
    who: Principal = Depends(may(Garante.authority_key_statement)),  # noqa: B008
) -> StatementOut:
    """What must be signed to put this key in place of the authority's current one; stores
    nothing. The authority's current key signs it; to recover a lost key, the other authority
    named."""
    return _key_statement(acting(request, who).authority_key_statement, authority_id, body)


@router.put(
    "/authorities/{authority_id}/key",
    response_model=records.Authority,
    responses=responses(401, 403, 404, 422),
)
def set_authority_key(
    authority_id: str,
    body: KeyIn,
    request: Request,
    who: Principal = Depends(may(Garante.set_authority_key)),  # noqa: B008
) -> records.Authority:
    """Register an authority's public key; from then on its orders must be signed.

    Replacing a registered key takes the statement of ``.../key/draft`` signed by that key (or,
    with ``recovered_by``, by that other authority's key); the log keeps the statement.
    """
    return _set_key(acting(request, who).set_authority_key, authority_id, body)


@router.get(
    "/agencies/{agency_id}/standing",
    response_model=StandingOut,
    responses=responses(401, 403, 404),
)
def get_standing(
    agency_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.standing)),  # noqa: B008
) -> StandingOut:
    """Whether sharing with the agency is open, conditional, held or suspended now, and why.

    Not for partners: a standing names the orders that reach the agency.
    """
    return StandingOut.of(acting(request, who).standing(agency_id))


@router.get("/standings", response_model=PageOf[StandingOut], responses=responses(401, 403, 422))
def list_standings(
    request: Request,
    current: Page = Depends(keyset),  # noqa: B008
    who: Principal = Depends(may(Garante.standings)),  # noqa: B008
) -> Paged[StandingOut]:
    """The standing of every agency, by id. Not for partners."""
    rows = [StandingOut.of(s) for s in acting(request, who).standings(current)]
    return paged(rows, current, "agency")


def _key_statement(statement_of: KeyStatementOf, party_id: str, body: KeyDraftIn) -> StatementOut:
    """What an agency or an authority must sign to put ``body``'s key in place of its own."""
    statement = statement_of(
        party_id, parse_public_key(body.public_key), recovered_by=body.recovered_by
    )
    return StatementOut(statement=statement, canonical=canonical(statement).decode())


def _set_key(set_key: SetsKey[T], party_id: str, body: KeyIn) -> T:
    """An agency's or an authority's new key, with its proof, as ``set_key`` registers it."""
    change = set_key(
        party_id,
        parse_public_key(body.public_key),
        signature=decode_signature(body.signature) if body.signature else None,
        recovered_by=body.recovered_by,
    )
    return change.value
