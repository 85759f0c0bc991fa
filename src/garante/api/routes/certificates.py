"""/agencies/{id}/certificates: partners' client certificates, by SHA-256 fingerprint."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from garante import records
from garante.api.auth import acting, may
from garante.api.errors import responses
from garante.api.schemas import CertificateIn, CertificateRotationIn
from garante.certificates import read_fingerprint
from garante.domain.roles import Principal
from garante.service.app import Garante

router = APIRouter(tags=["agencies and authorities"])


@router.get(
    "/agencies/{agency_id}/certificates",
    response_model=list[records.AgencyCertificate],
    responses=responses(401, 403, 404),
)
def list_certificates(
    agency_id: str,
    request: Request,
    who: Principal = Depends(may(Garante.certificates)),  # noqa: B008
) -> list[records.AgencyCertificate]:
    """An agency's client certificates, removed ones too. A partner sees only its own."""
    return acting(request, who).certificates(agency_id)


@router.post(
    "/agencies/{agency_id}/certificates",
    status_code=201,
    response_model=records.AgencyCertificate,
    responses=responses(401, 403, 404, 409, 422),
)
def add_certificate(
    agency_id: str,
    body: CertificateIn,
    request: Request,
    who: Principal = Depends(may(Garante.add_certificate)),  # noqa: B008
) -> records.AgencyCertificate:
    """Register a partner's client certificate (liaison); logged."""
    fingerprint = read_fingerprint(body.certificate)
    return acting(request, who).add_certificate(agency_id, fingerprint, label=body.label).value


@router.post(
    "/agencies/{agency_id}/certificates/rotate",
    response_model=records.AgencyCertificate,
    responses=responses(401, 403, 404, 409, 422),
)
def rotate_certificate(
    agency_id: str,
    body: CertificateRotationIn,
    request: Request,
    who: Principal = Depends(may(Garante.rotate_certificate)),  # noqa: B008
) -> records.AgencyCertificate:
    """Replace a partner's certificate with a new one in one transaction (liaison); logged."""
    old, new = read_fingerprint(body.old), read_fingerprint(body.new)
    return (
        acting(request, who).rotate_certificate(agency_id, old=old, new=new, label=body.label).value
    )


@router.delete(
    "/agencies/{agency_id}/certificates/{fingerprint}",
    response_model=records.AgencyCertificate,
    responses=responses(401, 403, 404, 422),
)
def remove_certificate(
    agency_id: str,
    fingerprint: str,
    request: Request,
    who: Principal = Depends(may(Garante.remove_certificate)),  # noqa: B008
) -> records.AgencyCertificate:
    """Withdraw a certificate: it authenticates no more (liaison); logged."""
    return acting(request, who).remove_certificate(agency_id, fingerprint).value
