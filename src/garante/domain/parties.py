"""Agencies (who receives) and authorities (who orders)."""

from __future__ import annotations

from dataclasses import dataclass

# The authority that issues the automatic hold an outcome in breach brings. The service
# registers it with its first order; the store's integrity checks know it by this id.
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


def key_statement(
    agency_id: str, public_key: str, previous_key: str | None, *, recovered_by: str | None = None
) -> dict[str, str | None]:
    """What changing an agency's key states, keys in base64.

    Signed by the agency's current key (``garante.key/v1``): only who holds the key replaces it.
    When that key is lost, signed instead by an authority (``garante.key-recovery/v1``, naming
    it), never by a liaison alone. A first key, with none before it, needs no proof.
    """
    statement: dict[str, str | None] = {
        "type": "garante.key-recovery/v1" if recovered_by else "garante.key/v1",
        "agency": agency_id,
        "public_key": public_key,
        "previous_key": previous_key,
    }
    if recovered_by:
        statement["authority"] = recovered_by
    return statement


def authority_key_statement(
    authority_id: str,
    public_key: str,
    previous_key: str | None,
    *,
    recovered_by: str | None = None,
) -> dict[str, str | None]:
    """What changing an authority's key states: ``key_statement``'s terms for an authority.

    Its own types (``garante.authority-key/v1``, ``garante.authority-key-recovery/v1``), so a
    statement about an agency's key is never read as one about an authority's. ``authority``
    names the authority whose key changes; a recovery names the other authority that signs it
    in ``recovered_by``. (The agency statement's bytes stay as they were, so old signatures
    still verify.)
    """
    statement: dict[str, str | None] = {
        "type": "garante.authority-key-recovery/v1" if recovered_by else "garante.authority-key/v1",
        "authority": authority_id,
        "public_key": public_key,
        "previous_key": previous_key,
    }
    if recovered_by:
        statement["recovered_by"] = recovered_by
    return statement
