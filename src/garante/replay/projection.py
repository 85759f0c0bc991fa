"""The state the log records, rebuilt from its entries alone.

The store is a projection of the log: each entry carries what rebuilds the state it changed
(DESIGN.md, "Who may do what"). This module is that projection, kept by an inspector who has
nothing but the entries: agencies and authorities with the keys registered at each point,
items (their commitments, never their content), undertakings, orders at their latest version,
conditions and the events they count, release requests with their latest decision and
delivery, outcomes and tokens.

Pure: it reads entries and answers questions; it never checks them. ``replay.replayer`` checks
each entry against the state *before* it, then applies it here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from garante.domain.agreement import (
    Agreement,
    AgreementScope,
    statement_ack_within,
    statement_onward,
)
from garante.domain.condition import Condition, Event, condition_active
from garante.domain.consent import ConsentKey, Onward
from garante.domain.decision import Outcome
from garante.domain.events import (
    AgencyCertificateAdded,
    AgencyCertificateRemoved,
    AgencyKeySet,
    AgencyRegistered,
    AgreementAmended,
    AgreementEnded,
    AgreementMade,
    AgreementResumed,
    AgreementSuspended,
    AuditEvent,
    AuthorityKeySet,
    AuthorityPasskeyRegistered,
    AuthorityRegistered,
    AuthoritySuperiorSet,
    ConditionChanged,
    ConditionDefined,
    ConsentGranted,
    ConsentReceived,
    ConsentRefused,
    ConsentRequested,
    EventRecorded,
    ItemAdded,
    ItemIngested,
    ItemRevised,
    ItemRevoked,
    JsonObject,
    OrderAmended,
    OrderIssued,
    OrderLifted,
    OutcomeReported,
    RecallAcknowledged,
    ReleaseAcknowledged,
    ReleaseAvailable,
    ReleaseDecided,
    ReleaseDelivered,
    ReleaseMarked,
    ReleaseRecalled,
    ReleaseRedecided,
    ReleaseRequested,
    ReleaseWithheld,
    SettingsChanged,
    SourceAdded,
    SourcePaused,
    SourceRemoved,
    SourceResumed,
    TokenCreated,
    TokenRevoked,
    UndertakingRevoked,
    UndertakingSigned,
    UpstreamVersionSeen,
    WitnessAdded,
    WitnessRemoved,
)
from garante.domain.item import Item
from garante.domain.order import Order, Requirement, Scope
from garante.domain.parties import Agency, Authority
from garante.domain.passkeys import Assertion, Passkey
from garante.domain.snapshot import OrderIndex, PolicyState
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp, Vocabulary
from garante.passkeys import reported_count
from garante.replay.entries import LoggedEntry, instant, maybe_text, member, text, texts, whole


def key_bytes(text: str | None) -> bytes | None:
    """A logged public key (base64 of the 32 raw bytes) as bytes."""
    return None if text is None else base64.b64decode(text)


@dataclass(kw_only=True)
class LoggedOrder:
    """An order as its entries state it, with who issued and last changed it."""

    order: Order
    signed: bool


@dataclass(kw_only=True)
class LoggedRequest:
    """A release request and what the log says happened to it since."""

    id: int
    item: str
    recipient: str
    purpose: str
    outcome: Outcome | None = None
    undertaking: str | None = None
    decisions: int = 0
    delivered: bool = False
    recalled: bool = False
    withheld: bool = False
    agreement: str | None = None
    trace: str | None = None  # the trace token its ``release.marked`` entry names, if any
    # Issue 21: by when its recall must be acknowledged, and whether it was.
    recall_ack_by: datetime | None = None
    recall_acknowledged: bool = False


@dataclass(kw_only=True)
class LoggedCertificate:
    """A partner's client certificate, by fingerprint, as the log registered it."""

    fingerprint: str
    agency: str
    removed: bool = False


@dataclass(kw_only=True)
class LoggedConsent:
    """A partner's consent request as the log recorded it, and its answer so far:
    ``received_index`` the entry that recorded its receipt, ``answer_index`` that of its
    answer (the store keeps both on the row)."""

    id: str
    agency: str
    request: int
    recipient: str
    purpose: str
    received_index: int
    status: str = "pending"
    answer_index: int | None = None


