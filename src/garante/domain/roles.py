"""Who may do what: the roles of DESIGN.md, and the principal a token stands for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"  # the originator: items, release requests
    LIAISON = "liaison"  # partners and their undertakings
    AUTHORITY = "authority"  # orders, conditions
    PARTNER = "partner"  # its own releases, feed and outcomes only
    OVERSEER = "overseer"  # read-only: audit, reports, decisions


@dataclass(frozen=True, kw_only=True)
class Principal:
    """The caller behind a token: a role, and the agency or authority it acts for."""

    token_id: str
    role: Role
    agency_id: str | None = None
    authority_id: str | None = None

    @property
    def name(self) -> str:
        """How the audit log names the actor: ``role:subject`` (``authority:presidency``)."""
        subject = self.authority_id or self.agency_id or self.token_id
        return f"{self.role.value}:{subject}"
