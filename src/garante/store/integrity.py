"""The store against its schema and its log: what ``garante db check`` reads in SQL.

DESIGN.md promises that an entry and its state change commit in one transaction: no state
change without its entry, no entry without its state change. The service keeps that promise as
it writes; this module checks, after the fact, that the stored data still does, on a store
nobody needs to trust (restored from a backup, migrated, or edited by hand). It only reads,
and it never migrates: a store at an old revision is reported as such, not silently upgraded.
``service/dbcheck.py`` runs these checks with the log's own verification in one snapshot.

Most state rows hold no ledger index. What ties a row to its entry is the id the entry's JSON
carries (``data.agency``, ``data.request``, an order statement's ``id`` and ``version``...).
Which field carries which column is declared once, on the event classes
(``domain/events.py``, ``ref``); each link below names the row's key columns and the events
that record them, and the paths inside the JSON are derived from those declarations. A link
compares a key computed from rows with a key extracted from entries, in both directions, and,
where each change is logged exactly once, compares the counts too. The JSON is read in SQL
(``json_extract`` on SQLite, ``jsonb_extract_path_text`` on PostgreSQL) so a large log is never
loaded into memory. The rows that do hold one are checked to hold that entry's index:
partners' statements keeping the entry that recorded their receipt (``received_index``), and
consent requests answered here keeping the entry of the answer (``answer_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

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
    EventKind,
    EventRecorded,
    ItemAdded,
    ItemIngested,
    ItemRevised,
    ItemRevoked,
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
    refs,
)
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.store.database import alembic_config, reader
from garante.store.schema import (
    AcknowledgementRow,
    AgencyCertificateRow,
    AgencyRow,
    AgreementRow,
    AuthorityPasskeyRow,
    AuthorityRow,
    AuthoritySuperiorRow,
    ConditionRow,
    ConsentAskedRow,
    ConsentRequestRow,
    DecisionRow,
    EventRow,
    FeedReleaseRow,
    ItemRow,
    LedgerEntryRow,
    LogWitnessRow,
    OrderRow,
    OrderVersionRow,
    OutcomeRow,
    RequestRow,
    SourceIngestRow,
    SourceRow,
    TokenRow,
    UndertakingRow,
)

# At most EXAMPLES findings are listed per link, of at most SCAN looked for: a store broken
# everywhere is reported in a page, not in a million lines.
EXAMPLES = 20
SCAN = 1_000
_SEP = "\x1f"  # joins the parts of a composite key; never appears in an id

# What no link can reach, and why. Printed with every report, so that "OK" is never read as
# more than it is.
MUTABLE_COLUMNS = (
    "current values of mutable columns (a request's outcome, a condition's active flag, an "
    "order's fields after an amendment): rows are matched to their entries by id, and a "
    "change is seen only where it leaves a marker (revoked_at, lifted_at, recalled_at, a new "
    "order version, a public key); a value edited in place is seen only with --log-key, "
    "which replays the log and compares every row with it"
)

SETTINGS = (
    "settings: the pinned clock, the vocabulary and the log's verifier key are compared only "
    "with --log-key (the clock with its settings.changed entries, the vocabulary with the "
    "default no entry changes, the key with the one given)"
)

REPLAYED = (MUTABLE_COLUMNS, SETTINGS)
"""What ``--log-key``'s replay checks, so a check with it no longer lists them as not checked."""

NOT_LINKED: tuple[str, ...] = (
    SETTINGS,
    "feed_objects: the STIX copies in partners' feeds are derived from a release; the log "
    "records the release (and its trace token), not each object, so they are tied to the log "
    "only through feed_releases",
    MUTABLE_COLUMNS,
    "feed_releases.delivered_at: a release whose objects the partner already held is marked "
    "delivered without a release.delivered entry, so only the other direction is checked",
    "sources' pull state (position, last attempt, success and error, a pull asked for): how far "
    "pulls got, not a change of what is shared, so it is not logged; each item a pull made is",
    "taxii_statuses: what became of each write to a partner's TAXII write collection, kept to "
    "answer the partner; each acknowledgement or outcome a write recorded is logged and "
    "checked, its failures changed nothing",
)


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SchemaCheck:
    """Which Alembic revision the store is at, and the newest this Garante knows."""

    revision: str | None
    head: str

    @property
    def ok(self) -> bool:
        return self.revision == self.head

    @property
    def message(self) -> str:
        if self.ok:
            return f"at revision {self.head}, the newest"
        if self.revision is None:
            return f"no schema yet (the newest revision is {self.head})"
        return f"at revision {self.revision}; the newest is {self.head}"


