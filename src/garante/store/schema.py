"""The relational schema, as SQLAlchemy models.

Only portable SQL: every column type and constraint here runs unchanged on SQLite and
PostgreSQL, so the PostgreSQL store needs no schema change. Lists are JSON columns; instants are
timezone-aware UTC (``UTCDateTime``), because SQLite forgets the zone and signed statements
must read back exactly as they were signed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware instants as UTC and returns them aware, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        zone = value.tzinfo
        if zone is None:
            raise ValueError("naive datetime given to the store; Garante stores UTC instants")
        if zone is not UTC:  # the service's own instants are UTC already: the common case
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Whole numbers (ids, log indexes, counts) are 64-bit everywhere: BIGINT on PostgreSQL, whose
# INTEGER is 32-bit; INTEGER on SQLite, which is already 64-bit and whose rowid alias (what
# autoincrement needs) is only ever spelt "INTEGER PRIMARY KEY".
Int64 = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012
        datetime: UTCDateTime(),
        list[str]: JSON,
        int: Int64,
    }


class SettingRow(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class AgencyRow(Base):
    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    domestic: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_undertaking: Mapped[bool] = mapped_column(Boolean, default=False)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    # The authority whose recovery statement installed ``public_key``; None when the previous
    # key signed it in, or it was the first.
    key_recovered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AuthorityRow(Base):
    __tablename__ = "authorities"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AuthoritySuperiorRow(Base):
    """``superior_id`` amends and lifts the orders ``subordinate_id`` issues (the operator's
    configuration, ``authority.superior-set``)."""

    __tablename__ = "authority_superiors"
    superior_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), primary_key=True)
    subordinate_id: Mapped[str] = mapped_column(
        ForeignKey("authorities.id"), primary_key=True, index=True
    )
    set_at: Mapped[datetime]


class ItemRow(Base):
    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(16))
    originator: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    releasable_to: Mapped[list[str]]
    bundle: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    commitment_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    added_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    # Nothing is released before ``embargo_until``; nothing more is delivered from ``expires_at``.
    embargo_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Why an item ingested from a source is held for review; None (or empty) when it is not.
    review: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=None)
    # -- versions: the current version's number (1 when added; a source's later upstream
    # version makes the next), and the revocation that ended the item, if its upstream revoked it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class UndertakingRow(Base):
    __tablename__ = "undertakings"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    permits: Mapped[list[str]]
    prohibits: Mapped[list[str]]
    protections: Mapped[list[str]]
    categories: Mapped[list[str]]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Signed with a key a recovery installed (``agencies.key_recovered_by`` when recorded).
    key_recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


# -- standing agreements -------------------------------------------------------------------


class AgreementRow(Base):
    """A partner's standing request, at its latest version (``domain.agreement.Agreement``)."""

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    purposes: Mapped[list[str]]
    categories: Mapped[list[str]]
    regions: Mapped[list[str]]
    tlp_ceiling: Mapped[str] = mapped_column(String(16))
    originators: Mapped[list[str]]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Int64)
    # The statement of the current version, and the partner's countersignature if it gave one.
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    made_by: Mapped[str] = mapped_column(String(128))
    made_at: Mapped[datetime]
    amended_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    # Why it was last amended, suspended, resumed or ended.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrderRow(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sequence: Mapped[int] = mapped_column(Int64, unique=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"))
    effect: Mapped[str] = mapped_column(String(16))
    scope: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    requires: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    exempts: Mapped[list[str]]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    while_condition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Int64)
    issued_at: Mapped[datetime]
    amended_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrderVersionRow(Base):
    """Every signed version of an order, so an amendment never erases what was ordered before."""

    __tablename__ = "order_versions"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Int64, primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    signed_by: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    recorded_at: Mapped[datetime]
    # A version signed with a passkey instead (issue 22): the assertion, as canonical JSON of
    # ``domain.passkeys.Assertion``; None for one signed with the Ed25519 key, or unsigned.
    assertion: Mapped[str | None] = mapped_column(Text, nullable=True)


class ConditionRow(Base):
    __tablename__ = "conditions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    manual_active: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime]


