"""API tokens: created, revoked, listed, and a secret turned into its principal."""

from __future__ import annotations

from garante import records
from garante.domain.roles import Principal
from garante.service import (
    tokens,
    views,
)
from garante.service.access import entitled
from garante.service.usecases.base import UseCases
from garante.store import tokens as store_tokens


class Tokens(UseCases):
    """API tokens: created, revoked, listed, and a secret turned into its principal."""

    @entitled()
    def create_token(
        self,
        *,
        role: str,
        agency_id: str | None = None,
        authority_id: str | None = None,
        label: str = "",
    ) -> tuple[records.Token, str]:
        """A new token: its record, and the secret, which is shown once and never stored."""
        with self._tx() as tx:
            row, secret = tokens.create_token(
                tx, role=role, agency_id=agency_id, authority_id=authority_id, label=label
            )
            return views.token(row), secret

    @entitled()
    def revoke_token(self, token_id: str) -> records.Token:
        with self._tx() as tx:
            return views.token(tokens.revoke_token(tx, token_id))

    @entitled()
    def tokens(self) -> list[records.Token]:
        with self._read() as session:
            return [views.token(r) for r in store_tokens.all_by_id(session)]

    def authenticate(self, secret: str) -> Principal:
        with self._read() as session:
            return tokens.authenticate(session, secret)