@dataclass(frozen=True, kw_only=True)
class Orphan:
    """A state row without its entry, an entry without its row, or counts that differ."""

    side: Literal["state", "entry", "count"]
    link: str
    key: str | None
    index: int | None
    message: str


@dataclass(kw_only=True)
class LinkCheck:
    """State rows against entries: which links were checked and what did not hold."""

    links: list[str] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    # link -> findings found but not listed (counted up to SCAN per query)
    truncated: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.orphans and self.error is None


# -- the checks ---------------------------------------------------------------------------


def schema_revision(engine: Engine) -> str | None:
    """The store's Alembic revision, or None for a database Garante never migrated."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def head_revision(engine: Engine) -> str:
    """The newest revision this Garante's migrations reach."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None  # the package always ships its migrations
    return head


def check_schema(engine: Engine) -> SchemaCheck:
    return SchemaCheck(revision=schema_revision(reader(engine)), head=head_revision(engine))


# -- state against log --------------------------------------------------------------------

Field = Callable[..., ColumnElement[str]]
Mapped = InstrumentedAttribute[Any]


@dataclass(frozen=True, kw_only=True)
class _Link:
    """One kind of state change and the entries that record it.

    ``to_entry``: every row (matching ``where``) has an entry. ``to_state``: every entry (of
    ``kinds``, matching ``entry_where``) has a row. ``counted``: each row is logged exactly
    once, so a key must have as many entries as rows (a duplicated entry is an entry with no
    state change of its own). ``fields`` are the event fields the entry side reads, as
    (class, field, member inside it or None), so a test can hold them against the classes.
    """

    name: str
    table: str
    key: ColumnElement[str]
    where: ColumnElement[bool]
    kinds: tuple[EventKind, ...]
    entry_key: ColumnElement[str]
    entry_where: ColumnElement[bool]
    fields: tuple[tuple[type[AuditEvent], str, str | None], ...]
    to_entry: bool = True
    to_state: bool = True
    counted: bool = True


def _entry_field(dialect: str) -> Field:
    """A text value inside each entry's JSON, in this dialect's SQL (NULL when absent)."""
    if dialect == "postgresql":

        def postgresql(*path: str) -> ColumnElement[str]:
            document = cast(func.convert_from(LedgerEntryRow.entry, "UTF8"), JSONB)
            return func.jsonb_extract_path_text(
                document, *[literal(p, Text) for p in path], type_=Text
            )

        return postgresql

    def sqlite(*path: str) -> ColumnElement[str]:
        document = cast(LedgerEntryRow.entry, Text)  # BLOB to text, never read as JSONB
        return cast(func.json_extract(document, "$." + ".".join(path)), Text)

    return sqlite


def _text(column: Any) -> ColumnElement[str]:
    return cast(column, String)


def _joined(*parts: Any) -> ColumnElement[str]:
    """A composite key as one text value (NULL if any part is), comparable across tables."""
    key = _text(parts[0])
    for part in parts[1:]:
        key = key + _SEP + _text(part)
    return key


class UnlinkedColumn(LookupError):
    """An event class declares no field for a column a link reads it for: a link and the
    classes disagree, which ``tests/store/test_integrity_links.py`` catches before a release."""


def event_field(event: type[AuditEvent], column: Mapped) -> tuple[str, str | None]:
    """The field of ``event`` (and the member inside it) that holds ``column``'s value.

    A field declares the columns it holds (``ref``). A foreign key holds the value of the
    column it references, so ``decisions.request_id`` is found as ``release_requests.id``.
    """
    stored = _column(column)
    wanted = [f"{stored.table.name}.{stored.name}"]
    wanted += [fk.target_fullname for fk in stored.foreign_keys]
    for target in wanted:
        found = [(f.name, r.member) for f, r in refs(event) if r.column == target]
        if len(found) > 1:
            raise UnlinkedColumn(f"{event.__name__} has {len(found)} fields holding {target}")
        if found:
            return found[0]
    raise UnlinkedColumn(f"{event.__name__} has no field holding {' or '.join(wanted)}")


