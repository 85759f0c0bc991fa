"""Agencies and authorities, their keys, and each partner's standing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from garante import records
from garante.domain.roles import Role
from garante.policy.standing import PartnerStanding
from garante.policy.standing import standing as standing_of
from garante.policy.standing import standings as standings_of
from garante.service import (
    lookup,
    registry,
    views,
    visibility,
)
from garante.service.access import INTERNAL, entitled
from garante.service.results import Change, Page
from garante.service.usecases.base import UseCases
from garante.store import agencies as store_agencies
from garante.store import authorities as store_authorities
from garante.store import queries

R = TypeVar("R")


class KeyStatementOf(Protocol):
    """``agency_key_statement`` or ``authority_key_statement``: what a new key needs signed."""

    def __call__(
        self, party_id: str, public_key: bytes, /, *, recovered_by: str | None = None
    ) -> dict[str, str | None]: ...


class SetsKey(Protocol[R]):
    """``set_agency_key`` or ``set_authority_key``, for an interface that serves both alike."""

    def __call__(
        self,
        party_id: str,
        public_key: bytes,
        /,
        *,
        signature: bytes | None = None,
        recovered_by: str | None = None,
    ) -> Change[R]: ...


class Agencies(UseCases):
    """Agencies and authorities, their keys, and each partner's standing."""

    @entitled(Role.LIAISON)
    def register_agency(
        self,
        agency_id: str,
        *,
        name: str,
        country: str,
        domestic: bool = False,
        requires_undertaking: bool = False,
        public_key: bytes | None = None,
    ) -> Change[records.Agency]:
        with self._tx() as tx:
            row = registry.register_agency(
                tx,
                agency_id=agency_id,
                name=name,
                country=country,
                domestic=domestic,
                requires_undertaking=requires_undertaking,
                public_key=public_key,
            )
            return Change(value=views.agency(row))

    @entitled(Role.LIAISON)
    def agency_key_statement(
        self, agency_id: str, public_key: bytes, *, recovered_by: str | None = None
    ) -> dict[str, str | None]:
        """What the agency's current key (or, to recover a lost one, the authority named)
        signs to put ``public_key`` in its place; nothing stored."""
        with self.context.reads() as read:
            return registry.agency_key_statement(
                read.session, agency_id=agency_id, public_key=public_key, recovered_by=recovered_by
            )

    @entitled(Role.LIAISON)
    def set_agency_key(
        self,
        agency_id: str,
        public_key: bytes,
        *,
        signature: bytes | None = None,
        recovered_by: str | None = None,
    ) -> Change[records.Agency]:
        """Register an agency's first key, or replace it with proof (``registry``)."""
        with self._tx() as tx:
            row = registry.set_agency_key(
                tx,
                agency_id=agency_id,
                public_key=public_key,
                signature=signature,
                recovered_by=recovered_by,
            )
            return Change(value=views.agency(row))

    @entitled(Role.LIAISON)
    def register_authority(
        self, authority_id: str, *, name: str, public_key: bytes | None = None
    ) -> Change[records.Authority]:
        with self._tx() as tx:
            row = registry.register_authority(
                tx, authority_id=authority_id, name=name, public_key=public_key
            )
            return Change(value=views.authority(row))

    @entitled(Role.LIAISON)
    def authority_key_statement(
        self, authority_id: str, public_key: bytes, *, recovered_by: str | None = None
    ) -> dict[str, str | None]:
        """What the authority's current key (or, to recover a lost one, the other authority
        named) signs to put ``public_key`` in its place; nothing stored."""
        with self.context.reads() as read:
            return registry.authority_key_statement(
                read.session,
                authority_id=authority_id,
                public_key=public_key,
                recovered_by=recovered_by,
            )

    @entitled(Role.LIAISON)
    def set_authority_key(
        self,
        authority_id: str,
        public_key: bytes,
        *,
        signature: bytes | None = None,
        recovered_by: str | None = None,
    ) -> Change[records.Authority]:
        """Register an authority's first key, or replace it with proof (``registry``)."""
        with self._tx() as tx:
            row = registry.set_authority_key(
                tx,
                authority_id=authority_id,
                public_key=public_key,
                signature=signature,
                recovered_by=recovered_by,
            )
            return Change(value=views.authority(row))

    @entitled()
    def set_superior(self, authority_id: str, *, over: Sequence[str]) -> Change[records.Superior]:
        """Configure ``authority_id`` as superior to exactly ``over`` (empty: to none).

        The operator's alone (the CLI), never a token's: who answers for an order is part of
        the state the log proves, not something an authority grants itself.
        """
        with self._tx() as tx:
            subordinates = registry.set_superior(tx, authority_id=authority_id, over=over)
            return Change(value=records.Superior(authority=authority_id, over=tuple(subordinates)))

    @entitled(*INTERNAL)
    def superiors(self) -> dict[str, list[str]]:
        """Each authority configured as superior, with the authorities it is over."""
        with self._read() as session:
            return store_authorities.superior_map(session)

    @entitled(*INTERNAL, Role.PARTNER)
    def agencies(self, page: Page | None = None) -> list[records.Agency]:
        """Agencies; a partner sees only itself."""
        own = visibility.partner(self.principal)
        with self._read() as session:
            return [views.agency(r) for r in store_agencies.page(session, page, only=own)]

    @entitled(*INTERNAL, Role.PARTNER)
    def agency(self, agency_id: str) -> records.Agency:
        visibility.check_agency(self.principal, agency_id)
        with self._read() as session:
            return views.agency(lookup.agency(session, agency_id))

    @entitled(*INTERNAL)
    def authorities(self, page: Page | None = None) -> list[records.Authority]:
        with self._read() as session:
            return [views.authority(r) for r in store_authorities.page(session, page)]

    @entitled(*INTERNAL)
    def standing(self, agency_id: str) -> PartnerStanding:
        """Whether sharing with ``agency_id`` is open, conditional, held or suspended, and why.

        Not a partner's to read: a standing names the orders that reach the agency.
        """
        with self._read() as session:
            lookup.agency(session, agency_id, field="agency_id")
            state = queries.policy_state(
                session, self.clock.now(), item_ids=(), agency_ids=[agency_id]
            )
        return standing_of(state, agency_id)

    @entitled(*INTERNAL)
    def standings(self, page: Page | None = None) -> tuple[PartnerStanding, ...]:
        """The standing of every agency (or of a page of them), by id, from one snapshot."""
        with self._read() as session:
            agency_ids = None
            if page is not None:
                agency_ids = store_agencies.page_ids(session, page)
            state = queries.policy_state(
                session, self.clock.now(), item_ids=(), agency_ids=agency_ids
            )
        return standings_of(state)
