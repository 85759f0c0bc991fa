"""Partners' client certificates: registered, rotated and removed (each logged), and a
verified certificate's fingerprint turned into its agency's partner principal."""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.certificates import normalise_fingerprint
from garante.domain.errors import AlreadyExists, InvalidState, NotEntitled, NotFound
from garante.domain.events import AgencyCertificateAdded, AgencyCertificateRemoved
from garante.domain.roles import Principal, Role
from garante.service import lookup
from garante.service.tokens import Forbidden, Unauthenticated
from garante.service.transaction import Transaction
from garante.store import certificates
from garante.store.schema import AgencyCertificateRow

PRINCIPAL_PREFIX = "cert:"  # a certificate principal's ``token_id``: cert:<first 16 hex digits>


def add_certificate(
    tx: Transaction, *, agency_id: str, fingerprint: str, label: str = ""
) -> AgencyCertificateRow:
    """A partner agency's certificate: from now on it authenticates as the agency's partner."""
    fingerprint = normalise_fingerprint(fingerprint)
    agency = lookup.agency(tx.session, agency_id, field="agency")
    if agency.domestic:
        raise NotEntitled(
            f"'{agency_id}' is a domestic agency: client certificates act for partners",
            field="agency",
            hint="register the certificate for a partner agency",
        )
    existing = certificates.get(tx.session, fingerprint)
    if existing is not None:
        whose = "was removed" if existing.removed_at else f"is {existing.agency_id}'s"
        raise AlreadyExists(
            f"certificate {fingerprint} {whose}; a fingerprint is registered once",
            field="fingerprint",
            hint="issue the partner a new certificate",
        )
    row = certificates.add(
        tx.session, fingerprint=fingerprint, agency_id=agency_id, label=label.strip(), at=tx.now
    )
    tx.audit(AgencyCertificateAdded(agency=agency_id, fingerprint=fingerprint, label=row.label))
    return row


def remove_certificate(
    tx: Transaction, *, agency_id: str, fingerprint: str
) -> AgencyCertificateRow:
    """The certificate no longer authenticates; removing a removed one changes nothing."""
    fingerprint = normalise_fingerprint(fingerprint)
    lookup.agency(tx.session, agency_id, field="agency")
    row = certificates.get(tx.session, fingerprint)
    if row is None or row.agency_id != agency_id:
        raise NotFound(
            f"no certificate {fingerprint} for {agency_id}",
            field="fingerprint",
            hint=f"garante agencies certificate list {agency_id}",
        )
    if row.removed_at is None:
        row.removed_at = tx.now
        tx.audit(AgencyCertificateRemoved(agency=agency_id, fingerprint=fingerprint))
    return row


def rotate_certificate(
    tx: Transaction, *, agency_id: str, old: str, new: str, label: str = ""
) -> tuple[AgencyCertificateRow, AgencyCertificateRow]:
    """``new`` in, ``old`` out, in one transaction: never a moment with neither, nor both."""
    old_row = certificates.get(tx.session, normalise_fingerprint(old))
    if old_row is None or old_row.agency_id != agency_id or old_row.removed_at is not None:
        raise InvalidState(
            f"{agency_id} has no certificate {normalise_fingerprint(old)} in use to rotate",
            field="old",
            hint=f"garante agencies certificate list {agency_id}",
        )
    added = add_certificate(tx, agency_id=agency_id, fingerprint=new, label=label)
    removed = remove_certificate(tx, agency_id=agency_id, fingerprint=old)
    return added, removed


def authenticate(session: Session, fingerprint: str) -> Principal:
    """The partner principal a verified client certificate stands for: ``Unauthenticated``
    for a certificate not registered (or removed), ``Forbidden`` for a deactivated agency."""
    row = certificates.get(session, fingerprint)
    if row is None or row.removed_at is not None:
        raise Unauthenticated(
            "the client certificate is not registered for any agency",
            hint="a liaison registers it: garante agencies certificate add AGENCY CERT.pem",
        )
    agency = lookup.agency(session, row.agency_id)
    if not agency.active:
        raise Forbidden(
            f"the client certificate is {agency.id}'s, which is deactivated",
            hint="ask the originating agency's liaison",
        )
    return Principal(
        token_id=PRINCIPAL_PREFIX + fingerprint[:16], role=Role.PARTNER, agency_id=agency.id
    )