class EventRow(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]
    # The reporting agency and what it signed (``garante.event/v1``); none on events recorded
    # before events named their agency (revision 0006).
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (Index("ix_events_kind_region_time", "kind", "region", "occurred_at"),)


class RequestRow(Base):
    __tablename__ = "release_requests"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    undertaking_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime]
    # The standing agreement that started the request; None for one made by hand.
    agreement_id: Mapped[str | None] = mapped_column(
        ForeignKey("agreements.id"), nullable=True, default=None
    )

    __table_args__ = (
        Index("ix_release_requests_recipient", "recipient_id", "outcome"),
        Index("ix_release_requests_item", "item_id", "recipient_id", "purpose"),
    )


class DecisionRow(Base):
    """Every decision and re-decision, with what it read, so that it can be replayed."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[str] = mapped_column(Text)
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    undertaking_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    state_version: Mapped[int] = mapped_column(Int64)
    trigger: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime]


class LedgerEntryRow(Base):
    """One audit entry: the canonical JSON of one event, at a dense index from 0."""

    __tablename__ = "ledger_entries"
    idx: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]


class LedgerSubtreeRow(Base):
    """Hashes of complete subtrees (level, index), so proofs read O(log n) rows.

    Each read of one, by ``(level, idx)`` (a proof's nodes, an entry's level-0 copy of its leaf
    hash in a full verification), is answered by one index: on SQLite the table is clustered on
    its primary key (``WITHOUT ROWID``), on PostgreSQL an index on it includes the hash.
    """

    __tablename__ = "ledger_subtrees"
    __table_args__ = (
        Index("ix_ledger_subtrees_covering", "level", "idx", postgresql_include=["hash"]).ddl_if(
            dialect="postgresql"
        ),
        {"sqlite_with_rowid": False},
    )
    level: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


# -- integration ------------------------------------------------------------------------------


class LedgerIntegrationRow(Base):
    """How far the tree is integrated: the subtrees of entries ``[0, size)`` are stored.

    One row (``id`` 1). Entries past it are sequenced and committed but have no nodes yet; the
    integrator (``service.integrator``) advances it, a batch per transaction."""

    __tablename__ = "ledger_integration"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(Int64)


class LedgerCheckpointRow(Base):
    """A signed checkpoint the log published, with the witnesses' cosignature lines."""

    __tablename__ = "ledger_checkpoints"
    size: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    cosignatures: Mapped[list[str]]
    published_at: Mapped[datetime]


class LogWitnessRow(Base):
    """A witness the log's operator trusts: its cosignatures (c2sp.org/tlog-cosignature) of the
    log's checkpoints are taken and served with them. ``verifier_key`` is its type 0x04 note
    verifier key; a removed witness keeps its row (``removed_at``), as its entries name it."""

    __tablename__ = "log_witnesses"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    verifier_key: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class TokenRow(Base):
    """An API token: only its SHA-256 is stored; the secret is shown once, at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    authority_id: Mapped[str | None] = mapped_column(ForeignKey("authorities.id"), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class FeedReleaseRow(Base):
    """A release as a partner's feed sees it: available, withheld, or recalled; delivered when."""

    __tablename__ = "feed_releases"
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"), primary_key=True)
    # Not indexed: a fan-out would rewrite a page of it per partner; a partner's releases are
    # found through ``ix_release_requests_recipient`` (revision 0027).
    partner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    trace_token: Mapped[str] = mapped_column(String(64), unique=True)
    undertaking_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    available_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    recalled_at: Mapped[datetime | None]
    # By when the partner must acknowledge the recall (issue 21); past it, it is held.
    recall_ack_by: Mapped[datetime | None]

    # Recalled releases only (rare): found without reading every release (revision 0027).
    __table_args__ = (
        Index(
            "ix_feed_releases_recalled",
            "recalled_at",
            "request_id",
            sqlite_where=text("recalled_at IS NOT NULL"),
            postgresql_where=text("recalled_at IS NOT NULL"),
        ),
        Index(
            "ix_feed_releases_recall_due",
            "recall_ack_by",
            "request_id",
            sqlite_where=text("recall_ack_by IS NOT NULL"),
            postgresql_where=text("recall_ack_by IS NOT NULL"),
        ),
    )


