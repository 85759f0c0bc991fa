"""Who may do what: the roles of DESIGN.md, and the principal every service call acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"  # the originator: items, release requests
    LIAISON = "liaison"  # partners and their undertakings
    AUTHORITY = "authority"  # orders, conditions
    PARTNER = "partner"  # its own releases, feed and outcomes only
    OVERSEER = "overseer"  # read-only: audit, reports, decisions
    OPERATOR = "operator"  # whoever holds the store itself: the CLI, the demo, the server's loops


TOKEN_ROLES = (Role.ANALYST, Role.LIAISON, Role.AUTHORITY, Role.PARTNER, Role.OVERSEER)
"""The roles an API token may carry. The operator holds the store, so it needs no token."""


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who a service call acts for: a role, and the agency or authority it acts for.

    Every use case takes one, so the service, not each interface, decides what the caller may
    see: a partner's principal sees only its own (``service.visibility``).
    """

    token_id: str
    role: Role
    agency_id: str | None = None
    authority_id: str | None = None
    actor: str | None = None  # the operator's own name for the audit log ("cli", "demo")
    # An API token stands behind this principal (``token_id`` names its row): a release
    # re-checks in its own transaction that the token is not revoked, so an interface may
    # answer from principals it authenticated earlier (``api.auth.TokenCache``).
    by_token: bool = False

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The local operator, named ``name`` in the audit log (``garante --as``)."""
        return cls(token_id="", role=Role.OPERATOR, actor=name)

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def name(self) -> str:
        """How the audit log names the actor: ``role:subject`` (``authority:presidency``)."""
        if self.actor is not None:
            return self.actor
        subject = self.authority_id or self.agency_id or self.token_id
        return f"{self.role.value}:{subject}"