def _column(attribute: Mapped) -> Column[Any]:
    column = attribute.property.columns[0]
    if not isinstance(column, Column):  # a mapped expression, not a stored column
        raise TypeError(f"{attribute} is not a stored column")
    return column


class _Values:
    """The entry-side value of a column for the events of one link, noting what it reads."""

    def __init__(self, data: Field, events: Sequence[type[AuditEvent]]) -> None:
        self.data = data
        self.events = tuple(events)
        self.read: list[tuple[type[AuditEvent], str, str | None]] = []

    def __call__(self, column: Mapped) -> ColumnElement[str]:
        paths: dict[tuple[str, ...], list[EventKind]] = {}
        for event in self.events:
            name, member = event_field(event, column)
            self.read.append((event, name, member))
            path = ("data", name) if member is None else ("data", name, member)
            paths.setdefault(path, []).append(event.entry_kind)
        if len(paths) == 1:
            return self.data(*next(iter(paths)))
        # Events that hold the column in different fields: each entry is read by its kind.
        return case(
            *[
                (LedgerEntryRow.kind.in_([kind.value for kind in kinds]), self.data(*path))
                for path, kinds in paths.items()
            ],
            else_=None,
        )


def _links(data: Field) -> list[_Link]:
    """Every link from schema.py's tables to the events the service logs for them."""

    def links(
        name: str,
        key: Mapped | tuple[Mapped, ...],
        events: Sequence[type[AuditEvent]],
        *,
        where: ColumnElement[bool] | None = None,
        logged_when: Callable[[_Values], ColumnElement[bool]] | None = None,
        to_entry: bool = True,
        to_state: bool = True,
        counted: bool = True,
    ) -> _Link:
        columns = key if isinstance(key, tuple) else (key,)
        value = _Values(data, events)
        entry_key = _joined(*[value(c) for c in columns]) if len(columns) > 1 else value(columns[0])
        entry_where = true() if logged_when is None else logged_when(value)
        return _Link(
            name=name,
            table=_column(columns[0]).table.name,
            key=_joined(*columns) if len(columns) > 1 else _text(columns[0]),
            where=true() if where is None else where,
            kinds=tuple(event.entry_kind for event in events),
            entry_key=entry_key,
            entry_where=entry_where,
            fields=tuple(value.read),
            to_entry=to_entry,
            to_state=to_state,
            counted=counted,
        )

    decided = (ReleaseDecided, ReleaseRedecided)
    return [
        links("agency registered", AgencyRow.id, [AgencyRegistered]),
        # A key is set at registration or later: either entry accounts for it.
        links("agency key", AgencyRow.id, [AgencyRegistered, AgencyKeySet],
              where=AgencyRow.public_key.is_not(None),
              logged_when=lambda value: value(AgencyRow.public_key).is_not(None),
              counted=False),
        # The system authority that issues automatic suspensions is created with its first
        # order, unlogged as such: that order.issued entry, naming it, accounts for the row.
        links("authority registered", AuthorityRow.id, [AuthorityRegistered, OrderIssued],
              logged_when=lambda value: or_(
                  LedgerEntryRow.kind == AuthorityRegistered.entry_kind.value,
                  value(AuthorityRow.id) == SYSTEM_AUTHORITY,
              ),
              counted=False),
        links("authority key", AuthorityRow.id, [AuthorityRegistered, AuthorityKeySet],
              where=AuthorityRow.public_key.is_not(None),
              logged_when=lambda value: value(AuthorityRow.public_key).is_not(None),
              counted=False),
        # An entry sets the authorities one is over; one that clears them leaves no row.
        links("authority superior", AuthoritySuperiorRow.superior_id, [AuthoritySuperiorSet],
              to_state=False, counted=False),
        links("item added", ItemRow.id, [ItemAdded]),
        links("undertaking signed", UndertakingRow.id, [UndertakingSigned]),
        links("undertaking revoked", UndertakingRow.id, [UndertakingRevoked],
              where=UndertakingRow.revoked_at.is_not(None)),
        links("order issued", OrderRow.id, [OrderIssued]),
        links("order version", (OrderVersionRow.order_id, OrderVersionRow.version),
              [OrderIssued, OrderAmended, OrderLifted]),
        links("order lifted", OrderRow.id, [OrderLifted],
              where=OrderRow.lifted_at.is_not(None)),
        links("condition defined", ConditionRow.id, [ConditionDefined]),
        links("condition changed", ConditionRow.id, [ConditionChanged],
              to_entry=False, counted=False),
        links("event recorded", EventRow.id, [EventRecorded]),
        links("release requested", RequestRow.id, [ReleaseRequested]),
        # Decisions are a multiset: the same request may be decided many times.
        links("decision",
              (DecisionRow.request_id, DecisionRow.outcome, DecisionRow.state_version,
               DecisionRow.trigger),
              decided),
        # A feed release is made by the decision that first released the request.
        links("release in feed", FeedReleaseRow.request_id, decided,
              logged_when=lambda value: value(DecisionRow.outcome) == "released",
              counted=False),
        # Its objects named in the entry their copies name (receipts); a release made before
        # receipts existed has none, so only entries are checked against rows.
        links("release marked", FeedReleaseRow.request_id, [ReleaseMarked],
              to_entry=False, counted=False),
        links("release withheld", FeedReleaseRow.request_id, [ReleaseWithheld],
              where=FeedReleaseRow.status == "withheld", to_state=False, counted=False),
        links("release made available", FeedReleaseRow.request_id,
              [ReleaseWithheld, ReleaseAvailable], to_entry=False, counted=False),
        links("release delivered", FeedReleaseRow.request_id, [ReleaseDelivered],
              where=FeedReleaseRow.delivered_at.is_not(None), to_entry=False, counted=False),
        links("release recalled", FeedReleaseRow.request_id, [ReleaseRecalled],
              where=FeedReleaseRow.recalled_at.is_not(None)),
        links("outcome reported", OutcomeRow.id, [OutcomeReported]),
        links("token created", TokenRow.id, [TokenCreated]),
        links("token revoked", TokenRow.id, [TokenRevoked],
              where=TokenRow.revoked_at.is_not(None)),
        # -- standing agreements
        links("agreement made", AgreementRow.id, [AgreementMade]),
        # The version in force was logged, made or amended; earlier versions keep no row.
        links("agreement version", (AgreementRow.id, AgreementRow.version),
              [AgreementMade, AgreementAmended], to_state=False, counted=False),
        links("agreement amended", AgreementRow.id, [AgreementAmended],
              where=AgreementRow.version > 1, counted=False),
        # Suspended and resumed any number of times: a suspended row has its entry, and every
        # such entry names a stored agreement (suspended now or not).
        links("agreement suspended", AgreementRow.id, [AgreementSuspended],
              where=AgreementRow.suspended_at.is_not(None), to_state=False, counted=False),
        links("agreement suspended or resumed", AgreementRow.id,
              [AgreementSuspended, AgreementResumed], to_entry=False, counted=False),
        links("agreement ended", AgreementRow.id, [AgreementEnded],
              where=AgreementRow.ended_at.is_not(None)),
        # A request an agreement started names it in its entry, and only such a request.
        links("release started by agreement", (RequestRow.id, RequestRow.agreement_id),
              [ReleaseRequested], where=RequestRow.agreement_id.is_not(None),
              logged_when=lambda value: value(RequestRow.agreement_id).is_not(None)),
        # -- sources
        links("source added", SourceRow.id, [SourceAdded]),
        links("source paused", SourceRow.id, [SourcePaused],
              where=SourceRow.paused_at.is_not(None), to_state=False, counted=False),
        links("source paused or resumed", SourceRow.id, [SourcePaused, SourceResumed],
              to_entry=False, counted=False),
        links("source removed", SourceRow.id, [SourceRemoved],
              where=SourceRow.removed_at.is_not(None)),
        links("item ingested",
              (SourceIngestRow.source_id, SourceIngestRow.upstream_id,
               SourceIngestRow.upstream_version),
              [ItemIngested], where=SourceIngestRow.status == "item"),
        links("upstream version seen",
              (SourceIngestRow.source_id, SourceIngestRow.upstream_id,
               SourceIngestRow.upstream_version),
              [UpstreamVersionSeen], where=SourceIngestRow.status == "version-seen"),
        links("item revised",
              (SourceIngestRow.source_id, SourceIngestRow.upstream_id,
               SourceIngestRow.upstream_version),
              [ItemRevised], where=SourceIngestRow.status == "revised"),
        links("item revoked",
              (SourceIngestRow.source_id, SourceIngestRow.upstream_id,
               SourceIngestRow.upstream_version),
              [ItemRevoked], where=SourceIngestRow.status == "revoked"),
        # -- client certificates of partners
        links("agency certificate added", AgencyCertificateRow.fingerprint,
              [AgencyCertificateAdded]),
        links("agency certificate removed", AgencyCertificateRow.fingerprint,
              [AgencyCertificateRemoved], where=AgencyCertificateRow.removed_at.is_not(None)),
        # -- passkeys of authorities (WebAuthn)
        links("authority passkey registered", AuthorityPasskeyRow.credential_id,
              [AuthorityPasskeyRegistered]),
        # -- partners writing back
        links("delivery acknowledged", AcknowledgementRow.id, [ReleaseAcknowledged],
              where=AcknowledgementRow.kind == "delivery"),
        links("recall acknowledged", AcknowledgementRow.id, [RecallAcknowledged],
              where=AcknowledgementRow.kind == "recall"),
        # -- consent to share onward: asked of this log (upstream), and taken by a node
        links("consent requested", ConsentRequestRow.id, [ConsentRequested]),
        links("consent granted", ConsentRequestRow.id, [ConsentGranted],
              where=ConsentRequestRow.status == "granted"),
        links("consent refused", ConsentRequestRow.id, [ConsentRefused],
              where=ConsentRequestRow.status == "refused"),
        links("consent received", ConsentAskedRow.id, [ConsentReceived],
              where=ConsentAskedRow.received_at.is_not(None)),
        # -- witnesses of the log
        links("witness added", LogWitnessRow.id, [WitnessAdded]),
        links("witness removed", LogWitnessRow.id, [WitnessRemoved],
              where=LogWitnessRow.removed_at.is_not(None)),
    ]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class _Receipt:
    """A row that names the entry of this log recording a change of it: the ``event`` entry
    naming its id. The links above (which match rows to entries by id) still hold when the
    index points anywhere else; what goes wrong then is ``harm``.

    ``received_index`` (revision 0026) is a partner's statement's place in the order received.
    ``answer_index`` of a consent request answered here is the entry the partner is served as
    the proof of the answer (``service.onward.served_answer`` asks for it and proves it).
    """

    name: str
    table: str
    id: Mapped
    index: Mapped
    where: ColumnElement[bool]
    event: type[AuditEvent]
    recorded: str
    """What the entry records, in "its {recorded} is entry N"."""
    harm: str
    """What a row pointing elsewhere does until it is set right."""


