"""Authorities' passkeys (WebAuthn): the options to create one, the statement registering it
states, its registration (a key change, signed by the authority's current key) and the list."""

from __future__ import annotations

import secrets

from garante import records
from garante.domain.passkeys import Assertion, Attestation
from garante.domain.roles import Role
from garante.passkeys import encode
from garante.service import lookup, passkeys, views
from garante.service.access import INTERNAL, acts_as, entitled
from garante.service.results import Change
from garante.service.usecases.base import UseCases
from garante.store import passkeys as store_passkeys


class Passkeys(UseCases):
    """Authorities' passkeys: registered by the authority, each registration logged."""

    @entitled(Role.AUTHORITY)
    def passkey_options(self, authority_id: str) -> records.PasskeyOptions:
        """What the browser needs to create a passkey for ``authority_id`` on this server."""
        acts_as(self.principal, authority_id)
        rp = passkeys.relying_party(self.context.settings.relying_party)
        with self._read() as session:
            authority = lookup.authority(session, authority_id)
            exclude = tuple(
                row.credential_id for row in store_passkeys.of_authority(session, authority_id)
            )
            return records.PasskeyOptions(
                rp_id=rp.rp_id,
                origin=rp.origin,
                challenge=encode(secrets.token_bytes(32)),
                user_id=encode(authority.id.encode()),
                user_name=authority.name,
                exclude=exclude,
            )

    @entitled(Role.AUTHORITY)
    def passkey_statement(
        self, authority_id: str, attestation: Attestation
    ) -> records.PasskeyStatement:
        """Check a new credential; what registering it states, for the current key to sign."""
        acts_as(self.principal, authority_id)
        with self._read() as session:
            statement, _ = passkeys.registration_statement(
                session,
                authority_id=authority_id,
                attestation=attestation,
                rp=self.context.settings.relying_party,
            )
            authority = lookup.authority(session, authority_id)
            keyed = authority.public_key is not None or bool(
                store_passkeys.of_authority(session, authority_id)
            )
            return records.PasskeyStatement(statement=statement, needs_signature=keyed)

    @entitled(Role.AUTHORITY)
    def register_passkey(
        self,
        authority_id: str,
        attestation: Attestation,
        *,
        signature: bytes | None = None,
        assertion: Assertion | None = None,
    ) -> Change[records.Passkey]:
        """Register a passkey; the statement is signed by the authority's Ed25519 key
        (``signature``) or a passkey it has (``assertion``), unless it has no key yet."""
        acts_as(self.principal, authority_id)
        with self._tx() as tx:
            row = passkeys.register_passkey(
                tx,
                authority_id=authority_id,
                attestation=attestation,
                rp=self.context.settings.relying_party,
                signature=signature,
                assertion=assertion,
            )
            return Change(value=views.passkey(row))

    @entitled(*INTERNAL)
    def passkeys(self, authority_id: str) -> list[records.Passkey]:
        """An authority's passkeys, oldest first."""
        with self._read() as session:
            lookup.authority(session, authority_id)
            return [views.passkey(r) for r in store_passkeys.of_authority(session, authority_id)]