class FeedObjectRow(Base):
    """One STIX object version in one partner's collection, as canonical JSON to serve as is."""

    __tablename__ = "feed_objects"
    seq: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_requests.id"), nullable=True, index=True
    )
    object_id: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(40))
    date_added: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    visible: Mapped[bool] = mapped_column(Boolean)
    is_latest: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_feed_objects_page", "partner_id", "visible", "is_latest", "date_added", "seq"),
        # Led by the object: a fan-out's keys for all its partners share pages (revision 0027).
        Index("ix_feed_objects_object", "object_id", "partner_id", "version", unique=True),
    )


class OutcomeRow(Base):
    """What was done with a release, and whether it kept the undertaking."""

    __tablename__ = "outcomes"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    casualties: Mapped[int] = mapped_column(Int64, default=0)
    persons: Mapped[int] = mapped_column(Int64, default=0)
    quantities: Mapped[dict[str, float]] = mapped_column(JSON)
    place: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    undertaking_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    breach: Mapped[bool] = mapped_column(Boolean)
    breach_reasons: Mapped[list[str]]
    order_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    reported_by: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime]


# -- sources ---------------------------------------------------------------------------------


class SourceRow(Base):
    """Where items come from (a TAXII 2.1 collection), the terms they are ingested under, and
    how far the last pull got.

    ``secret`` (a password or bearer token) is kept here and nowhere else: never logged, never
    shown; the log holds a commitment to it salted with ``credentials_salt``. The pull state
    (``position_*``, ``last_*``) is how far the pulls got, not a change of what is shared: it
    is not logged.
    """

    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    collection: Mapped[str | None] = mapped_column(String(200), nullable=True)
    auth: Mapped[str] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    credentials_salt: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    originator: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    interval: Mapped[int] = mapped_column(Int64)
    grouping: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    added_by: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime]
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # How far the pulls got: the upstream's last ``date_added`` taken in full (the next pull's
    # ``added_after``) and the ``next`` token of the page after it, if the upstream gave one.
    # A MISP feed: the ``timestamp`` of the last event taken, and no next. A folder: how many
    # files were taken, and (in ``position_next``) each one's name and SHA-256, as JSON.
    position_added: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    position_next: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # -- srcsec: a pull asked for through the API, which the server's schedule does next --
    pull_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    # -- a Garante upstream (kind ``garante``) ---------------------------------------------
    # The upstream log's verifier key (logged with the source), and the last upstream
    # checkpoint a pull verified: ``{"size", "root_hash", "note", "cosignature"}`` (pull
    # state: each later checkpoint must be consistent with it).
    log_key: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    upstream_checkpoint: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, default=None
    )
    # The node agency's Ed25519 private key (PEM) its acknowledgements upstream are signed
    # with: kept here only, as ``secret`` is (never logged, never shown).
    signing_key: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class UpstreamAckRow(Base):
    """An acknowledgement a partner node signed for its upstream (of a delivery, or of a
    recall it applied), kept until the upstream accepts it: sent again at each pull until
    then, always the same signed statement under the same id, so a retry after a lost answer
    is accepted once. One of each kind per upstream release. Pull state, not logged."""

    __tablename__ = "upstream_acks"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[int] = mapped_column(Int64)  # the upstream's release request
    agency_id: Mapped[str] = mapped_column(String(128))  # this node's agency, upstream
    acknowledged_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(128))
    queued_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Int64, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)

    __table_args__ = (
        Index("ix_upstream_acks_release", "source_id", "request_id", "kind", unique=True),
    )