_LISTED_OUT = "it is listed out of the order received"
_UNPROVEN = "the partner cannot prove the answer (it is served the entry answer_index names)"


def _receipts() -> list[_Receipt]:
    """The rows that keep the index of an entry of this log, and the entries that record it.

    ``consents_asked.answer_index`` is not among them: it names the entry of the answer in the
    upstream's log, not this one. This log records it (``consent.received``'s
    ``upstream_index``, with the entry and its proof, which ``audit replay`` verifies), and
    that entry is tied to the row by the "consent received" link.
    """
    return [
        _Receipt(name="delivery acknowledgement received index", table="acknowledgements",
                 id=AcknowledgementRow.id, index=AcknowledgementRow.received_index,
                 where=AcknowledgementRow.kind == "delivery", event=ReleaseAcknowledged,
                 recorded="receipt", harm=_LISTED_OUT),
        _Receipt(name="recall acknowledgement received index", table="acknowledgements",
                 id=AcknowledgementRow.id, index=AcknowledgementRow.received_index,
                 where=AcknowledgementRow.kind == "recall", event=RecallAcknowledged,
                 recorded="receipt", harm=_LISTED_OUT),
        _Receipt(name="consent request received index", table="consent_requests",
                 id=ConsentRequestRow.id, index=ConsentRequestRow.received_index,
                 where=true(), event=ConsentRequested, recorded="receipt", harm=_LISTED_OUT),
        _Receipt(name="consent granted answer index", table="consent_requests",
                 id=ConsentRequestRow.id, index=ConsentRequestRow.answer_index,
                 where=ConsentRequestRow.status == "granted", event=ConsentGranted,
                 recorded="answer", harm=_UNPROVEN),
        _Receipt(name="consent refused answer index", table="consent_requests",
                 id=ConsentRequestRow.id, index=ConsentRequestRow.answer_index,
                 where=ConsentRequestRow.status == "refused", event=ConsentRefused,
                 recorded="answer", harm=_UNPROVEN),
    ]  # fmt: skip