@dataclass(kw_only=True)
class LoggedAcknowledgement:
    """A partner's acknowledgement of a delivery or a recall, as the log recorded it, and the
    entry that recorded its receipt (its place in the order received, kept on the row)."""

    id: str
    kind: str
    request: int
    agency: str
    received_index: int


@dataclass(kw_only=True)
class LoggedWitness:
    id: str
    name: str
    key: str
    removed: bool = False


@dataclass(kw_only=True)
class LoggedToken:
    id: str
    role: str
    agency: str | None
    authority: str | None
    revoked: bool = False


@dataclass(kw_only=True)
class LoggedOutcome:
    id: int
    request: int
    agency: str
    breach: bool
    reasons: tuple[str, ...]
    statement: JsonObject


@dataclass(kw_only=True)
class LoggedKey:
    """Where an agency's key came from: the entry that installed it, and whether that entry
    was a recovery (signed by an authority, not by the key before it)."""

    entry: int
    recovered_by: str | None


@dataclass(kw_only=True)
class LoggedSource:
    """A source as its entries state it (its credentials only as a commitment)."""

    id: str
    kind: str
    url: str
    collection: str | None
    auth: str
    credentials: str | None
    originator: str
    interval: int
    grouping: str
    category: str
    region: str
    tlp: str
    log_key: str | None = None  # a Garante upstream's log key, the node's trust anchor
    paused: bool = False
    removed: bool = False


@dataclass(kw_only=True)
class LoggedIngest:
    """One upstream version a source gave: the item it became or would update."""

    source: str
    upstream_id: str
    upstream_version: str
    item: str
    status: str  # "item", "revised", "revoked" or "version-seen", as ``store.sources`` names them
    content_commitment: str
    terms: JsonObject | None = None  # from a Garante upstream: what it was released under


