"""Agencies (who receives) and authorities (who orders)."""

from __future__ import annotations

from dataclasses import dataclass

# The authority that issues the automatic hold a breach brings (DESIGN.md, "Who may do what"):
# reserved, never registered by anyone, so an order from it is always the breach rule's.
SYSTEM_AUTHORITY = "garante-system"


@dataclass(frozen=True, kw_only=True)
class Agency:
    """A service that sends or receives intelligence.

    ``domestic`` agencies belong to the operator's own state; every other agency is a foreign
    partner and receives only under a signed undertaking (rule 4). ``requires_undertaking``
    extends that rule to a domestic agency that must also sign one.
    """

    id: str
    name: str
    country: str
    domestic: bool = False
    requires_undertaking: bool = False
    public_key: bytes | None = None
    active: bool = True

    @property
    def needs_undertaking(self) -> bool:
        return (not self.domestic) or self.requires_undertaking


@dataclass(frozen=True, kw_only=True)
class Authority:
    """Who may issue, amend and lift orders (a presidency, a ministry, a court)."""

    id: str
    name: str
    public_key: bytes | None = None
    active: bool = True