def check_links(session: Session) -> LinkCheck:
    """Every link in both directions; a query the entries break is reported, not raised."""
    data = _entry_field(session.get_bind().dialect.name)
    result = LinkCheck()
    try:
        _check_kinds(session, data, result)
        for link in _links(data):
            result.links.append(link.name)
            _check_link(session, link, result)
        for receipt in _receipts():
            result.links.append(receipt.name)
            _check_receipt(session, data, receipt, result)
        result.links.append(_PENDING)
        _check_pending_answers(session, result)
    except DBAPIError as exc:
        # An entry that is not UTF-8 JSON stops the database's JSON functions; the log check
        # has already named it (it cannot match its leaf hash or be canonical JSON).
        result.error = (
            "the entries could not all be read as JSON, so the links were not all checked: "
            f"{exc.orig}"
        )
    return result


def _record(result: LinkCheck, link: str, orphans: list[Orphan]) -> None:
    result.orphans += orphans[:EXAMPLES]
    if len(orphans) > EXAMPLES:
        result.truncated[link] = result.truncated.get(link, 0) + len(orphans) - EXAMPLES


def _check_kinds(session: Session, data: Field, result: LinkCheck) -> None:
    """The kind column (which the links filter on) must be the kind inside the signed entry."""
    name = "entry kinds"
    result.links.append(name)
    inner = data("kind")
    known = [kind.value for kind in EventKind]
    rows = session.execute(
        select(LedgerEntryRow.idx, LedgerEntryRow.kind, inner)
        .where(
            or_(
                inner.is_(None),
                inner != LedgerEntryRow.kind,
                LedgerEntryRow.kind.not_in(known),
            )
        )
        .order_by(LedgerEntryRow.idx)
        .limit(SCAN)
    ).all()
    orphans = [
        Orphan(
            side="entry",
            link=name,
            key=kind,
            index=idx,
            message=f"entry {idx}: its kind column says {kind!r} but the entry says {logged!r}"
            if logged != kind
            else f"entry {idx}: kind {kind!r} is not a kind of state change Garante makes",
        )
        for idx, kind, logged in rows
    ]
    _record(result, name, orphans)


