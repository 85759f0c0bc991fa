"""Partners' client certificates: registered, rotated, removed and listed by a liaison, and a
verified certificate turned into its agency's partner principal."""

from __future__ import annotations

from garante import records
from garante.domain.roles import Principal, Role
from garante.service import certificates, lookup, views, visibility
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change
from garante.service.usecases.base import UseCases
from garante.store import certificates as store_certificates


class Certificates(UseCases):
    """Partners' client certificates, registered and rotated like keys, each change logged."""

    @entitled(Role.LIAISON)
    def add_certificate(
        self, agency_id: str, fingerprint: str, *, label: str = ""
    ) -> Change[records.AgencyCertificate]:
        """Register a partner's client certificate by its SHA-256 fingerprint."""
        with self._tx() as tx:
            row = certificates.add_certificate(
                tx, agency_id=agency_id, fingerprint=fingerprint, label=label
            )
            return Change(value=views.agency_certificate(row))

    @entitled(Role.LIAISON)
    def remove_certificate(
        self, agency_id: str, fingerprint: str
    ) -> Change[records.AgencyCertificate]:
        """The certificate authenticates no more."""
        with self._tx() as tx:
            row = certificates.remove_certificate(tx, agency_id=agency_id, fingerprint=fingerprint)
            return Change(value=views.agency_certificate(row))

    @entitled(Role.LIAISON)
    def rotate_certificate(
        self, agency_id: str, *, old: str, new: str, label: str = ""
    ) -> Change[records.AgencyCertificate]:
        """``new`` replaces ``old`` in one transaction; the new certificate's record."""
        with self._tx() as tx:
            added, _ = certificates.rotate_certificate(
                tx, agency_id=agency_id, old=old, new=new, label=label
            )
            return Change(value=views.agency_certificate(added))

    @entitled(*INTERNAL, Role.PARTNER)
    def certificates(self, agency_id: str) -> list[records.AgencyCertificate]:
        """An agency's certificates, removed ones too; a partner sees only its own."""
        visibility.check_agency(self.principal, agency_id)
        with self._read() as session:
            lookup.agency(session, agency_id, field="agency")
            rows = store_certificates.of_agency(session, agency_id)
            return [views.agency_certificate(r) for r in rows]

    def authenticate_certificate(self, fingerprint: str) -> Principal:
        """The partner principal of a client certificate a trusted proxy verified."""
        with self._read() as session:
            return certificates.authenticate(session, fingerprint)
