"""Audit events: every state change is one of these, logged in its transaction.

One frozen dataclass per kind. Its fields are the entry's ``data``, key for key: ``data()``
gives the JSON value ``Transaction.audit`` canonicalises (RFC 8785), so a field renamed here is
a change of the log's format, pinned by ``tests/domain/test_events.py``.

A field that names a stored row says so in its metadata (``ref("agencies.id")``): the value the
entry holds is the value of that column. ``garante db check`` (``store/integrity.py``) derives
from these references which entries record which rows, so its links follow the classes rather
than spelling out paths inside the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any, ClassVar, cast

from garante.canonical import PLAIN_LEAVES, plain_shape
from garante.canonical import Json as Json
from garante.canonical import JsonObject as JsonObject
from garante.domain.condition import ConditionRule
from garante.domain.decision import Outcome, RuleHit
from garante.domain.order import Acting
from garante.domain.passkeys import Assertion, Attestation
from garante.domain.timeutil import iso

REFS = "garante.refs"  # the metadata key ``ref`` sets
LATER = "garante.later"  # the metadata key ``later`` sets
OPTIONAL = "garante.optional"  # the metadata key ``optional`` sets


class EventKind(StrEnum):
    AGENCY_REGISTERED = "agency.registered"
    AGENCY_KEY_SET = "agency.key-set"
    AUTHORITY_REGISTERED = "authority.registered"
    AUTHORITY_KEY_SET = "authority.key-set"
    AUTHORITY_SUPERIOR_SET = "authority.superior-set"
    ITEM_ADDED = "item.added"
    UNDERTAKING_SIGNED = "undertaking.signed"
    UNDERTAKING_REVOKED = "undertaking.revoked"
    ORDER_ISSUED = "order.issued"
    ORDER_AMENDED = "order.amended"
    ORDER_LIFTED = "order.lifted"
    CONDITION_DEFINED = "condition.defined"
    CONDITION_CHANGED = "condition.changed"
    EVENT_RECORDED = "event.recorded"
    RELEASE_REQUESTED = "release.requested"
    RELEASE_DECIDED = "release.decided"
    RELEASE_REDECIDED = "release.redecided"
    RELEASE_WITHHELD = "release.withheld"
    RELEASE_AVAILABLE = "release.available"
    RELEASE_MARKED = "release.marked"
    RELEASE_DELIVERED = "release.delivered"
    RELEASE_RECALLED = "release.recalled"
    SETTINGS_CHANGED = "settings.changed"
    OUTCOME_REPORTED = "outcome.reported"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    # -- standing agreements
    AGREEMENT_MADE = "agreement.made"
    AGREEMENT_AMENDED = "agreement.amended"
    AGREEMENT_SUSPENDED = "agreement.suspended"
    AGREEMENT_RESUMED = "agreement.resumed"
    AGREEMENT_ENDED = "agreement.ended"
    # -- sources
    SOURCE_ADDED = "source.added"
    SOURCE_PAUSED = "source.paused"
    SOURCE_RESUMED = "source.resumed"
    SOURCE_REMOVED = "source.removed"
    ITEM_INGESTED = "item.ingested"
    UPSTREAM_VERSION_SEEN = "source.version-seen"
    # -- item versions and upstream revocations
    ITEM_REVISED = "item.revised"
    ITEM_REVOKED = "item.revoked"
    # -- client certificates of partners
    AGENCY_CERTIFICATE_ADDED = "agency.certificate-added"
    AGENCY_CERTIFICATE_REMOVED = "agency.certificate-removed"
    # -- passkeys of authorities (WebAuthn)
    AUTHORITY_PASSKEY_REGISTERED = "authority.passkey-registered"
    # -- partners writing back
    RELEASE_ACKNOWLEDGED = "release.acknowledged"
    RECALL_ACKNOWLEDGED = "recall.acknowledged"
    # -- onward sharing: consent asked of the upstream, and its answer
    CONSENT_REQUESTED = "consent.requested"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_REFUSED = "consent.refused"
    CONSENT_RECEIVED = "consent.received"
    # -- witnesses of the log
    WITNESS_ADDED = "witness.added"
    WITNESS_REMOVED = "witness.removed"


# -- references to stored rows -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A field holds what ``column`` (``table.column``) holds: its value, or for a key its
    text encoding. ``member`` names the key inside the field's JSON object that holds it, when
    the field is an object (a signed statement)."""

    column: str
    member: str | None = None


def ref(*columns: str, **members: str) -> dict[str, tuple[Ref, ...]]:
    """A field's metadata naming stored rows: ``field(metadata=ref("agencies.id"))`` for a
    plain value, ``ref(id="orders.id")`` for a member of an object."""
    refs = tuple(Ref(column) for column in columns) + tuple(
        Ref(column, member) for member, column in members.items()
    )
    return {REFS: refs}


