"""HTML form bodies (application/x-www-form-urlencoded) and the order terms they carry.

Parsed by hand with the standard library: the console's forms are small and flat, and this
keeps python-multipart out of the dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import Request

from garante import records
from garante.domain.errors import ValidationError
from garante.domain.order import Effect, Requirement, Scope
from garante.domain.timeutil import iso, parse_time

MAX_FORM = 64 * 1024


@dataclass(frozen=True)
class Form:
    """Submitted fields: each name maps to every value sent for it, in order."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def all(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes), blanks dropped, order kept."""
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]


async def form(request: Request) -> Form:
    """A dependency: the request's form fields (an empty form for anything else)."""
    if request.method != "POST":
        return Form()
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ValidationError(f"the form is larger than {MAX_FORM} bytes", field="form")
    return Form(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def optional_time(value: str, *, field: str) -> datetime | None:
    return parse_time(value, field=field) if value else None


@dataclass(frozen=True, kw_only=True)
class OrderTerms:
    """What the issue and amend forms submit, before the service validates it."""

    id: str = ""
    effect: str = ""
    agencies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    everything: bool = False
    prohibits: tuple[str, ...] = ()
    protections: tuple[str, ...] = ()
    exempts: tuple[str, ...] = ()
    valid_from: str = ""
    valid_until: str = ""
    while_condition: str = ""
    reason: str = ""
    days: int = 30

    @classmethod
    def parse(cls, data: Form) -> OrderTerms:
        try:
            days = int(data.get("days", "30") or "30")
        except ValueError:
            raise ValidationError(
                "the simulation period must be a number of days", field="days"
            ) from None
        return cls(
            id=data.get("id"),
            effect=data.get("effect"),
            agencies=tuple(data.all("agencies")),
            countries=tuple(data.all("countries")),
            categories=tuple(data.all("categories")),
            regions=tuple(data.all("regions")),
            everything=data.get("everything") == "yes",
            prohibits=tuple(data.all("prohibits")),
            protections=tuple(data.all("protections")),
            exempts=tuple(data.all("exempts")),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            while_condition=data.get("while_condition"),
            reason=data.get("reason"),
            days=min(max(days, 1), 3650),
        )

    @classmethod
    def from_order(cls, order: records.Order) -> OrderTerms:
        """The terms of an order as it stands, to prefill the amend form."""
        scope = order.scope
        requires = order.requires
        return cls(
            id=order.id,
            effect=order.effect,
            agencies=tuple(scope.get("agencies") or ()),
            countries=tuple(scope.get("countries") or ()),
            categories=tuple(scope.get("categories") or ()),
            regions=tuple(scope.get("regions") or ()),
            everything=Scope.from_dict(scope).everything,
            prohibits=tuple(requires.get("prohibits") or ()),
            protections=tuple(requires.get("protections") or ()),
            exempts=order.exempts,
            valid_from=order.valid_from,
            valid_until=order.valid_until or "",
            while_condition=order.while_condition or "",
            reason=order.reason,
        )

    def scope(self) -> Scope:
        return Scope(
            agencies=frozenset(self.agencies),
            countries=frozenset(self.countries),
            categories=frozenset(self.categories),
            regions=frozenset(self.regions),
        )

    def requires(self) -> Requirement | None:
        """The clauses asked of the recipient: only a ``require`` order asks any."""
        if self.effect != Effect.REQUIRE or (not self.prohibits and not self.protections):
            return None
        return Requirement(
            prohibits=frozenset(self.prohibits), protections=frozenset(self.protections)
        )

    def until(self) -> datetime | None:
        return optional_time(self.valid_until, field="valid_until")

    def start(self) -> datetime | None:
        return optional_time(self.valid_from, field="valid_from")

    def with_draft(self, order_id: str, valid_from: datetime) -> OrderTerms:
        """The same terms, pinned to the id and start the draft gave, for signing."""
        return OrderTerms(**{**self.__dict__, "id": order_id, "valid_from": iso(valid_from)})

    def hidden(self) -> list[tuple[str, str]]:
        """The terms as hidden fields, so the signed statement is drafted again identically."""
        out = [("id", self.id), ("effect", self.effect), ("valid_from", self.valid_from)]
        for name in (
            "agencies",
            "countries",
            "categories",
            "regions",
            "prohibits",
            "protections",
            "exempts",
        ):
            out += [(name, value) for value in getattr(self, name)]
        if self.everything:
            out.append(("everything", "yes"))
        out += [
            ("valid_until", self.valid_until),
            ("while_condition", self.while_condition),
            ("reason", self.reason),
            ("days", str(self.days)),
        ]
        return out


# -- standing agreements: the make and amend forms --------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgreementTerms:
    """What the agreement forms submit, before the service validates it. A ``backfill_from``
    asks to also start requests for the items added since then."""

    id: str = ""
    partner: str = ""
    purposes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tlp_ceiling: str = "amber"
    originators: tuple[str, ...] = ()
    valid_from: str = ""
    valid_until: str = ""
    backfill_from: str = ""
    reason: str = ""

    @classmethod
    def parse(cls, data: Form) -> AgreementTerms:
        return cls(
            id=data.get("id"),
            partner=data.get("partner"),
            purposes=tuple(data.all("purposes")),
            categories=tuple(data.all("categories")),
            regions=tuple(data.all("regions")),
            tlp_ceiling=data.get("tlp_ceiling"),
            originators=tuple(data.all("originators")),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            backfill_from=data.get("backfill_from"),
            reason=data.get("reason"),
        )

    @classmethod
    def from_agreement(cls, agreement: records.Agreement) -> AgreementTerms:
        """The terms of an agreement as it stands, to prefill the amend form."""
        return cls(
            id=agreement.id,
            partner=agreement.partner,
            purposes=agreement.purposes,
            categories=agreement.categories,
            regions=agreement.regions,
            tlp_ceiling=agreement.tlp_ceiling,
            originators=agreement.originators,
            valid_from=agreement.valid_from,
            valid_until=agreement.valid_until or "",
        )

    def start(self) -> datetime | None:
        return optional_time(self.valid_from, field="valid_from")

    def until(self) -> datetime | None:
        return optional_time(self.valid_until, field="valid_until")

    def since(self) -> datetime | None:
        """Where the backfill starts, if one is asked for."""
        return optional_time(self.backfill_from, field="backfill_from")

    def with_draft(self, agreement_id: str, valid_from: datetime) -> AgreementTerms:
        """The same terms, pinned to the id and start the draft gave, so that making it
        drafts the statement shown again identically."""
        return AgreementTerms(
            **{**self.__dict__, "id": agreement_id, "valid_from": iso(valid_from)}
        )

    def hidden(self) -> list[tuple[str, str]]:
        """The terms as hidden fields, for the preview's confirm form."""
        out = [("id", self.id), ("partner", self.partner), ("tlp_ceiling", self.tlp_ceiling)]
        for name in ("purposes", "categories", "regions", "originators"):
            out += [(name, value) for value in getattr(self, name)]
        out += [("valid_from", self.valid_from), ("valid_until", self.valid_until)]
        out.append(("backfill_from", self.backfill_from))
        return out