def _check_link(session: Session, link: _Link, result: LinkCheck) -> None:
    kinds = [kind.value for kind in link.kinds]
    of_kind = and_(LedgerEntryRow.kind.in_(kinds), link.entry_where)
    kind_text = "/".join(kinds)
    orphans: list[Orphan] = []
    if link.to_entry:
        logged = select(link.entry_key).where(of_kind, link.entry_key.is_not(None))
        for (key,) in session.execute(
            select(link.key)
            .where(link.where, link.key.not_in(logged))
            .order_by(link.key)
            .limit(SCAN)
        ):
            orphans.append(
                Orphan(
                    side="state",
                    link=link.name,
                    key=_shown(key),
                    index=None,
                    message=f"{link.table} {_shown(key)}: no {kind_text} entry records it",
                )
            )
    if link.to_state:
        stored = select(link.key).where(link.where)
        for idx, key in session.execute(
            select(LedgerEntryRow.idx, link.entry_key)
            .where(of_kind, or_(link.entry_key.is_(None), link.entry_key.not_in(stored)))
            .order_by(LedgerEntryRow.idx)
            .limit(SCAN)
        ):
            orphans.append(
                Orphan(
                    side="entry",
                    link=link.name,
                    key=None if key is None else _shown(key),
                    index=idx,
                    message=f"entry {idx} ({kind_text}) names {_shown(key)}, "
                    f"which {link.table} does not hold"
                    if key is not None
                    else f"entry {idx} ({kind_text}) names no {link.table} key",
                )
            )
    if link.counted:
        orphans += _count_mismatches(session, link, of_kind, kind_text)
    _record(result, link.name, orphans)


_PENDING = "consent pending answer index"


