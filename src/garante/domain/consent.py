"""Onward sharing of items taken from a Garante upstream, and consent asked of that upstream.

A node that takes an item from a Garante upstream keeps the terms it was released under
(``records.UpstreamTerms``). Its own releases of the item are decided under those terms: the
upstream's release permits onward sharing only when its purpose was ``onward-sharing``;
otherwise the node needs a consent granted upstream for that release, this recipient and this
purpose (DESIGN.md, "The decision").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from garante.domain.timeutil import iso

if TYPE_CHECKING:
    from collections.abc import Mapping

    from garante.canonical import Json

STATEMENT_TYPE = "garante.consent-request/v1"
#: The upstream purpose that permits sharing onward without asking.
ONWARD_PURPOSE = "onward-sharing"


class ConsentAnswer(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


@dataclass(frozen=True, kw_only=True, slots=True)
class Onward:
    """What the policy needs of an item's upstream release: the upstream log it was released
    on, the release request there, and its purpose."""

    origin: str | None
    request: int
    purpose: str

    @classmethod
    def of_terms(cls, terms: Mapping[str, Any] | None) -> Onward | None:
        """From the ``terms`` an ``item.ingested`` entry holds; None when there are none."""
        if not terms:
            return None
        origin = terms.get("log_origin")
        return cls(
            origin=str(origin) if origin is not None else None,
            request=int(terms["request"]),
            purpose=str(terms.get("purpose", "")),
        )

    def permits_onward(self) -> bool:
        return self.purpose == ONWARD_PURPOSE


#: How a snapshot keys a consent the node holds: (upstream origin, upstream request, recipient
#: agency as the node knows it, purpose).
ConsentKey = tuple[str | None, int, str, str]


@dataclass(frozen=True, kw_only=True)
class ConsentRequest:
    """A partner's signed request to share onward what a release gave it.

    ``release`` is the upstream's release request id the partner received; ``recipient`` and
    ``country`` name the onward recipient as the partner knows it; ``purpose`` is the onward
    purpose. ``id`` is the partner's own, unique: the answer names it.
    """

    id: str
    agency_id: str
    release: int
    recipient: str
    country: str
    purpose: str
    requested_at: datetime

    def statement(self) -> dict[str, Json]:
        """What the partner signs (RFC 8785 canonical JSON)."""
        return {
            "type": STATEMENT_TYPE,
            "id": self.id,
            "agency": self.agency_id,
            "release": self.release,
            "recipient": self.recipient,
            "country": self.country,
            "purpose": self.purpose,
            "requested_at": iso(self.requested_at),
        }


AGREEMENT_RULE = "agreement:"
"""The ``rule`` of a consent granted by an agreement's onward consent: ``agreement:<id>``."""


def agreement_of_rule(rule: str | None) -> str | None:
    """The agreement a grant's ``rule`` cites, if it cites one."""
    if rule is None or not rule.startswith(AGREEMENT_RULE):
        return None
    return rule[len(AGREEMENT_RULE) :]