class SourceIngestRow(Base):
    """One upstream version taken from a source: the item it became (``status`` ``item``), a
    later version that became the item's next version (``revised``, ``item_version`` its
    number, its opening and TLP kept here: the item's history), its revocation (``revoked``),
    or a version older than the item's current one, recorded and not applied
    (``version-seen``). One row per (source, upstream id, upstream version): the same version
    pulled twice is taken once."""

    __tablename__ = "source_ingests"
    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    upstream_id: Mapped[str] = mapped_column(String(200))
    upstream_version: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    content_commitment: Mapped[str] = mapped_column(String(64))
    # A recorded later version's own opening (salt, title, canonical bundle); None for a
    # version that became an item, which holds them.
    commitment_salt: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    bundle: Mapped[str | None] = mapped_column(Text, nullable=True)
    # -- versions: the item version a ``revised`` row made, and its TLP.
    item_version: Mapped[int | None] = mapped_column(nullable=True, default=None)
    tlp: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    # From a Garante upstream: the terms the item was released under (``ItemIngested.terms``).
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    ingested_by: Mapped[str] = mapped_column(String(128))
    ingested_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "ix_source_ingests_upstream",
            "source_id",
            "upstream_id",
            "upstream_version",
            unique=True,
        ),
    )


# -- client certificates of partners ---------------------------------------------------------


class AgencyCertificateRow(Base):
    """A client certificate that authenticates as an agency's partner principal, by the SHA-256
    of its DER encoding (hex). A removed one keeps its row (``removed_at``), so a fingerprint
    is never registered twice."""

    __tablename__ = "agency_certificates"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


class AuthorityPasskeyRow(Base):
    """A WebAuthn credential (passkey or security key) an authority signs orders with: its id
    and COSE public key (base64url), the relying party it was created for, and the signature
    counter its latest assertion reported."""

    __tablename__ = "authority_passkeys"
    credential_id: Mapped[str] = mapped_column(String(1400), primary_key=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    public_key: Mapped[str] = mapped_column(Text)
    rp_id: Mapped[str] = mapped_column(String(253))
    origin: Mapped[str] = mapped_column(String(300))
    sign_count: Mapped[int] = mapped_column(Int64)
    created_at: Mapped[datetime]


# -- partners writing back -------------------------------------------------------------------


class AcknowledgementRow(Base):
    """A partner's signed acknowledgement of a delivery or of a recall, by the STIX id of the
    object that carried it; one of each kind per release."""

    __tablename__ = "acknowledgements"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The log entry that recorded its receipt (``release.acknowledged`` /
    # ``recall.acknowledged``): the order received, which ``received_at`` alone does not give
    # (statements taken in one transaction share its instant).
    received_index: Mapped[int] = mapped_column(Int64)

    __table_args__ = (Index("ix_acknowledgements_release", "request_id", "kind", unique=True),)


class ConsentRequestRow(Base):
    """A partner's signed request to share onward what one of its releases gave it, by the
    partner's own id for it, and the answer given here (``status`` ``pending``, ``granted`` or
    ``refused``; who answered, why, and the rule that answered when no liaison did)."""

    __tablename__ = "consent_requests"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The log entry that recorded its receipt (``consent.requested``): the order received.
    received_index: Mapped[int] = mapped_column(Int64)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    answered_by: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True, default=None)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # The log entry of the answer (``consent.granted`` / ``consent.refused``): the partner
    # takes the answer only with that entry proven (its receipt).
    answer_index: Mapped[int | None] = mapped_column(Int64, nullable=True, default=None)


class ConsentAskedRow(Base):
    """A consent this node asked of the Garante upstream an item came from, to share the item
    onward with ``recipient`` for ``purpose``: the signed statement sent (``status`` ``asked``),
    and the answer once taken, proven by its upstream log entry (``granted`` or ``refused``,
    logged here as ``consent.received``). Asking is not logged here (the upstream logs it);
    only the answer changes what this node may release."""

    __tablename__ = "consents_asked"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    upstream_origin: Mapped[str | None] = mapped_column(String(200), nullable=True)
    upstream_request: Mapped[int] = mapped_column(Int64)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(128))
    asked_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="asked")
    answer_index: Mapped[int | None] = mapped_column(Int64, nullable=True, default=None)
    received_at: Mapped[datetime | None] = mapped_column(nullable=True, default=None)


class TaxiiStatusRow(Base):
    """The status resource (TAXII 2.1, 4.3) of one write to a partner's write collection, kept
    so any server answers for it. Not a state change: nothing logged, nothing replayed."""

    __tablename__ = "taxii_statuses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    request_timestamp: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