def _check_pending_answers(session: Session, result: LinkCheck) -> None:
    """A consent request not answered names no answer entry: the receipts above check the
    answer index of granted and refused requests only, so a pending one that names an entry
    (set behind the service, or left by a half-restored backup) would be served to the
    partner with that entry as the proof of an answer never given."""
    rows = session.execute(
        select(ConsentRequestRow.id, ConsentRequestRow.answer_index, ConsentRequestRow.status)
        .where(
            ConsentRequestRow.status.not_in(["granted", "refused"]),
            ConsentRequestRow.answer_index.is_not(None),
        )
        .order_by(ConsentRequestRow.answer_index, ConsentRequestRow.id)
        .limit(SCAN)
    ).all()
    orphans = [
        Orphan(
            side="state",
            link=_PENDING,
            key=row_id,
            index=index,
            message=(
                f"consent_requests {row_id}: answer_index names entry {index}, but the request "
                f"is {status}, not answered: the partner is served that entry as the proof of "
                "an answer never given until its answer_index is null again (restore the row "
                "from a backup, or set it)"
            ),
        )
        for row_id, index, status in rows
    ]
    _record(result, _PENDING, orphans)


def _check_receipt(session: Session, data: Field, receipt: _Receipt, result: LinkCheck) -> None:
    """Each row's index (``received_index``, ``answer_index``) is the entry of its kind that
    names it."""
    column = _column(receipt.index).name
    kind = receipt.event.entry_kind.value
    named = _Values(data, [receipt.event])(receipt.id)
    wrong = session.execute(
        select(receipt.id, receipt.index, LedgerEntryRow.kind)
        .select_from(_column(receipt.id).table)
        .outerjoin(LedgerEntryRow, LedgerEntryRow.idx == receipt.index)
        .where(
            receipt.where,
            or_(
                LedgerEntryRow.idx.is_(None),
                LedgerEntryRow.kind != kind,
                named.is_(None),
                named != receipt.id,
            ),
        )
        .order_by(receipt.index, receipt.id)
        .limit(SCAN)
    ).all()
    if not wrong:
        return
    # Where each was recorded: the first entry naming it (as revision 0026 found it).
    recorded: dict[str, int] = {}
    for name, idx in session.execute(
        select(named, LedgerEntryRow.idx)
        .where(LedgerEntryRow.kind == kind, named.in_([row_id for row_id, _, _ in wrong]))
        .order_by(LedgerEntryRow.idx)
    ):
        recorded.setdefault(name, idx)
    orphans = []
    for row_id, index, at in wrong:
        pointed = (
            "names no entry"
            if index is None
            else f"names entry {index}, which the log does not hold"
            if at is None
            else f"names entry {index} ({at}), not the {kind} entry naming it"
        )
        found = recorded.get(row_id)
        fix = (
            f"its {receipt.recorded} is entry {found}: {receipt.harm} until its {column} is "
            f"{found} again (restore the row from a backup, or set it)"
            if found is not None
            else f"no {kind} entry records its {receipt.recorded} (see the state and log "
            "finding for it)"
        )
        orphans.append(
            Orphan(
                side="state",
                link=receipt.name,
                key=row_id,
                index=index,
                message=f"{receipt.table} {row_id}: {column} {pointed}; {fix}",
            )
        )
    _record(result, receipt.name, orphans)


def _count_mismatches(
    session: Session, link: _Link, of_kind: ColumnElement[bool], kind_text: str
) -> list[Orphan]:
    """Keys logged more (or fewer) times than they are stored: a duplicated or lost change."""
    rows_inner = select(link.key.label("k")).where(link.where).subquery()
    rows = select(rows_inner.c.k, func.count().label("n")).group_by(rows_inner.c.k).subquery()
    entries_inner = (
        select(link.entry_key.label("k"), LedgerEntryRow.idx.label("idx"))
        .where(of_kind, link.entry_key.is_not(None))
        .subquery()
    )
    entries = (
        select(
            entries_inner.c.k,
            func.count().label("n"),
            func.min(entries_inner.c.idx).label("first"),
        )
        .group_by(entries_inner.c.k)
        .subquery()
    )
    query = (
        select(rows.c.k, rows.c.n, entries.c.n, entries.c.first)
        .join(entries, rows.c.k == entries.c.k)
        .where(rows.c.n != entries.c.n)
        .order_by(entries.c.first)
        .limit(SCAN)
    )
    return [
        Orphan(
            side="count",
            link=link.name,
            key=_shown(key),
            index=first,
            message=f"{link.table} {_shown(key)}: {stored} row(s) but {logged} {kind_text} "
            f"entries (the first at index {first})",
        )
        for key, stored, logged, first in session.execute(query)
    ]


def _shown(key: Any) -> str:
    return str(key).replace(_SEP, "/")