def later(**metadata: object) -> dict[str, object]:
    """A field's metadata (with ``metadata`` beside it) saying that entries logged before the
    field existed lack it: reading such an entry gives None, so its type must allow None. The
    service always gives it."""
    return {**metadata, LATER: True}


def optional(**metadata: object) -> dict[str, object]:
    """A field's metadata saying it is logged only when it has a value: an entry without it
    reads as None. For terms most records lack (an item's embargo), so that the entries of the
    records that lack them stay as they were before the field existed."""
    return {**metadata, LATER: True, OPTIONAL: True}


def refs(event: type[AuditEvent]) -> list[tuple[Field[Any], Ref]]:
    """Every reference the fields of an event class declare, in field order."""
    return [(f, r) for f in fields(event) for r in f.metadata.get(REFS, ())]


# -- the events ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent:
    """One state change, as its entry's ``data`` records it."""

    # Not ``kind``: that is a key of ``event.recorded``'s data (the kind of event reported).
    entry_kind: ClassVar[EventKind]

    def data(self) -> dict[str, Json]:
        """The entry's ``data``: each field by name, as JSON."""
        return _object(self)

    def plain_data(self) -> dict[str, Json | datetime] | None:
        """``data()``, when every value in it is plain (``canonical.plain_shape``: exactly a
        dict, list, tuple, str, int, bool or None) or is a field's instant in UTC (exactly a
        ``datetime`` whose ``tzinfo`` is ``UTC``, which ``canonical_plain`` writes as ``iso``
        does), else None.

        Why: the audit append writes its entry with ``canonical_plain``, which skips the walk
        ``canonical`` makes over every value, because this builds the data checking each value
        as it reads it (one pass, not two). Built by a function made once per class
        (``_plain_builder``). The same JSON as ``data()``, not always the same objects: a
        mapping or an array that is plain already is taken as it is, not copied.
        """
        return plain_builder(type(self))(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleCited:
    """A rule that spoke in a decision and the object it cites, as entries record it."""

    rule: str
    cites: str

    @classmethod
    def of(cls, hits: Sequence[RuleHit]) -> tuple[RuleCited, ...]:
        return tuple(cls(rule=hit.rule, cites=hit.cites) for hit in hits)


@dataclass(frozen=True, kw_only=True, slots=True)
class AgencyRegistered(AuditEvent):
    entry_kind = EventKind.AGENCY_REGISTERED
    agency: str = field(metadata=ref("agencies.id"))
    name: str
    country: str
    domestic: bool
    requires_undertaking: bool
    public_key: str | None = field(metadata=ref("agencies.public_key"))


@dataclass(frozen=True, kw_only=True, slots=True)
class AgencyKeySet(AuditEvent):
    entry_kind = EventKind.AGENCY_KEY_SET
    agency: str = field(metadata=ref("agencies.id"))
    public_key: str = field(metadata=ref("agencies.public_key"))
    # What proves the change (``parties.key_statement``): signed by the previous key, or, for
    # a recovery, by the authority it names; a first key has neither.
    statement: JsonObject
    signature: str | None
    recovered_by: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthorityRegistered(AuditEvent):
    entry_kind = EventKind.AUTHORITY_REGISTERED
    authority: str = field(metadata=ref("authorities.id"))
    name: str
    public_key: str | None = field(metadata=ref("authorities.public_key"))


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthorityKeySet(AuditEvent):
    """An authority's key set, with the proof ``AgencyKeySet`` carries for an agency's:
    signed by its previous key, or for a recovery by the other authority it names."""

    entry_kind = EventKind.AUTHORITY_KEY_SET
    authority: str = field(metadata=ref("authorities.id"))
    public_key: str = field(metadata=ref("authorities.public_key"))
    statement: JsonObject
    signature: str | None
    recovered_by: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthoritySuperiorSet(AuditEvent):
    """The operator configured ``authority`` as superior to exactly the authorities ``over``
    (empty: to none). Each entry replaces the one before for that authority, so the relation
    at any point of the log is the latest entry of each authority up to it."""

    entry_kind = EventKind.AUTHORITY_SUPERIOR_SET
    authority: str = field(metadata=ref("authorities.id", "authority_superiors.superior_id"))
    over: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemAdded(AuditEvent):
    """What an item is and a commitment to its content, never the content itself."""

    entry_kind = EventKind.ITEM_ADDED
    item: str = field(metadata=ref("items.id"))
    category: str
    region: str
    tlp: str
    originator: str = field(metadata=ref("agencies.id"))
    releasable_to: tuple[str, ...]
    content_commitment: str
    embargo_until: datetime | None = field(default=None, metadata=optional())
    expires_at: datetime | None = field(default=None, metadata=optional())
    # Why an item ingested from a source is held for review (``Item.review``); logged only
    # then, so every other item's entry is what it always was.
    review: tuple[str, ...] | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class UndertakingSigned(AuditEvent):
    """The statement the agency signed (``Undertaking.statement``) and its signature."""

    entry_kind = EventKind.UNDERTAKING_SIGNED
    undertaking: str = field(metadata=ref("undertakings.id"))
    statement: JsonObject = field(metadata=ref(agency="agencies.id"))
    signature: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class UndertakingRevoked(AuditEvent):
    entry_kind = EventKind.UNDERTAKING_REVOKED
    undertaking: str = field(metadata=ref("undertakings.id"))
    reason: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderIssued(AuditEvent):
    """The order's first statement (``Order.statement``), as its authority signed it."""

    entry_kind = EventKind.ORDER_ISSUED
    statement: JsonObject = field(
        metadata=ref(id="orders.id", version="order_versions.version", authority="authorities.id")
    )
    signature: str | None
    # Signed with a passkey instead of the Ed25519 key: the assertion, logged only then.
    assertion: Assertion | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderAmended(AuditEvent):
    """The order's next statement, with ``amended_by``, as the amending authority signed it,
    and in what right it acted (``order.Acting``: ``issuer`` or ``superior``)."""

    entry_kind = EventKind.ORDER_AMENDED
    statement: JsonObject = field(metadata=ref(id="orders.id", version="order_versions.version"))
    signature: str | None
    # Entries logged before superiors existed have no such key (None when read): their
    # authority was the issuer (or, lifting a breach hold, any authority).
    acting_as: Acting | None = field(metadata=later())
    # Signed with a passkey instead of the Ed25519 key: the assertion, logged only then.
    assertion: Assertion | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderLifted(AuditEvent):
    """The lift statement (``lift_statement``) with ``lifted_by``, as signed, and in what right
    the authority acted (``issuer``, ``superior``, or ``any-authority`` for a breach hold)."""

    entry_kind = EventKind.ORDER_LIFTED
    statement: JsonObject = field(metadata=ref(id="orders.id", version="order_versions.version"))
    signature: str | None
    # Entries logged before superiors existed have no such key (None when read): their
    # authority was the issuer (or, lifting a breach hold, any authority).
    acting_as: Acting | None = field(metadata=later())
    # Signed with a passkey instead of the Ed25519 key: the assertion, logged only then.
    assertion: Assertion | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionDefined(AuditEvent):
    entry_kind = EventKind.CONDITION_DEFINED
    condition: str = field(metadata=ref("conditions.id"))
    rule: ConditionRule | None
    active: bool
    evidence: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionChanged(AuditEvent):
    entry_kind = EventKind.CONDITION_CHANGED
    condition: str = field(metadata=ref("conditions.id"))
    active: bool
    evidence: str
    # Set by hand: the authority's statement (``condition.condition_statement``) and its
    # signature; derived from events: neither.
    statement: JsonObject | None
    signature: str | None
    # Derived from events: the ids of the events its rule counts at the change, which are the
    # proof of it (at least ``min_events`` of them while active, fewer once inactive).
    # Entries logged before proofs were named have neither key (None when read).
    events: tuple[int, ...] | None = field(default=(), metadata=later())
    # The orders in force ``while`` the condition holds that this change starts (it became
    # active) or stops (it became inactive); none when its state did not change.
    orders: tuple[str, ...] | None = field(default=(), metadata=later())


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRecorded(AuditEvent):
    """A reported event; ``kind`` in its data is the event's kind (``vessel-strike``)."""

    entry_kind = EventKind.EVENT_RECORDED
    event: int = field(metadata=ref("events.id"))
    kind: str
    region: str
    occurred_at: datetime
    source: str
    # The reporting agency, what it signed (``condition.event_statement``) and its signature,
    # if it has a key; entries logged before events named their agency have none of the three.
    agency: str | None = field(metadata=later(**ref("agencies.id")))
    statement: JsonObject | None = field(metadata=later())
    signature: str | None = field(metadata=later())


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseRequested(AuditEvent):
    entry_kind = EventKind.RELEASE_REQUESTED
    request: int = field(metadata=ref("release_requests.id"))
    item: str = field(metadata=ref("items.id"))
    recipient: str = field(metadata=ref("agencies.id"))
    purpose: str
    # The standing agreement that started the request (``service/fanout.py``); logged only
    # then, so a request made by hand has the entry it always had.
    agreement: str | None = field(default=None, metadata=optional(**ref("agreements.id")))


# -- receipts: what a release entry says of the objects it puts in a feed ------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveredObject:
    """One STIX object a release puts in its partner's feed: its id and the digest of its
    content (``stix.markings.content_digest``), so that a partner holding the object can show
    that this entry released this very object."""

    id: str
    digest: str


@dataclass(frozen=True, kw_only=True, slots=True)
class _Decided(AuditEvent):
    """A decision stored for a request: each field is a column of its ``decisions`` row."""

    request: int = field(metadata=ref("release_requests.id"))
    outcome: Outcome = field(metadata=ref("decisions.outcome"))
    previous: Outcome | None
    undertaking: str | None = field(metadata=ref("undertakings.id"))
    state_version: int = field(metadata=ref("decisions.state_version"))
    trigger: str = field(metadata=ref("decisions.trigger"))
    rules: tuple[RuleCited, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseDecided(_Decided):
    """A request's first decision."""

    entry_kind = EventKind.RELEASE_DECIDED


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseRedecided(_Decided):
    """A held request decided again, after a change that may move it."""

    entry_kind = EventKind.RELEASE_REDECIDED


@dataclass(frozen=True, kw_only=True, slots=True)
class _Enforced(AuditEvent):
    """A release not yet delivered, enforced again: what the decision says of it now."""

    request: int = field(metadata=ref("release_requests.id"))
    partner: str = field(metadata=ref("agencies.id"))
    trigger: str
    rules: tuple[RuleCited, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseWithheld(_Enforced):
    entry_kind = EventKind.RELEASE_WITHHELD


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseAvailable(_Enforced):
    entry_kind = EventKind.RELEASE_AVAILABLE


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseMarked(AuditEvent):
    """A release's objects put in its partner's feed, marked with ``trace``: each object's id
    and content digest (``objects``). Logged right after the decision that releases, and named
    by each delivered copy's trace extension (``log_index``): the entry a partner's receipt
    proves (``ledger.delivery``). It says nothing but what the partner holds, so a partner may
    be given it whole; the decision's entry cites rules and orders it may not see."""

    entry_kind = EventKind.RELEASE_MARKED
    request: int = field(metadata=ref("release_requests.id"))
    partner: str = field(metadata=ref("agencies.id"))
    trace: str
    objects: tuple[DeliveredObject, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseDelivered(AuditEvent):
    """A release's objects first served to its partner, marked with ``trace``."""

    entry_kind = EventKind.RELEASE_DELIVERED
    request: int = field(metadata=ref("release_requests.id"))
    partner: str = field(metadata=ref("agencies.id"))
    trace: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseRecalled(AuditEvent):
    """A release withdrawn; ``objects`` are the STIX ids revoked if it was ``delivered``."""

    entry_kind = EventKind.RELEASE_RECALLED
    request: int = field(metadata=ref("release_requests.id"))
    partner: str = field(metadata=ref("agencies.id"))
    delivered: bool
    objects: tuple[str, ...]
    reason: str
    # By when the partner must acknowledge the recall; logged only when there is a deadline.
    ack_by: datetime | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class SettingsChanged(AuditEvent):
    """A setting that decides what is in force (the pinned clock); ``None`` unsets it."""

    entry_kind = EventKind.SETTINGS_CHANGED
    setting: str
    value: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class OutcomeReported(AuditEvent):
    """The statement reported (``OutcomeReport.statement``), its signature if the partner
    signed it, and whether it breaks the undertaking the release was made under."""

    entry_kind = EventKind.OUTCOME_REPORTED
    outcome: int = field(metadata=ref("outcomes.id"))
    statement: JsonObject = field(metadata=ref(release="release_requests.id", agency="agencies.id"))
    signature: str | None
    undertaking: str | None = field(metadata=ref("undertakings.id"))
    breach: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenCreated(AuditEvent):
    """A token's id and whom it acts for; its secret is never logged."""

    entry_kind = EventKind.TOKEN_CREATED
    token: str = field(metadata=ref("api_tokens.id"))
    role: str
    agency: str | None = field(metadata=ref("agencies.id"))
    authority: str | None = field(metadata=ref("authorities.id"))


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRevoked(AuditEvent):
    entry_kind = EventKind.TOKEN_REVOKED
    token: str = field(metadata=ref("api_tokens.id"))


# -- standing agreements -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _AgreementTerms(AuditEvent):
    """An agreement's terms as its partner may countersign them (``Agreement.statement``), and
    the countersignature if it gave one."""

    agreement: str = field(metadata=ref("agreements.id"))
    partner: str = field(metadata=ref("agencies.id"))
    statement: JsonObject = field(metadata=ref(version="agreements.version"))
    signature: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementMade(_AgreementTerms):
    """An agreement made, at its version 1."""

    entry_kind = EventKind.AGREEMENT_MADE


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementAmended(_AgreementTerms):
    """An agreement's next terms, at the version after the one in force."""

    entry_kind = EventKind.AGREEMENT_AMENDED


@dataclass(frozen=True, kw_only=True, slots=True)
class _AgreementChanged(AuditEvent):
    agreement: str = field(metadata=ref("agreements.id"))
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementSuspended(_AgreementChanged):
    """From this entry on the agreement starts nothing, until it is resumed."""

    entry_kind = EventKind.AGREEMENT_SUSPENDED


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementResumed(_AgreementChanged):
    entry_kind = EventKind.AGREEMENT_RESUMED


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementEnded(_AgreementChanged):
    """From this entry on the agreement starts nothing, for good."""

    entry_kind = EventKind.AGREEMENT_ENDED


# -- sources -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceAdded(AuditEvent):
    """A source of items (a TAXII 2.1 collection) and the terms its items are ingested under.

    Its credentials are never logged: ``credentials`` is a salted commitment to them (the
    store keeps the salt and the secret), or None for a source read without any.
    """

    entry_kind = EventKind.SOURCE_ADDED
    source: str = field(metadata=ref("sources.id"))
    kind: str
    url: str
    collection: str | None
    auth: str
    credentials: str | None
    originator: str = field(metadata=ref("agencies.id"))
    interval: int
    grouping: str
    category: str
    region: str
    tlp: str
    mapping: JsonObject
    # A Garante upstream (kind ``garante``): its log's verifier key, the trust anchor.
    log_key: str | None = field(default=None, metadata=optional())
    # A Garante upstream: whether the node signs acknowledgements there by itself, and the
    # public key (base64 of its 32 raw Ed25519 bytes) they verify with, so that the log says
    # which key speaks for the agency upstream. The private key is never logged. Entries
    # written before these fields, and those of other kinds, lack both (None).
    acknowledges: bool | None = field(default=None, metadata=optional())
    ack_key: str | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class _SourceChanged(AuditEvent):
    source: str = field(metadata=ref("sources.id"))
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SourcePaused(_SourceChanged):
    """From this entry on the source is not pulled on its schedule, until it is resumed."""

    entry_kind = EventKind.SOURCE_PAUSED


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceResumed(_SourceChanged):
    entry_kind = EventKind.SOURCE_RESUMED


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceRemoved(_SourceChanged):
    """From this entry on the source is never pulled again; its items and their provenance
    stay."""

    entry_kind = EventKind.SOURCE_REMOVED


@dataclass(frozen=True, kw_only=True, slots=True)
class _Ingest(AuditEvent):
    """One upstream version taken from a source: where it came from, and a commitment to the
    content it became (salted as an item's is: ``service.items.content_commitment``)."""

    source: str = field(metadata=ref("sources.id"))
    upstream_id: str = field(metadata=ref("source_ingests.upstream_id"))
    upstream_version: str = field(metadata=ref("source_ingests.upstream_version"))
    content_commitment: str
    item: str = field(metadata=ref("items.id"))


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemIngested(_Ingest):
    """An upstream version that became the item ``item`` (its ``item.added`` entry comes
    just before, in the same transaction)."""

    entry_kind = EventKind.ITEM_INGESTED
    # From a Garante upstream: what the item was released to this node under (the upstream's
    # log origin and release entry, the release request, its purpose, the undertaking and its
    # statement, the TLP), read from the verified delivery.
    terms: JsonObject | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class UpstreamVersionSeen(_Ingest):
    """An upstream version of what became the item ``item``, recorded (its content kept in the
    store, committed to here) and not applied: a version older than the item's current one (a
    page read out of order). Logs written before items had versions also hold later versions
    as this entry."""

    entry_kind = EventKind.UPSTREAM_VERSION_SEEN


# -- item versions and upstream revocations --------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemRevised(_Ingest):
    """A later upstream version became the item's version ``version``: its content (committed
    to, salted), TLP and review reasons are the item's from this entry on. ``kept`` are the
    standing releases of the item decided again at this version and still released (their
    partners get the new versions of the objects); the ones now held follow as
    ``release.withheld`` entries, the ones now denied as ``release.recalled`` entries, in the
    same transaction. ``category`` and ``region``: what the source's mapping gives the new
    version, logged only when it moves the item to another one (every decision from this entry
    on is made under it)."""

    entry_kind = EventKind.ITEM_REVISED
    version: int
    tlp: str
    review: tuple[str, ...] = ()
    kept: tuple[int, ...] = ()
    category: str | None = field(default=None, metadata=optional())
    region: str | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemRevoked(_Ingest):
    """The upstream revoked what became ``item`` (STIX ``revoked``, a MISP event's deletion;
    the revoking version committed to as any other):
    every standing release of it is recalled (``release.recalled`` entries follow in the same
    transaction, with ``reason``), and releases of it are denied from here on."""

    entry_kind = EventKind.ITEM_REVOKED
    reason: str


# -- client certificates of partners -------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class AgencyCertificateAdded(AuditEvent):
    """A client certificate, by the SHA-256 of its DER encoding (hex), that authenticates as
    ``agency``'s partner principal once nginx has verified it against the partner CA."""

    entry_kind = EventKind.AGENCY_CERTIFICATE_ADDED
    agency: str = field(metadata=ref("agencies.id"))
    fingerprint: str = field(metadata=ref("agency_certificates.fingerprint"))
    label: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AgencyCertificateRemoved(AuditEvent):
    """A certificate no longer authenticates (rotated out, or withdrawn); never added again."""

    entry_kind = EventKind.AGENCY_CERTIFICATE_REMOVED
    agency: str = field(metadata=ref("agencies.id"))
    fingerprint: str = field(metadata=ref("agency_certificates.fingerprint"))


# -- passkeys of authorities (WebAuthn) -----------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthorityPasskeyRegistered(AuditEvent):
    """A passkey or security key an authority may sign orders with from now on.

    ``statement`` (``passkeys.passkey_statement``) names the credential, its COSE public key and
    its relying party; like a key change it is signed by the key the authority had: its Ed25519
    key (``signature``) or a passkey it registered before (``assertion``); a first key of an
    authority with none needs neither. ``attestation`` is what the authenticator returned when
    it created the credential, so an inspector checks the key came from it."""

    entry_kind = EventKind.AUTHORITY_PASSKEY_REGISTERED
    authority: str = field(metadata=ref("authorities.id"))
    credential_id: str = field(metadata=ref("authority_passkeys.credential_id"))
    statement: JsonObject
    attestation: Attestation
    sign_count: int
    signature: str | None
    assertion: Assertion | None


# -- partners writing back -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseAcknowledged(AuditEvent):
    """A partner's signed acknowledgement that it received a release (``Acknowledgement.
    statement``, of "delivery"), and its signature (base64) by the partner's registered key."""

    entry_kind = EventKind.RELEASE_ACKNOWLEDGED
    acknowledgement: str = field(metadata=ref("acknowledgements.id"))
    statement: JsonObject = field(metadata=ref(release="release_requests.id", agency="agencies.id"))
    signature: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RecallAcknowledged(AuditEvent):
    """A partner's signed acknowledgement that it applied a recall (of "recall")."""

    entry_kind = EventKind.RECALL_ACKNOWLEDGED
    acknowledgement: str = field(metadata=ref("acknowledgements.id"))
    statement: JsonObject = field(metadata=ref(release="release_requests.id", agency="agencies.id"))
    signature: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsentRequested(AuditEvent):
    """A partner's signed request (``ConsentRequest.statement``) to share onward, with a
    recipient and for a purpose, what one of its releases gave it; its signature (base64) by
    the partner's registered key."""

    entry_kind = EventKind.CONSENT_REQUESTED
    consent: str = field(metadata=ref("consent_requests.id"))
    statement: JsonObject = field(metadata=ref(release="release_requests.id", agency="agencies.id"))
    signature: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsentGranted(AuditEvent):
    """A consent request granted: by a liaison (the entry's actor), or by ``rule`` when a rule
    answered it without one; ``reason`` says why."""

    entry_kind = EventKind.CONSENT_GRANTED
    consent: str = field(metadata=ref("consent_requests.id"))
    # The partner's signed statement answered: the node checks it is the one it sent.
    statement: JsonObject
    reason: str
    rule: str | None = field(default=None, metadata=optional())


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsentRefused(AuditEvent):
    """A consent request refused by a liaison (the entry's actor); ``reason`` says why."""

    entry_kind = EventKind.CONSENT_REFUSED
    consent: str = field(metadata=ref("consent_requests.id"))
    statement: JsonObject
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsentReceived(AuditEvent):
    """On a node: the answer (``granted`` or ``refused``) to a consent it asked of the Garante
    upstream ``source`` to share ``item`` onward with ``recipient`` for ``purpose``, taken
    with the upstream's log entry of the answer (``upstream_entry``, at ``upstream_index``)
    proven included in the upstream checkpoint ``checkpoint``, signed by the source's log key.
    ``statement`` is what the node signed and sent."""

    entry_kind = EventKind.CONSENT_RECEIVED
    consent: str = field(metadata=ref("consents_asked.id"))
    source: str = field(metadata=ref("sources.id"))
    item: str = field(metadata=ref("items.id"))
    recipient: str = field(metadata=ref("agencies.id"))
    purpose: str
    answer: str
    statement: JsonObject
    upstream_index: int
    upstream_entry: str
    proof: tuple[str, ...]
    checkpoint: str


# -- witnesses of the log -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class WitnessAdded(AuditEvent):
    """A witness the operator trusts: from this entry on, its cosignatures (c2sp.org/
    tlog-cosignature) of the log's checkpoints are taken and served with them. ``key`` is its
    type 0x04 note verifier key, ``name`` the key name its cosignature lines carry."""

    entry_kind = EventKind.WITNESS_ADDED
    witness: str = field(metadata=ref("log_witnesses.id"))
    name: str
    key: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WitnessRemoved(AuditEvent):
    """From this entry on the witness's cosignatures are no longer taken; those already
    taken stay with their checkpoints, as a reader may still check them."""

    entry_kind = EventKind.WITNESS_REMOVED
    witness: str = field(metadata=ref("log_witnesses.id"))
    reason: str


EVENTS: dict[EventKind, type[AuditEvent]] = {
    cls.entry_kind: cls
    for cls in (
        AgencyRegistered,
        AgencyKeySet,
        AuthorityRegistered,
        AuthorityKeySet,
        AuthoritySuperiorSet,
        ItemAdded,
        UndertakingSigned,
        UndertakingRevoked,
        OrderIssued,
        OrderAmended,
        OrderLifted,
        ConditionDefined,
        ConditionChanged,
        EventRecorded,
        ReleaseRequested,
        ReleaseDecided,
        ReleaseRedecided,
        ReleaseWithheld,
        ReleaseAvailable,
        ReleaseMarked,
        ReleaseDelivered,
        ReleaseRecalled,
        SettingsChanged,
        OutcomeReported,
        TokenCreated,
        TokenRevoked,
        AgreementMade,
        AgreementAmended,
        AgreementSuspended,
        AgreementResumed,
        AgreementEnded,
        SourceAdded,
        SourcePaused,
        SourceResumed,
        SourceRemoved,
        ItemIngested,
        UpstreamVersionSeen,
        ItemRevised,
        ItemRevoked,
        AgencyCertificateAdded,
        AgencyCertificateRemoved,
        AuthorityPasskeyRegistered,
        ReleaseAcknowledged,
        RecallAcknowledged,
        ConsentRequested,
        ConsentGranted,
        ConsentRefused,
        ConsentReceived,
        WitnessAdded,
        WitnessRemoved,
    )
}
"""The class of each kind of entry."""


# -- as JSON -------------------------------------------------------------------------------
#
# ``data()`` runs for every entry, two per release request, so each type's conversion is chosen
# once and kept: plain JSON values pass through, anything else goes by a table of its type.

_PLAIN = frozenset({str, int, bool, float, type(None)})
_Convert = Callable[[Any], Json]
_CONVERT: dict[type, _Convert] = {}
_NAMES: dict[type, tuple[str, ...]] = {}


_OPTIONAL: dict[type, frozenset[str]] = {}


def _optional(cls: Any) -> frozenset[str]:
    """The names of a dataclass's fields logged only when they have a value."""
    names = _OPTIONAL.get(cls)
    if names is None:
        names = _OPTIONAL[cls] = frozenset(f.name for f in fields(cls) if f.metadata.get(OPTIONAL))
    return names


def _names(cls: Any) -> tuple[str, ...]:
    """The field names of a dataclass."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _json(value: Any) -> Json:
    """A field's value as the JSON the entry holds."""
    kind = type(value)
    if kind in _PLAIN:
        return cast(Json, value)
    convert = _CONVERT.get(kind)
    if convert is None:
        convert = _CONVERT[kind] = _converter(kind)
    return convert(value)


def _object(value: Any) -> dict[str, Json]:
    cls = type(value)
    layout = _LAYOUT.get(cls)
    if layout is None:
        layout = _LAYOUT[cls] = (_names(cls), _optional(cls))
    names, optional = layout
    plain = _PLAIN
    out: dict[str, Json] = {}
    for name in names:
        item = getattr(value, name)
        if item is None and name in optional:
            continue
        out[name] = item if type(item) in plain else _json(item)
    return out


_LAYOUT: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}
"""Each dataclass's field names and optional ones, looked up once per ``_object`` call."""


def _mapping(value: Mapping[Any, Any]) -> dict[str, Json]:
    """A mapping's items, keys as text; plain values are taken as they are, without a call."""
    plain = _PLAIN
    return {
        key if type(key) is str else str(key): item if type(item) in plain else _json(item)
        for key, item in value.items()
    }


def _sequence(value: Sequence[Any]) -> list[Json]:
    """A list's or tuple's items; plain values are taken as they are, without a call."""
    plain = _PLAIN
    return [item if type(item) in plain else _json(item) for item in value]


def _converter(kind: type) -> _Convert:
    """How a value of ``kind`` is logged.

    As plain ``str``, ``int``, ``float`` and ``bool``, never subclasses: ``canonical`` takes its
    fast path only for those, and an enum's value is what the log has always held.
    """
    if issubclass(kind, Enum):
        return lambda value: _json(value._value_)  # ``value`` is a slower property
    for plain in (bool, int, float, str):
        if issubclass(kind, plain):
            return plain
    if issubclass(kind, datetime):
        return iso
    if issubclass(kind, Mapping):
        return _mapping
    if issubclass(kind, list | tuple):
        return _sequence
    if is_dataclass(kind):
        return _object
    raise TypeError(f"an audit event cannot log a {kind.__name__}")


# -- as plain JSON, for the audit append ---------------------------------------------------
#
# ``plain_data()`` runs on every append. Each class gets a function, generated once from its
# fields (as ``dataclasses`` generates ``__init__``), that reads each field by attribute, keeps
# a value that is exactly str, int, bool or None, keeps an instant in UTC as it is (the
# writer, ``canonical_plain``, writes it as ``iso`` does, about ten times quicker), writes
# any other instant with ``iso``, takes a plain mapping or array as it is, and converts
# anything else as ``data()`` does; whatever is not plain then (a float, a subclass, a key
# that is not text) makes it give None, and the append takes the reference path,
# ``canonical(data())``.

_NOT_PLAIN = object()
_PlainBuild = Callable[[Any], "dict[str, Json | datetime] | None"]
_PLAIN_BUILDERS: dict[type, _PlainBuild] = {}


def _plain_value(value: Any) -> Any:
    """A field's value that is not a JSON leaf, as plain JSON, or ``_NOT_PLAIN``."""
    kind = type(value)
    if kind is datetime:
        return iso(value)
    if kind is dict or kind is tuple or kind is list:
        # Most are flat (a signed statement): their items' types checked in one C loop.
        items = value.values() if kind is dict else value
        if PLAIN_LEAVES.issuperset(map(type, items)) or plain_shape(value):
            return value
        if kind is tuple and value and _TEXT_RECORDS.issuperset(map(type, value)):
            return _text_records(value)
    converted = _json(value)
    return converted if plain_shape(converted) else _NOT_PLAIN


_KEPT_RECORDS: dict[tuple[Any, ...], list[Json]] = {}


def _text_records(value: tuple[Any, ...]) -> Any:
    """A tuple of ``_TEXT_RECORDS`` as plain JSON, kept by value: the same few tuples recur
    entry after entry (a fan-out logs one item's delivered objects, and the same cited rules,
    for each of its partners), and converting them again was most of such an entry's cost.

    Kept only where every field is exactly ``str``: records of these frozen classes compare
    equal only to records of the same class with equal fields, and a ``str`` equals only an
    equal ``str``, so an equal tuple is logged as the same JSON. The list is shared by the
    entries that log it and never changed (``canonical_plain`` only reads it)."""
    kept = _KEPT_RECORDS.get(value)
    if kept is not None:
        return kept
    converted = _sequence(value)
    if not all(
        type(v) is str for record in converted for v in cast(dict[str, Any], record).values()
    ):
        return converted if plain_shape(converted) else _NOT_PLAIN
    if len(_KEPT_RECORDS) >= 4096:
        _KEPT_RECORDS.clear()
    _KEPT_RECORDS[value] = converted
    return converted


def plain_builder(cls: type[AuditEvent]) -> _PlainBuild:
    """The function giving ``plain_data()`` for instances of exactly ``cls``, made once: for
    the audit append, which keeps it per class and calls it without ``plain_data``'s look-up.
    """
    build = _PLAIN_BUILDERS.get(cls)
    if build is None:
        build = _PLAIN_BUILDERS[cls] = _plain_builder(cls)
    return build


def _plain_builder(cls: type) -> _PlainBuild:
    """The function giving ``plain_data()`` for instances of ``cls``.

    Each field's type is read once; a JSON leaf, an instant in UTC, and a mapping whose
    values are all leaves (a signed statement, the commonest value that is not a leaf) are
    taken as they are in the function itself, with no call: ``_plain_value`` takes the same
    mapping as it is too, after the same check."""
    optional = _optional(cls)
    lines = ["def build(self):"]
    items = []
    for number, name in enumerate(_names(cls)):
        local = f"v{number}"
        lines += [
            f"    {local} = self.{name}",
            f"    t = type({local})",
            f"    if t not in leaves and (t is not instant or {local}.tzinfo is not utc) and (",
            f"        t is not mapping or not issuperset(map(type, {local}.values()))",
            "    ):",
            f"        {local} = convert({local})",
            f"        if {local} is not_plain:",
            "            return None",
        ]
        if name not in optional:
            items.append(f"{name!r}: {local}")
    lines.append(f"    out = {{{', '.join(items)}}}")
    for number, name in enumerate(_names(cls)):
        if name in optional:
            lines += [f"    if v{number} is not None:", f"        out[{name!r}] = v{number}"]
    lines.append("    return out")
    scope: dict[str, Any] = {
        "leaves": PLAIN_LEAVES,
        "convert": _plain_value,
        "not_plain": _NOT_PLAIN,
        "instant": datetime,
        "utc": UTC,
        "mapping": dict,
        "issuperset": PLAIN_LEAVES.issuperset,
    }
    exec("\n".join(lines), scope)  # the source is made here, from the field names alone
    return cast(_PlainBuild, scope["build"])


_TEXT_RECORDS: frozenset[type] = frozenset(cast(list[type], [DeliveredObject, RuleCited]))
"""Frozen records of text fields only, logged in tuples many entries repeat (``_text_records``)."""
