"""Request and response bodies: the API's contract, and its OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    FiniteFloat,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from garante import records
from garante.domain.numbers import (
    INT64_MAX,
    INT64_MIN,
    MAX_COUNT,
    MAX_EVENTS,
    MAX_INTERVAL,
    MAX_WINDOW_DAYS,
    MIN_INTERVAL,
)
from garante.domain.passkeys import Assertion
from garante.domain.timeutil import iso, utc
from garante.policy.standing import PartnerStanding, Reason
from garante.records import Decided
from garante.service.results import Change, Reach

Slug = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")

# The stores keep integers in 64 bits (SQLite INTEGER, PostgreSQL BIGINT at most): a number
# outside that range names nothing stored, and is refused as input before it reaches a query.
INT_MIN, INT_MAX = INT64_MIN, INT64_MAX
Int64 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _unicode(cls, data: Any) -> Any:
        """JSON's \\ud800 escapes decode to lone surrogates, which no store or signature takes;
        \\u0000 decodes to a NUL, which PostgreSQL refuses in any text it keeps."""
        where = _surrogate(data)
        if where is not None:
            raise PydanticCustomError(
                "string_unicode", "{where}: a lone surrogate is not Unicode text", {"where": where}
            )
        where = _nul(data)
        if where is not None:
            raise PydanticCustomError(
                "string_nul", "{where}: a NUL character is not text Garante keeps", {"where": where}
            )
        return data


def _strings(value: Any, path: str = "body") -> Iterator[tuple[str, str]]:
    """Every string (and key) in a decoded JSON body, with the path it stands at."""
    stack = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            for key, member in node.items():
                at = f"{where}.{key}".removeprefix("body.")
                stack.append((at, key))
                stack.append((at, member))
        elif isinstance(node, list):
            stack.extend(
                (f"{where}.{i}".removeprefix("body."), member) for i, member in enumerate(node)
            )


def _surrogate(value: Any) -> str | None:
    """The path of the first string (or key) in ``value`` holding a lone surrogate."""
    for where, text in _strings(value):
        if not text.isascii() and any("\ud800" <= ch <= "\udfff" for ch in text):
            return where
    return None


def _nul(value: Any) -> str | None:
    """The path of the first string (or key) in ``value`` holding a NUL character."""
    return next((where for where, text in _strings(value) if "\x00" in text), None)


def _aware(value: datetime) -> datetime:
    """Aware UTC to the second; a time whose UTC falls outside years 1 to 9999 is refused."""
    try:
        return utc(value).replace(microsecond=0)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "the time in UTC falls outside years 1 to 9999"
        ) from None


# Every timestamp the API reads, in a body or a query: aware UTC, seconds, years 1 to 9999.
Instant = Annotated[datetime, AfterValidator(_aware)]


# -- agencies and authorities ------------------------------------------------------------------


class AgencyIn(Body):
    id: str = Slug
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    domestic: bool = False
    requires_undertaking: bool = False
    public_key: str | None = Field(None, description="Base64 of the 32-byte Ed25519 key, or PEM")


class KeyDraftIn(Body):
    public_key: str
    recovered_by: str | None = Field(
        None,
        description="To replace a lost key: the authority whose key signs the recovery (for "
        "an authority's own key, another authority).",
    )


class KeyIn(KeyDraftIn):
    signature: str | None = Field(
        None,
        description="Base64 Ed25519 signature of the statement from .../key/draft: by the "
        "agency's or authority's current key, or for a recovery by the key of the authority "
        "in recovered_by. A first key needs none.",
    )


class AuthorityIn(Body):
    id: str = Slug
    name: str = Field(min_length=1, max_length=200)
    public_key: str | None = None


# -- items -----------------------------------------------------------------------------------


class ItemIn(Body):
    id: str = Slug
    title: str = Field(min_length=1, max_length=500)
    category: str
    region: str
    tlp: str = Field(description="clear, green, amber, amber+strict or red (TLP 2.0)")
    releasable_to: list[str] = Field(default_factory=list, max_length=200)
    bundle: dict[str, Any] = Field(description="A STIX 2.1 bundle")
    embargo_until: Instant | None = Field(
        None, description="Nothing is released before this time (requests are held until then)"
    )
    expires_at: Instant | None = Field(
        None,
        description="From this time nothing more is delivered; partners get revoked versions",
    )


# -- undertakings ----------------------------------------------------------------------------


class UndertakingTerms(Body):
    agency: str
    id: str | None = None
    permits: list[str] = Field(min_length=1, max_length=50)
    prohibits: list[str] = Field(default_factory=list, max_length=50)
    protections: list[str] = Field(default_factory=list, max_length=50)
    categories: list[str] = Field(default_factory=list, max_length=50)
    valid_from: Instant | None = None
    valid_until: Instant | None = None


class UndertakingIn(UndertakingTerms):
    signature: str | None = Field(None, description="Base64 Ed25519 over the canonical statement")


class RevokeIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class RecallIn(RevokeIn):
    ack_within: str | None = Field(
        None,
        max_length=16,
        description="How long the partner has to acknowledge the recall (30m, 48h, 7d); "
        "else the agreement's that started the release, if any. Past it unacknowledged, the "
        "partner is held",
    )


# -- orders ------------------------------------------------------------------------------------


class ScopeModel(Body):
    agencies: list[str] = Field(default_factory=list, max_length=500)
    countries: list[str] = Field(default_factory=list, max_length=250)
    categories: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=100)


class RequirementModel(Body):
    prohibits: list[str] = Field(default_factory=list, max_length=50)
    protections: list[str] = Field(default_factory=list, max_length=50)


SCOPE_DESCRIPTION = (
    "Which requests the order speaks to: an object naming agencies, countries, categories or "
    'regions (a dimension left out or empty means any), or the string "all" for an order that '
    "holds every partner and item. An order with no scope, or an empty one, is refused "
    "(validation.scope_not_explicit)."
)


# The tags of a union the parser picks a member of by the input's type; an error inside one is
# named without its tag (``scope.agencies``, not ``scope.scope-object.agencies``).
UNION_TAGS = frozenset({"scope-object", "scope-all"})


def _scope_kind(value: Any) -> str:
    return "scope-all" if isinstance(value, str) else "scope-object"


ScopeOrAll = Annotated[
    Annotated[ScopeModel, Tag("scope-object")] | Annotated[Literal["all"], Tag("scope-all")],
    Discriminator(_scope_kind),
]


class OrderTerms(Body):
    id: str | None = None
    effect: Literal["deny", "hold", "require", "exempt"]
    scope: ScopeOrAll | None = Field(None, description=SCOPE_DESCRIPTION)
    requires: RequirementModel | None = None
    exempts: list[str] = Field(default_factory=list, max_length=100)
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    while_condition: str | None = None
    reason: str = Field(min_length=1, max_length=4000)


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------

_B64URL = r"^[A-Za-z0-9_-]*={0,2}$"


class AssertionIn(Body):
    """What ``navigator.credentials.get`` returned, each part base64url: the authenticator
    signed ``authenticator_data || SHA-256(client_data_json)``, and the client data's challenge
    is the SHA-256 of the statement's canonical bytes (``canonical`` in the draft's answer)."""

    credential_id: str = Field(min_length=1, max_length=1400, pattern=_B64URL)
    authenticator_data: str = Field(min_length=1, max_length=8192, pattern=_B64URL)
    client_data_json: str = Field(min_length=1, max_length=8192, pattern=_B64URL)
    signature: str = Field(min_length=1, max_length=2048, pattern=_B64URL)

    def value(self) -> Assertion:
        return Assertion(
            credential_id=self.credential_id,
            authenticator_data=self.authenticator_data,
            client_data_json=self.client_data_json,
            signature=self.signature,
        )


_ASSERTION = Field(
    None,
    description="Instead of signature: the assertion of one of the authority's passkeys "
    "(WebAuthn) over the statement; give one or the other.",
)


def assertion_of(model: AssertionIn | None) -> Assertion | None:
    return model.value() if model is not None else None


class OrderIn(OrderTerms):
    signature: str | None = None
    assertion: AssertionIn | None = _ASSERTION


class AmendTerms(Body):
    effect: Literal["deny", "hold", "require", "exempt"] | None = None
    scope: ScopeOrAll | None = Field(
        None,
        description="Left out: the scope stays. Otherwise the new scope, which replaces the "
        'whole of it; "all" clears every dimension, and an object that names none is refused '
        "(validation.scope_not_explicit).",
    )
    requires: RequirementModel | None = None
    exempts: list[str] | None = None
    valid_until: Instant | None = None
    while_condition: str | None = None
    clear_condition: bool = False
    reason: str | None = Field(None, max_length=4000)


class AmendIn(AmendTerms):
    signature: str | None = None
    assertion: AssertionIn | None = _ASSERTION


class LiftIn(Body):
    reason: str = Field(min_length=1, max_length=4000)
    signature: str | None = None
    assertion: AssertionIn | None = _ASSERTION


class StatementOut(BaseModel):
    """What to sign: the statement, and its RFC 8785 canonical bytes as text."""

    statement: dict[str, Any]
    canonical: str


class ReachOut(BaseModel):
    """Whom an order's scope reaches now: partners (agencies that are not domestic) and
    agencies in all, each of how many are registered."""

    partners: int
    of_partners: int
    agencies: int
    of_agencies: int
    summary: str

    @classmethod
    def of(cls, reach: Reach) -> ReachOut:
        return cls(**reach.to_dict(), summary=reach.describe())


class OrderDraftOut(StatementOut):
    """What to sign for an order or its amendment, and whom it would reach."""

    reach: ReachOut


# -- decisions -------------------------------------------------------------------------------


class OrderChange(BaseModel):
    """An order as the write left it, and what the write changed now, in its transaction.

    ``moved``: the held requests decided again. ``withheld`` and ``available``: releases not
    yet delivered that the order now withholds from partners' feeds, or makes available there
    again. A simulation replays past requests instead, and can count others.
    """

    order: records.Order
    moved: list[Decided]
    withheld: list[records.Enforced] = Field(default_factory=list)
    available: list[records.Enforced] = Field(default_factory=list)

    @classmethod
    def of(cls, change: Change[records.Order]) -> OrderChange:
        return cls(
            order=change.value,
            moved=change.moved,
            withheld=list(change.withheld),
            available=list(change.available),
        )


class UndertakingChange(BaseModel):
    undertaking: records.Undertaking
    moved: list[Decided]


class ReleaseIn(Body):
    item: str = Field(min_length=1, max_length=128)
    recipient: str = Field(min_length=1, max_length=64)
    purpose: str = Field(min_length=1, max_length=64)


class ReleaseBatchIn(Body):
    """Many releases in one call, each decided on its own; all are stored or none."""

    releases: list[ReleaseIn] = Field(
        min_length=1,
        max_length=10_000,
        description="Up to 10,000 (item, recipient, purpose) triples, decided in this order",
    )


class ReleaseBatchOut(BaseModel):
    """One decision per triple, in the order given."""

    decisions: list[Decided]


# -- conditions and events ---------------------------------------------------------------------


class RuleModel(Body):
    kind: str = Field(min_length=1, max_length=64)
    region: str
    min_events: int = Field(1, ge=1, le=MAX_EVENTS)
    window_days: int = Field(30, ge=1, le=MAX_WINDOW_DAYS)


class ConditionIn(Body):
    id: str = Slug
    description: str = Field(min_length=1, max_length=2000)
    rule: RuleModel | None = None
    active: bool = False
    evidence: str = Field("", max_length=4000)


class ConditionSetTerms(Body):
    active: bool
    evidence: str = Field(min_length=1, max_length=4000)


class ConditionSetIn(ConditionSetTerms):
    signature: str | None = Field(
        None,
        description="Base64 Ed25519 signature of the statement from .../set/draft by the "
        "token's authority; required when the authority has a registered key.",
    )


class ConditionChange(BaseModel):
    condition: records.Condition
    moved: list[Decided]


class RefreshOut(BaseModel):
    conditions: list[records.Condition]
    moved: list[Decided]


class EventTerms(Body):
    kind: str = Field(min_length=1, max_length=64)
    region: str
    occurred_at: Instant | None = None
    source: str = Field("", max_length=2000)
    note: str = Field("", max_length=4000)
    agency: str | None = Field(
        None,
        max_length=64,
        description="The reporting agency: an analyst token's own by default (and no other); "
        "an authority token must name one.",
    )


class EventIn(EventTerms):
    signature: str | None = Field(
        None,
        description="Base64 Ed25519 signature of the statement from /events/draft by the "
        "reporting agency; required when the agency has a registered key.",
    )


class EventChange(BaseModel):
    event: records.Event
    moved: list[Decided]


class MeOut(BaseModel):
    """Whom a token stands for: its role, and the agency or authority it acts for."""

    token: str
    role: str
    agency: str | None
    authority: str | None


class HealthOut(BaseModel):
    """Liveness: the server's version and the audit log's size."""

    status: Literal["ok"]
    version: str
    ledger_size: int


T = TypeVar("T")


class PageOf(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[T]
    next_cursor: str | None


# -- outcomes ----------------------------------------------------------------------------


class OutcomeIn(Body):
    release: Int64
    agency: str
    kind: str = Field(description="seizure, arrest, interdiction, no-action, lethal-force, other")
    occurred_at: Instant | None = None
    casualties: int = Field(0, ge=0, le=MAX_COUNT)
    persons: int = Field(0, ge=0, le=MAX_COUNT)
    quantities: dict[str, FiniteFloat] = Field(default_factory=dict, max_length=50)
    place: str = Field("", max_length=500)
    note: str = Field("", max_length=4000)
    signature: str | None = None


class OutcomeChange(BaseModel):
    outcome: records.ReportedOutcome
    moved: list[Decided]
    new: bool = Field(
        default=True,
        description="False when the same report had been recorded before: `outcome` is that "
        "one, and nothing more was logged (a report sent again after a lost answer).",
    )


# -- partner standing --------------------------------------------------------------------

LevelName = Literal["open", "conditional", "held", "suspended"]


class ExemptionOut(BaseModel):
    """An exemption in force that carves the order out for these categories and regions."""

    order: str
    categories: list[str]
    regions: list[str]


class ClausesOut(BaseModel):
    prohibits: list[str]
    protections: list[str]


class StandingReasonOut(BaseModel):
    """One order in force that reaches the agency, and what it does there."""

    order: str
    effect: str
    level: LevelName
    authority: str
    automatic: bool = Field(description="the hold a breach brings, issued by garante-system")
    categories: list[str] = Field(description="the order reaches only these; empty: all")
    regions: list[str] = Field(description="the order reaches only these; empty: all")
    condition: str | None = Field(description="in force while this condition is active")
    exempted_by: list[ExemptionOut]
    requires: ClausesOut | None = Field(description="a require order's clauses")
    met: bool | None = Field(description="whether an active undertaking has them")
    met_by: list[str] = Field(description="the active undertakings that have them")

    @classmethod
    def of(cls, reason: Reason) -> StandingReasonOut:
        requires = reason.requires
        return cls(
            order=reason.order,
            effect=reason.effect,
            level=cast(LevelName, reason.level.key),  # checked against the Literal all the same
            authority=reason.authority,
            automatic=reason.automatic,
            categories=list(reason.categories),
            regions=list(reason.regions),
            condition=reason.condition,
            exempted_by=[
                ExemptionOut(order=e.order, categories=list(e.categories), regions=list(e.regions))
                for e in reason.exempted_by
            ],
            requires=None
            if requires is None
            else ClausesOut(
                prohibits=list(requires.prohibits), protections=list(requires.protections)
            ),
            met=reason.met,
            met_by=list(reason.met_by),
        )


class StandingOut(BaseModel):
    """Whether sharing with an agency is open, conditional, held or suspended, and why."""

    agency: str
    at: str
    level: LevelName
    reasons: list[StandingReasonOut]
    undertakings: list[str] = Field(description="the agency's active undertakings")
    needs_undertaking: bool

    @classmethod
    def of(cls, standing: PartnerStanding) -> StandingOut:
        return cls(
            agency=standing.agency.id,
            at=iso(standing.at),
            level=cast(LevelName, standing.level.key),
            reasons=[StandingReasonOut.of(r) for r in standing.reasons],
            undertakings=list(standing.undertakings),
            needs_undertaking=standing.needs_undertaking,
        )


# -- standing agreements -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemAdded(records.Item):
    """An item as added, and the release requests the standing agreements that cover it
    started in the same transaction (``started``), each with its first decision."""

    started: tuple[Decided, ...] = ()

    @classmethod
    def of(cls, change: Change[records.Item]) -> ItemAdded:
        item = change.value
        shown = {f.name: getattr(item, f.name) for f in fields(records.Item)}
        return cls(**shown, started=tuple(change.started))


class AgreementTerms(Body):
    """An agreement's terms at version 1. Left out: ``id`` is ``<partner>-ag-<n>``,
    ``valid_from`` is now, and it runs until ended."""

    partner: str = Field(min_length=1, max_length=64)
    id: str | None = Field(None, max_length=64)
    purposes: list[str] = Field(max_length=50, description="At least one, e.g. seizure")
    tlp_ceiling: str = Field(
        description="The most restricted marking it takes: clear, green, amber, amber+strict "
        "or red (TLP 2.0)"
    )
    categories: list[str] = Field(default_factory=list, max_length=200, description="Empty: any")
    regions: list[str] = Field(default_factory=list, max_length=200, description="Empty: any")
    originators: list[str] = Field(
        default_factory=list, max_length=200, description="Agencies; empty: any"
    )
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    recall_ack_within: str | None = Field(
        None,
        max_length=16,
        description="How long the partner has to acknowledge a recall of a release it "
        "started (30m, 48h, 7d); past it unacknowledged, the partner is held",
    )
    onward_to: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        None,
        max_length=200,
        description="Onward recipients the originator consents to in advance (agency ids or "
        "ISO 3166 country codes): the partner's consent request to share with one of them "
        "for one of onward_purposes is granted at once. On an amendment, [] ends it",
    )
    onward_purposes: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, max_length=50, description="The purposes onward_to is consented for"
    )


class AgreementIn(AgreementTerms):
    signature: str | None = Field(
        None,
        description="Base64 Ed25519 countersignature by the partner's key of the statement "
        "from /agreements/draft (optional; checked when given)",
    )
    backfill_from: Instant | None = Field(
        None,
        description="Also start requests for the items added since then that it covers, in "
        "the same transaction (preview with /agreements/simulate)",
    )


class AgreementSimulateIn(AgreementTerms):
    backfill_from: Instant = Field(description="Items added since then are previewed")


class AgreementAmendTerms(Body):
    """The next version: the terms given replace the current ones, the others stay."""

    purposes: list[str] | None = Field(None, max_length=50)
    tlp_ceiling: str | None = None
    categories: list[str] | None = Field(None, max_length=200)
    regions: list[str] | None = Field(None, max_length=200)
    originators: list[str] | None = Field(None, max_length=200)
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    clear_valid_until: bool = Field(False, description="Run until ended, with no end date")
    recall_ack_within: str | None = Field(
        None,
        max_length=16,
        description="How long the partner has to acknowledge a recall of a release it "
        "started (30m, 48h, 7d); past it unacknowledged, the partner is held",
    )
    onward_to: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        None,
        max_length=200,
        description="Onward recipients the originator consents to in advance (agency ids or "
        "ISO 3166 country codes): the partner's consent request to share with one of them "
        "for one of onward_purposes is granted at once. On an amendment, [] ends it",
    )
    onward_purposes: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, max_length=50, description="The purposes onward_to is consented for"
    )


class AgreementAmendIn(AgreementAmendTerms):
    reason: str = Field(min_length=1, max_length=4000)
    signature: str | None = Field(
        None,
        description="Base64 Ed25519 countersignature by the partner's key of the statement "
        "from .../amend/draft (optional; checked when given)",
    )


class AgreementReasonIn(Body):
    reason: str = Field(min_length=1, max_length=4000)


class AgreementChange(BaseModel):
    """An agreement as the write left it, and the release requests it started (a backfill),
    each with its first decision; empty for every other change."""

    agreement: records.Agreement
    started: list[Decided] = Field(default_factory=list)

    @classmethod
    def of(cls, change: Change[records.Agreement]) -> AgreementChange:
        return cls(agreement=change.value, started=change.started)


# -- sources -----------------------------------------------------------------------------------


class SourceIn(Body):
    """A source of items. Its secret (a password or bearer token) is kept in the store only:
    never logged, never answered."""

    id: str = Slug
    kind: Literal["taxii", "misp-feed", "folder", "garante"] = "taxii"
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="The TAXII 2.1 API root (of a Garante upstream too), the MISP feed's URL or "
        "directory, or the folder (an absolute path on the server)",
    )
    collection: str | None = Field(None, max_length=200, description="TAXII: the collection id")
    category: str
    region: str
    tlp: str = Field(description="The TLP of what carries no marking (never read into one)")
    auth: Literal["none", "basic", "bearer"] = "none"
    username: str | None = Field(None, max_length=200)
    secret: str | None = Field(None, max_length=4000, description="Never answered back")
    originator: str | None = Field(None, description="An analyst's own agency, the default")
    interval: int = Field(
        3600, ge=MIN_INTERVAL, le=MAX_INTERVAL, description="Seconds between pulls"
    )
    grouping: Literal["per-object", "per-bundle"] = "per-object"
    mapping: dict[str, Any] | None = Field(
        None, description='Category and region rules: {"rules": [{"on": ..., "pattern": ...}]}'
    )
    log_key: str | None = Field(
        None,
        max_length=2000,
        description="A garante source: the upstream log's verifier key, got out of band; each "
        "delivery and checkpoint is verified with it before anything is taken",
    )
    signing_key: str | None = Field(
        None,
        max_length=4000,
        description="A garante source: this agency's Ed25519 private key (PEM), with which the "
        "node acknowledges upstream by itself. A secret: kept in the store only, never logged, "
        "never answered (the source shows `acknowledges`)",
    )


class ReasonIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class WitnessIn(Body):
    """A witness to register: its verifier key, as `garante witnesses add` takes it."""

    key: str = Field(
        min_length=1,
        max_length=2000,
        description="The witness's note verifier key (<name>+<hex id>+<base64>): its type 0x04 "
        "cosigner key, or a partner node's log key (type 0x01), which stands for the cosigner "
        "key of the same name and key",
    )


class WitnessRemovalIn(Body):
    reason: str = Field("", max_length=2000, description="Why, for the log")


class PullOut(BaseModel):
    """What a pull took, with the requests the standing agreements started."""

    pulled: records.Pulled
    started: list[Decided]


# -- client certificates of partners ---------------------------------------------------------


class CertificateIn(Body):
    certificate: str = Field(
        min_length=1,
        max_length=20000,
        description="The PEM certificate, or the SHA-256 of its DER encoding (hex, colons allowed)",
    )
    label: str = Field("", max_length=200)


class CertificateRotationIn(Body):
    old: str = Field(min_length=1, max_length=20000, description="The certificate in use")
    new: str = Field(min_length=1, max_length=20000, description="Its replacement")
    label: str = Field("", max_length=200)


# -- partners writing back -------------------------------------------------------------------


class AcknowledgementIn(Body):
    """A partner's signed acknowledgement: the fields of its ``garante.acknowledgement/v1``
    statement and the base64 Ed25519 signature over that statement's RFC 8785 bytes."""

    id: str = Field(min_length=1, max_length=128, description="yours to choose, e.g. note--<uuid4>")
    of: Literal["delivery", "recall"]
    release: Int64
    agency: str
    acknowledged_at: Instant
    signature: str


class ConsentRequestIn(Body):
    """A partner's signed consent request: the fields of its ``garante.consent-request/v1``
    statement and the base64 Ed25519 signature over that statement's RFC 8785 bytes."""

    id: str = Field(min_length=1, max_length=128, description="yours to choose, unique")
    agency: str
    release: Int64 = Field(description="the release (request id) your collection delivered")
    recipient: str = Field(min_length=1, max_length=200, description="the onward recipient")
    country: str = Field(min_length=2, max_length=8, description="its ISO 3166 country code")
    purpose: str
    requested_at: Instant
    signature: str


class ConsentAnswerIn(Body):
    """Why a consent request is granted or refused."""

    reason: str = Field(min_length=1, max_length=2000)