@dataclass(kw_only=True)
class Projection:
    """Everything the entries so far say, keyed as the store keys it."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    agency_keys: dict[str, LoggedKey] = field(default_factory=dict)
    authorities: dict[str, Authority] = field(default_factory=dict)
    # Which authorities each authority is configured as superior to, as the log last said.
    superior_over: dict[str, frozenset[str]] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    commitments: dict[str, str] = field(default_factory=dict)
    undertakings: dict[str, Undertaking] = field(default_factory=dict)
    undertaking_keys: dict[str, LoggedKey | None] = field(default_factory=dict)
    orders: dict[str, LoggedOrder] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    # Who reported each event, and whether it came signed (older entries name no one).
    event_reporters: dict[int, tuple[str | None, bool]] = field(default_factory=dict)
    # Each condition's state as its entries last recorded it (derived ones included).
    recorded_active: dict[str, bool] = field(default_factory=dict)
    requests: dict[int, LoggedRequest] = field(default_factory=dict)
    outcomes: dict[int, LoggedOutcome] = field(default_factory=dict)
    tokens: dict[str, LoggedToken] = field(default_factory=dict)
    certificates: dict[str, LoggedCertificate] = field(default_factory=dict)
    # Authorities' passkeys by credential id, each with the counter its latest assertion gave.
    passkeys: dict[str, Passkey] = field(default_factory=dict)
    acknowledgements: dict[str, LoggedAcknowledgement] = field(default_factory=dict)
    consent_requests: dict[str, LoggedConsent] = field(default_factory=dict)
    witnesses: dict[str, LoggedWitness] = field(default_factory=dict)
    settings: dict[str, str | None] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # Standing agreements at their latest version, and the (item, recipient, purpose) of every
    # request so far, which an agreement never asks for twice.
    agreements: dict[str, Agreement] = field(default_factory=dict)
    requested: set[tuple[str, str, str]] = field(default_factory=set)
    # Sources, and what each gave, keyed by (source, upstream id, upstream version).
    sources: dict[str, LoggedSource] = field(default_factory=dict)
    ingests: dict[tuple[str, str, str], LoggedIngest] = field(default_factory=dict)
    # The item each (source, upstream id) became.
    upstream_items: dict[tuple[str, str], str] = field(default_factory=dict)
    _item_ingests: dict[str, LoggedIngest] = field(default_factory=dict)
    # -- versions: each item's current version number (1 unless a source revised it), and the
    # upstream version it is at, by item.
    item_versions: dict[str, int] = field(default_factory=dict)
    # Items taken from a Garante upstream: the release they came under, as rule (2) reads it.
    released_under: dict[str, Onward] = field(default_factory=dict)
    # Consents the node holds, as ``PolicyState.consents``.
    consents: dict[ConsentKey, str] = field(default_factory=dict)
    consents_received: set[str] = field(default_factory=set)
    current_versions: dict[str, str] = field(default_factory=dict)
    size: int = 0
    # The size after the last entry that changed what ``decide`` reads: a decision citing an
    # earlier version was made on a state this projection no longer holds.
    policy_version: int = 0
    _index: OrderIndex | None = None
    _by_agency: dict[str, tuple[Undertaking, ...]] | None = None
    _conditions: tuple[datetime, int, dict[str, bool]] | None = None

    # -- what ``decide`` reads ---------------------------------------------------------------

    def policy_state(self, at: datetime, version: int) -> PolicyState:
        """The snapshot a decision at ``at`` reads, as of the entries applied so far.

        Built from live maps, not copies: ``decide`` only reads, and copying every item for
        every one of a million decisions would make a replay quadratic. Orders are filed once
        per change, not per instant: ``decide`` checks each order's window itself.
        """
        if self._index is None:
            self._index = OrderIndex(o.order for o in self.orders.values())
        if self._by_agency is None:
            grouped: dict[str, list[Undertaking]] = {}
            for undertaking in self.undertakings.values():
                grouped.setdefault(undertaking.agency_id, []).append(undertaking)
            self._by_agency = {
                agency: tuple(sorted(found, key=lambda u: u.id))
                for agency, found in grouped.items()
            }
        return PolicyState(
            at=at,
            version=version,
            vocabulary=self.vocabulary,
            agencies=self.agencies,
            items=self.items,
            undertakings=self._by_agency,
            orders=self._index,
            conditions=self.conditions_at(at),
            released_under=self.released_under,
            consents=self.consents,
        )

    def ingest_of_item(self, item: str) -> LoggedIngest | None:
        """The upstream version that became ``item``, if a source gave it."""
        return self._item_ingests.get(item)

    def superiors_of(self, authority: str) -> set[str]:
        """The authorities configured, at this point of the log, as superior to ``authority``."""
        return {s for s, over in self.superior_over.items() if authority in over}

    def overdue_recall(self, request_id: int, at: datetime) -> LoggedRequest | None:
        """The request, if its recall was past its acknowledgement deadline at ``at`` and
        not acknowledged (issue 21)."""
        request = self.requests.get(request_id)
        if (
            request is None
            or not request.recalled
            or request.recall_acknowledged
            or request.recall_ack_by is None
            or request.recall_ack_by > at
        ):
            return None
        return request

    def any_overdue_recall(self, at: datetime) -> bool:
        return any(self.overdue_recall(r, at) is not None for r in self.requests)

    def conditions_at(self, at: datetime) -> dict[str, bool]:
        """Each condition's state at ``at``; kept until the time or the state moves, since
        the decisions of one transaction share both."""
        cached = self._conditions
        if cached is not None and cached[0] == at and cached[1] == self.policy_version:
            return cached[2]
        events = list(self.events.values())
        found = {cid: condition_active(c, events, at) for cid, c in self.conditions.items()}
        self._conditions = (at, self.policy_version, found)
        return found

    # -- applying entries --------------------------------------------------------------------

    def apply(self, entry: LoggedEntry) -> None:
        """Change the state as ``entry`` records; an entry of an unknown kind changes nothing
        here (the replayer reports it)."""
        event = entry.event
        if event is not None and _APPLY[type(event)](self, entry, event):
            self.policy_version = entry.index + 1
            self._index = None
            self._by_agency = None
        self.size = entry.index + 1


_Apply = Callable[["Projection", LoggedEntry, Any], bool]
_APPLY: dict[type[AuditEvent], _Apply] = {}
"""How each kind of entry changes the state; True when it changes what ``decide`` reads."""
E = TypeVar("E", bound=AuditEvent)


def _apply(event: type[E], apply: Callable[[Projection, LoggedEntry, E], bool]) -> None:
    _APPLY[event] = apply


def _agency_registered(p: Projection, e: LoggedEntry, d: AgencyRegistered) -> bool:
    p.agencies[d.agency] = Agency(
        id=d.agency,
        name=d.name,
        country=d.country,
        domestic=d.domestic,
        requires_undertaking=d.requires_undertaking,
        public_key=key_bytes(d.public_key),
    )
    if d.public_key is not None:
        p.agency_keys[d.agency] = LoggedKey(entry=e.index, recovered_by=None)
    return True


def _agency_key_set(p: Projection, e: LoggedEntry, d: AgencyKeySet) -> bool:
    agency = p.agencies.get(d.agency)
    if agency is not None:
        p.agencies[agency.id] = replace(agency, public_key=key_bytes(d.public_key))
        p.agency_keys[agency.id] = LoggedKey(entry=e.index, recovered_by=d.recovered_by)
    return True


def _authority_registered(p: Projection, e: LoggedEntry, d: AuthorityRegistered) -> bool:
    p.authorities[d.authority] = Authority(
        id=d.authority, name=d.name, public_key=key_bytes(d.public_key)
    )
    return False


def _authority_key_set(p: Projection, e: LoggedEntry, d: AuthorityKeySet) -> bool:
    authority = p.authorities.get(d.authority)
    if authority is not None:
        p.authorities[authority.id] = replace(authority, public_key=key_bytes(d.public_key))
    return False


def _authority_superior_set(p: Projection, e: LoggedEntry, d: AuthoritySuperiorSet) -> bool:
    p.superior_over[d.authority] = frozenset(d.over)
    return False


def _item_added(p: Projection, e: LoggedEntry, d: ItemAdded) -> bool:
    p.items[d.item] = Item(
        id=d.item,
        title="",
        category=d.category,
        region=d.region,
        tlp=d.tlp,
        originator=d.originator,
        releasable_to=frozenset(d.releasable_to),
        embargo_until=d.embargo_until,
        expires_at=d.expires_at,
        review=tuple(d.review or ()),
    )
    p.commitments[d.item] = d.content_commitment
    return True


def undertaking_of(statement: JsonObject, *, signed: bool) -> Undertaking:
    """The undertaking a signed statement (``garante.undertaking/v1``) states."""
    until = maybe_text(statement, "valid_until")
    return Undertaking(
        id=text(statement, "id"),
        agency_id=text(statement, "agency"),
        permits=frozenset(texts(statement, "permits")),
        prohibits=frozenset(texts(statement, "prohibits")),
        protections=frozenset(texts(statement, "protections")),
        categories=frozenset(texts(statement, "categories")),
        valid_from=instant(text(statement, "valid_from")),
        valid_until=instant(until) if until else None,
        signed=signed,
    )


def _undertaking_signed(p: Projection, e: LoggedEntry, d: UndertakingSigned) -> bool:
    undertaking = undertaking_of(d.statement, signed=d.signature is not None)
    p.undertakings[undertaking.id] = undertaking
    p.undertaking_keys[undertaking.id] = p.agency_keys.get(undertaking.agency_id)
    return True


def _undertaking_revoked(p: Projection, e: LoggedEntry, d: UndertakingRevoked) -> bool:
    found = p.undertakings.get(d.undertaking)
    if found is not None:
        p.undertakings[found.id] = replace(found, revoked_at=e.at)
    return True


def order_of(statement: JsonObject, *, sequence: int) -> Order:
    """The order a signed statement (``garante.order/v1``) states."""
    until = maybe_text(statement, "valid_until")
    requires = statement.get("requires")
    return Order(
        id=text(statement, "id"),
        authority_id=text(statement, "authority"),
        effect=text(statement, "effect"),
        scope=Scope.from_dict(dict(member(statement, "scope"))),
        valid_from=instant(text(statement, "valid_from")),
        valid_until=instant(until) if until else None,
        while_condition=maybe_text(statement, "while_condition"),
        exempts=frozenset(texts(statement, "exempts")),
        requires=Requirement.from_dict(dict(member(statement, "requires")) if requires else {}),
        reason=maybe_text(statement, "reason") or "",
        version=whole(statement, "version"),
        sequence=sequence,
    )


def _order_issued(p: Projection, e: LoggedEntry, d: OrderIssued) -> bool:
    order = order_of(d.statement, sequence=len(p.orders) + 1)
    p.orders[order.id] = LoggedOrder(order=order, signed=_signed(p, d.signature, d.assertion))
    return True


def _order_amended(p: Projection, e: LoggedEntry, d: OrderAmended) -> bool:
    current = p.orders.get(text(d.statement, "id"))
    if current is not None:
        current.order = order_of(d.statement, sequence=current.order.sequence)
        current.signed = _signed(p, d.signature, d.assertion)
    return True


def _order_lifted(p: Projection, e: LoggedEntry, d: OrderLifted) -> bool:
    _signed(p, d.signature, d.assertion)
    current = p.orders.get(text(d.statement, "id"))
    if current is not None:
        version = whole(d.statement, "version")
        current.order = replace(current.order, lifted_at=e.at, version=version)
    return True


def _condition_defined(p: Projection, e: LoggedEntry, d: ConditionDefined) -> bool:
    p.conditions[d.condition] = Condition(
        id=d.condition, rule=d.rule, manual_active=d.active, evidence=d.evidence
    )
    p.recorded_active[d.condition] = d.active
    return True


def _condition_changed(p: Projection, e: LoggedEntry, d: ConditionChanged) -> bool:
    found = p.conditions.get(d.condition)
    if found is not None:
        p.recorded_active[found.id] = d.active
    if found is None or found.rule is not None:
        return False  # a derived condition's state follows its events, not this entry
    p.conditions[found.id] = replace(found, manual_active=d.active, evidence=d.evidence)
    return True


def _event_recorded(p: Projection, e: LoggedEntry, d: EventRecorded) -> bool:
    p.events[d.event] = Event(
        kind=d.kind, region=d.region, occurred_at=d.occurred_at, source=d.source
    )
    p.event_reporters[d.event] = (d.agency, d.signature is not None)
    return True


def _release_requested(p: Projection, e: LoggedEntry, d: ReleaseRequested) -> bool:
    p.requests[d.request] = LoggedRequest(
        id=d.request, item=d.item, recipient=d.recipient, purpose=d.purpose, agreement=d.agreement
    )
    p.requested.add((d.item, d.recipient, d.purpose))
    return False


def _release_decided(p: Projection, e: LoggedEntry, d: ReleaseDecided | ReleaseRedecided) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.outcome = d.outcome
        request.undertaking = d.undertaking
        request.decisions += 1
        request.withheld = False
    return False


def _release_marked(p: Projection, e: LoggedEntry, d: ReleaseMarked) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.trace = d.trace
    return False


def _release_withheld(p: Projection, e: LoggedEntry, d: ReleaseWithheld) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.withheld = True
    return False


def _release_available(p: Projection, e: LoggedEntry, d: ReleaseAvailable) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.withheld = False
    return False


def _release_delivered(p: Projection, e: LoggedEntry, d: ReleaseDelivered) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.delivered = True
    return False


def _release_recalled(p: Projection, e: LoggedEntry, d: ReleaseRecalled) -> bool:
    request = p.requests.get(d.request)
    if request is not None:
        request.recalled = True
        request.recall_ack_by = d.ack_by
    return False


def _settings_changed(p: Projection, e: LoggedEntry, d: SettingsChanged) -> bool:
    p.settings[d.setting] = d.value
    return False


def _outcome_reported(p: Projection, e: LoggedEntry, d: OutcomeReported) -> bool:
    p.outcomes[d.outcome] = LoggedOutcome(
        id=d.outcome,
        request=whole(d.statement, "release"),
        agency=text(d.statement, "agency"),
        breach=d.breach,
        reasons=d.reasons,
        statement=d.statement,
    )
    return False


def _token_created(p: Projection, e: LoggedEntry, d: TokenCreated) -> bool:
    p.tokens[d.token] = LoggedToken(id=d.token, role=d.role, agency=d.agency, authority=d.authority)
    return False


def _token_revoked(p: Projection, e: LoggedEntry, d: TokenRevoked) -> bool:
    token = p.tokens.get(d.token)
    if token is not None:
        token.revoked = True
    return False


# -- standing agreements -------------------------------------------------------------------


def agreement_of(statement: JsonObject) -> Agreement:
    """The agreement a statement (``garante.agreement/v1``) states."""
    until = maybe_text(statement, "valid_until")
    onward_to, onward_purposes = statement_onward(statement)
    return Agreement(
        id=text(statement, "id"),
        partner=text(statement, "partner"),
        purposes=frozenset(texts(statement, "purposes")),
        scope=AgreementScope(
            categories=frozenset(texts(statement, "categories")),
            regions=frozenset(texts(statement, "regions")),
            tlp_ceiling=Tlp(text(statement, "tlp_ceiling")),
            originators=frozenset(texts(statement, "originators")),
        ),
        valid_from=instant(text(statement, "valid_from")),
        valid_until=instant(until) if until else None,
        version=whole(statement, "version"),
        recall_ack_within=statement_ack_within(statement),
        onward_to=onward_to,
        onward_purposes=onward_purposes,
    )


def _agreement_made(p: Projection, e: LoggedEntry, d: AgreementMade) -> bool:
    agreement = agreement_of(d.statement)
    p.agreements[agreement.id] = agreement
    return False


def _agreement_amended(p: Projection, e: LoggedEntry, d: AgreementAmended) -> bool:
    current = p.agreements.get(d.agreement)
    if current is not None:
        amended = agreement_of(d.statement)
        p.agreements[current.id] = replace(
            amended, suspended_at=current.suspended_at, ended_at=current.ended_at
        )
    return False


def _agreement_suspended(p: Projection, e: LoggedEntry, d: AgreementSuspended) -> bool:
    current = p.agreements.get(d.agreement)
    if current is not None:
        p.agreements[current.id] = replace(current, suspended_at=e.at)
    return False


def _agreement_resumed(p: Projection, e: LoggedEntry, d: AgreementResumed) -> bool:
    current = p.agreements.get(d.agreement)
    if current is not None:
        p.agreements[current.id] = replace(current, suspended_at=None)
    return False


def _agreement_ended(p: Projection, e: LoggedEntry, d: AgreementEnded) -> bool:
    current = p.agreements.get(d.agreement)
    if current is not None:
        p.agreements[current.id] = replace(current, ended_at=e.at)
    return False


# -- sources -------------------------------------------------------------------------------


def _source_added(p: Projection, e: LoggedEntry, d: SourceAdded) -> bool:
    p.sources[d.source] = LoggedSource(
        id=d.source,
        kind=d.kind,
        url=d.url,
        collection=d.collection,
        auth=d.auth,
        credentials=d.credentials,
        originator=d.originator,
        interval=d.interval,
        grouping=d.grouping,
        category=d.category,
        region=d.region,
        tlp=d.tlp,
        log_key=d.log_key,
    )
    return False


def _source_paused(p: Projection, e: LoggedEntry, d: SourcePaused) -> bool:
    found = p.sources.get(d.source)
    if found is not None:
        found.paused = True
    return False


def _source_resumed(p: Projection, e: LoggedEntry, d: SourceResumed) -> bool:
    found = p.sources.get(d.source)
    if found is not None:
        found.paused = False
    return False


def _source_removed(p: Projection, e: LoggedEntry, d: SourceRemoved) -> bool:
    found = p.sources.get(d.source)
    if found is not None:
        found.removed = True
    return False


def _ingested(p: Projection, e: LoggedEntry, d: ItemIngested | UpstreamVersionSeen) -> bool:
    status = "item" if isinstance(d, ItemIngested) else "version-seen"
    p.ingests[(d.source, d.upstream_id, d.upstream_version)] = ingest = LoggedIngest(
        source=d.source,
        upstream_id=d.upstream_id,
        upstream_version=d.upstream_version,
        item=d.item,
        status=status,
        content_commitment=d.content_commitment,
        terms=d.terms if isinstance(d, ItemIngested) else None,
    )
    if status == "item":
        p._item_ingests[d.item] = ingest
        onward = Onward.of_terms(d.terms) if isinstance(d, ItemIngested) else None
        if onward is not None:
            p.released_under[d.item] = onward
        p.upstream_items[(d.source, d.upstream_id)] = d.item
        p.current_versions[d.item] = d.upstream_version
    return False


def _revised(p: Projection, e: LoggedEntry, d: ItemRevised) -> bool:
    p.ingests[(d.source, d.upstream_id, d.upstream_version)] = LoggedIngest(
        source=d.source,
        upstream_id=d.upstream_id,
        upstream_version=d.upstream_version,
        item=d.item,
        status="revised",
        content_commitment=d.content_commitment,
    )
    item = p.items.get(d.item)
    if item is None:
        return False
    p.items[d.item] = replace(
        item,
        tlp=d.tlp,
        review=tuple(d.review),
        category=item.category if d.category is None else d.category,
        region=item.region if d.region is None else d.region,
    )
    p.commitments[d.item] = d.content_commitment
    p.item_versions[d.item] = d.version
    p.current_versions[d.item] = d.upstream_version
    return True


def _revoked(p: Projection, e: LoggedEntry, d: ItemRevoked) -> bool:
    p.ingests[(d.source, d.upstream_id, d.upstream_version)] = LoggedIngest(
        source=d.source,
        upstream_id=d.upstream_id,
        upstream_version=d.upstream_version,
        item=d.item,
        status="revoked",
        content_commitment=d.content_commitment,
    )
    item = p.items.get(d.item)
    if item is None:
        return False
    p.items[d.item] = replace(item, revoked=d.reason)
    return True


_apply(SourceAdded, _source_added)
_apply(SourcePaused, _source_paused)
_apply(SourceResumed, _source_resumed)
_apply(SourceRemoved, _source_removed)
_apply(ItemIngested, _ingested)
_apply(UpstreamVersionSeen, _ingested)
_apply(ItemRevised, _revised)
_apply(ItemRevoked, _revoked)
_apply(AgreementMade, _agreement_made)
_apply(AgreementAmended, _agreement_amended)
_apply(AgreementSuspended, _agreement_suspended)
_apply(AgreementResumed, _agreement_resumed)
_apply(AgreementEnded, _agreement_ended)
_apply(AgencyRegistered, _agency_registered)
_apply(AgencyKeySet, _agency_key_set)
_apply(AuthorityRegistered, _authority_registered)
_apply(AuthorityKeySet, _authority_key_set)
_apply(AuthoritySuperiorSet, _authority_superior_set)
_apply(ItemAdded, _item_added)
_apply(UndertakingSigned, _undertaking_signed)
_apply(UndertakingRevoked, _undertaking_revoked)
_apply(OrderIssued, _order_issued)
_apply(OrderAmended, _order_amended)
_apply(OrderLifted, _order_lifted)
_apply(ConditionDefined, _condition_defined)
_apply(ConditionChanged, _condition_changed)
_apply(EventRecorded, _event_recorded)
_apply(ReleaseRequested, _release_requested)
_apply(ReleaseDecided, _release_decided)
_apply(ReleaseRedecided, _release_decided)
_apply(ReleaseWithheld, _release_withheld)
_apply(ReleaseAvailable, _release_available)
_apply(ReleaseMarked, _release_marked)
_apply(ReleaseDelivered, _release_delivered)
_apply(ReleaseRecalled, _release_recalled)
_apply(SettingsChanged, _settings_changed)
_apply(OutcomeReported, _outcome_reported)
_apply(TokenCreated, _token_created)
_apply(TokenRevoked, _token_revoked)


# -- client certificates of partners ---------------------------------------------------------


def _certificate_added(p: Projection, e: LoggedEntry, d: AgencyCertificateAdded) -> bool:
    p.certificates[d.fingerprint] = LoggedCertificate(fingerprint=d.fingerprint, agency=d.agency)
    return False


def _certificate_removed(p: Projection, e: LoggedEntry, d: AgencyCertificateRemoved) -> bool:
    certificate = p.certificates.get(d.fingerprint)
    if certificate is not None:
        certificate.removed = True
    return False


_apply(AgencyCertificateAdded, _certificate_added)
_apply(AgencyCertificateRemoved, _certificate_removed)


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


def _signed(p: Projection, signature: str | None, assertion: Assertion | None) -> bool:
    """Whether an entry is signed; a passkey that signed it keeps the counter it reported."""
    if assertion is not None:
        passkey = p.passkeys.get(assertion.credential_id)
        count = reported_count(assertion)
        if passkey is not None and count is not None:
            p.passkeys[passkey.credential_id] = replace(passkey, sign_count=count)
        return True
    return signature is not None


def _passkey_registered(p: Projection, e: LoggedEntry, d: AuthorityPasskeyRegistered) -> bool:
    _signed(p, d.signature, d.assertion)
    statement = d.statement
    p.passkeys[d.credential_id] = Passkey(
        credential_id=d.credential_id,
        authority=d.authority,
        public_key=str(statement.get("public_key")),
        rp_id=str(statement.get("rp_id")),
        origin=str(statement.get("origin")),
        sign_count=d.sign_count,
    )
    return False


# -- partners writing back -------------------------------------------------------------------


def _acknowledged(
    p: Projection, e: LoggedEntry, d: ReleaseAcknowledged | RecallAcknowledged
) -> bool:
    p.acknowledgements[d.acknowledgement] = LoggedAcknowledgement(
        id=d.acknowledgement,
        kind=text(d.statement, "of"),
        request=whole(d.statement, "release"),
        agency=text(d.statement, "agency"),
        received_index=e.index,
    )
    if isinstance(d, RecallAcknowledged):
        request = p.requests.get(whole(d.statement, "release"))
        if request is not None:
            request.recall_acknowledged = True
    return False


_apply(AuthorityPasskeyRegistered, _passkey_registered)
_apply(ReleaseAcknowledged, _acknowledged)
_apply(RecallAcknowledged, _acknowledged)


# -- consent to share onward -----------------------------------------------------------------


def _consent_requested(p: Projection, e: LoggedEntry, d: ConsentRequested) -> bool:
    p.consent_requests[d.consent] = LoggedConsent(
        id=d.consent,
        agency=text(d.statement, "agency"),
        request=whole(d.statement, "release"),
        recipient=text(d.statement, "recipient"),
        purpose=text(d.statement, "purpose"),
        received_index=e.index,
    )
    return False


def _consent_answered(p: Projection, e: LoggedEntry, d: ConsentGranted | ConsentRefused) -> bool:
    found = p.consent_requests.get(d.consent)
    if found is not None:
        found.status = "granted" if isinstance(d, ConsentGranted) else "refused"
        found.answer_index = e.index
    return False


_apply(ConsentRequested, _consent_requested)
_apply(ConsentGranted, _consent_answered)
_apply(ConsentRefused, _consent_answered)


def _consent_received(p: Projection, e: LoggedEntry, d: ConsentReceived) -> bool:
    p.consents_received.add(d.consent)
    taken = p.released_under.get(d.item)
    if taken is None:
        return False
    p.consents[(taken.origin, taken.request, d.recipient, d.purpose)] = d.answer
    return True


_apply(ConsentReceived, _consent_received)
# -- witnesses of the log --------------------------------------------------------------------


def _witness_added(p: Projection, e: LoggedEntry, d: WitnessAdded) -> bool:
    p.witnesses[d.witness] = LoggedWitness(id=d.witness, name=d.name, key=d.key)
    return False


def _witness_removed(p: Projection, e: LoggedEntry, d: WitnessRemoved) -> bool:
    witness = p.witnesses.get(d.witness)
    if witness is not None:
        witness.removed = True
    return False


_apply(WitnessAdded, _witness_added)
_apply(WitnessRemoved, _witness_removed)
