"""Checking a store as a whole: its schema revision, its log, and that state and log agree.

DESIGN.md promises that an entry and its state change commit in one transaction: no state
change without its entry, no entry without its state change. The service keeps that promise as
it writes; this module checks, after the fact, that the stored data still does, on a store
nobody needs to trust (restored from a backup, migrated, or edited by hand). It reads only, in
one snapshot transaction, so it can run beside live servers, and it never migrates: a store at
an old revision is reported as such, not silently upgraded.

State rows hold no ledger index. What ties a row to its entry is the id the entry's JSON
carries (``data.agency``, ``data.request``, an order statement's ``id`` and ``version``...),
so each link below compares a key computed from rows with a key extracted from entries, in
both directions, and, where each change is logged exactly once, compares the counts too. The
JSON is read in SQL (``json_extract`` on SQLite, ``jsonb_extract_path_text`` on PostgreSQL) so
a large log is never loaded into memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    Text,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from garante.domain.events import EventKind
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey
from garante.service import audit
from garante.service.outcomes import SYSTEM_AUTHORITY
from garante.store import ledger, queries
from garante.store.database import alembic_config, reader
from garante.store.schema import (
    AgencyRow,
    AuthorityRow,
    ConditionRow,
    DecisionRow,
    EventRow,
    FeedReleaseRow,
    ItemRow,
    LedgerEntryRow,
    OrderRow,
    OrderVersionRow,
    OutcomeRow,
    RequestRow,
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
NOT_LINKED: tuple[str, ...] = (
    "settings: the pinned clock and the log's verifier key are written without an audit "
    "entry, so there is nothing in the log to compare them with",
    "feed_objects: the STIX copies in partners' feeds are derived from a release; the log "
    "records the release (and its trace token), not each object, so they are tied to the log "
    "only through feed_releases",
    "current values of mutable columns (a request's outcome, a condition's active flag, an "
    "order's fields after an amendment): rows are matched to their entries by id, and a "
    "change is seen only where it leaves a marker (revoked_at, lifted_at, recalled_at, a new "
    "order version, a public key); a value edited in place is not replayed against the log",
    "feed_releases.delivered_at: a release whose objects the partner already held is marked "
    "delivered without a release.delivered entry, so only the other direction is checked",
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
class LogCheck:
    """The stored log verified against its signed checkpoints (``ledger.logcheck``)."""

    entries: int
    checkpoints: int
    latest_checkpoint: int | None
    verified_size: int
    findings: list[str]
    first_bad_index: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


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


@dataclass(kw_only=True)
class StoreReport:
    """Everything ``garante db check`` found; ``log`` and ``links`` are None when skipped."""

    schema: SchemaCheck
    log: LogCheck | None = None
    links: LinkCheck | None = None
    not_linked: tuple[str, ...] = NOT_LINKED

    @property
    def failed(self) -> list[str]:
        """The names of the checks that failed (a skipped check is not a pass)."""
        names: list[str] = []
        if not self.schema.ok:
            names.append("schema")
        if self.log is None or not self.log.ok:
            names.append("audit log")
        if self.links is None or not self.links.ok:
            names.append("state and log")
        return names

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed": self.failed,
            "schema": {
                "ok": self.schema.ok,
                "revision": self.schema.revision,
                "head": self.schema.head,
            },
            "log": None
            if self.log is None
            else {
                "ok": self.log.ok,
                "entries": self.log.entries,
                "checkpoints": self.log.checkpoints,
                "latest_checkpoint": self.log.latest_checkpoint,
                "verified_size": self.log.verified_size,
                "first_bad_index": self.log.first_bad_index,
                "findings": self.log.findings,
            },
            "links": None
            if self.links is None
            else {
                "ok": self.links.ok,
                "checked": self.links.links,
                "orphans": [
                    {
                        "side": o.side,
                        "link": o.link,
                        "key": o.key,
                        "index": o.index,
                        "message": o.message,
                    }
                    for o in self.links.orphans
                ],
                "not_listed": self.links.truncated,
                "error": self.links.error,
            },
            "not_linked": list(self.not_linked),
        }


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


def check_store(engine: Engine, *, configured_key: str | None = None) -> StoreReport:
    """Run every check; a store at an old revision is not read further (its tables may differ).

    ``configured_key`` is the verifier key of the signing key this process is configured with
    (``GARANTE_LOG_KEY`` or its file), when there is one: it must be the store's own, or the
    servers would sign checkpoints nobody can verify with the published key.
    """
    report = StoreReport(schema=check_schema(engine))
    if not report.schema.ok:
        return report
    with Session(reader(engine)) as session, session.begin():
        report.log = check_log(session, configured_key=configured_key)
        report.links = check_links(session)
    return report


def check_log(session: Session, *, configured_key: str | None = None) -> LogCheck:
    """The stored log against its signed checkpoints, with the verifier the project ships."""
    size = queries.ledger_size(session)
    latest = ledger.latest_checkpoint(session)
    stored_key = queries.setting(session, "log_verifier_key")
    findings: list[str] = []
    if configured_key is not None and stored_key is not None and configured_key != stored_key:
        findings.append(
            "the configured log key (GARANTE_LOG_KEY or its file) is not the key this store's "
            f"log is signed with; the store expects {stored_key}"
        )

    def unverified() -> LogCheck:
        return LogCheck(
            entries=size,
            checkpoints=0,
            latest_checkpoint=latest.size if latest else None,
            verified_size=0,
            findings=findings,
        )

    if size == 0 and latest is None:
        return unverified()  # an empty log: nothing to sign yet
    if stored_key is None:
        findings.append(
            f"the log has {size} entries but the store records no log verifier key, "
            "so nothing can be verified (set GARANTE_LOG_KEY_FILE and run `garante init`)"
        )
        return unverified()
    if latest is None:
        findings.append(
            f"the log has {size} entries and no signed checkpoint to verify them against "
            "(publish one with `garante audit checkpoint`)"
        )
        return unverified()
    try:
        key = VerifierKey.parse(str(stored_key))
    except LedgerError as exc:
        findings.append(f"the store's log verifier key cannot be read: {exc}")
        return unverified()
    verified = audit.verify_store(session, key)
    findings += [str(finding) for finding in verified.findings]
    return LogCheck(
        entries=verified.entries,
        checkpoints=verified.checkpoints_verified,
        latest_checkpoint=latest.size,
        verified_size=verified.latest_verified_size,
        findings=findings,
        first_bad_index=verified.first_bad_index,
    )


# -- state against log --------------------------------------------------------------------

Field = Callable[..., ColumnElement[str]]


@dataclass(frozen=True, kw_only=True)
class _Link:
    """One kind of state change and the entries that record it.

    ``to_entry``: every row (matching ``where``) has an entry. ``to_state``: every entry (of
    ``kinds``, matching ``entry_where``) has a row. ``counted``: each row is logged exactly
    once, so a key must have as many entries as rows (a duplicated entry is an entry with no
    state change of its own).
    """

    name: str
    table: str
    key: ColumnElement[str]
    where: ColumnElement[bool]
    kinds: tuple[EventKind, ...]
    entry_key: ColumnElement[str]
    entry_where: ColumnElement[bool]
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


def _links(data: Field) -> list[_Link]:
    """Every link from schema.py's tables to the event kinds the service logs for them."""

    def links(
        name: str,
        table: str,
        key: Any,
        kinds: Sequence[EventKind],
        entry_key: ColumnElement[str],
        *,
        where: ColumnElement[bool] | None = None,
        entry_where: ColumnElement[bool] | None = None,
        to_entry: bool = True,
        to_state: bool = True,
        counted: bool = True,
    ) -> _Link:
        return _Link(
            name=name,
            table=table,
            key=_text(key),
            where=true() if where is None else where,
            kinds=tuple(kinds),
            entry_key=entry_key,
            entry_where=true() if entry_where is None else entry_where,
            to_entry=to_entry,
            to_state=to_state,
            counted=counted,
        )

    K = EventKind
    decided = (K.RELEASE_DECIDED, K.RELEASE_REDECIDED)
    order_kinds = (K.ORDER_ISSUED, K.ORDER_AMENDED, K.ORDER_LIFTED)
    return [
        links("agency registered", "agencies", AgencyRow.id, [K.AGENCY_REGISTERED],
              data("data", "agency")),
        # A key is set at registration or later: either entry accounts for it.
        links("agency key", "agencies", AgencyRow.id, [K.AGENCY_REGISTERED, K.AGENCY_KEY_SET],
              data("data", "agency"), where=AgencyRow.public_key.is_not(None),
              entry_where=data("data", "public_key").is_not(None), counted=False),
        # The system authority that issues automatic suspensions is created with its first
        # order, unlogged as such: that order.issued entry, naming it, accounts for the row.
        links("authority registered", "authorities", AuthorityRow.id,
              [K.AUTHORITY_REGISTERED, K.ORDER_ISSUED],
              func.coalesce(data("data", "authority"), data("data", "statement", "authority")),
              entry_where=or_(
                  LedgerEntryRow.kind == K.AUTHORITY_REGISTERED.value,
                  data("data", "statement", "authority") == SYSTEM_AUTHORITY,
              ),
              counted=False),
        links("item added", "items", ItemRow.id, [K.ITEM_ADDED], data("data", "item")),
        links("undertaking signed", "undertakings", UndertakingRow.id,
              [K.UNDERTAKING_SIGNED], data("data", "undertaking")),
        links("undertaking revoked", "undertakings", UndertakingRow.id,
              [K.UNDERTAKING_REVOKED], data("data", "undertaking"),
              where=UndertakingRow.revoked_at.is_not(None)),
        links("order issued", "orders", OrderRow.id, [K.ORDER_ISSUED],
              data("data", "statement", "id")),
        links("order version", "order_versions",
              _joined(OrderVersionRow.order_id, _text(OrderVersionRow.version)), order_kinds,
              _joined(data("data", "statement", "id"), data("data", "statement", "version"))),
        links("order lifted", "orders", OrderRow.id, [K.ORDER_LIFTED],
              data("data", "statement", "id"), where=OrderRow.lifted_at.is_not(None)),
        links("condition defined", "conditions", ConditionRow.id, [K.CONDITION_DEFINED],
              data("data", "condition")),
        links("condition changed", "conditions", ConditionRow.id, [K.CONDITION_CHANGED],
              data("data", "condition"), to_entry=False, counted=False),
        links("event recorded", "events", EventRow.id, [K.EVENT_RECORDED],
              data("data", "event")),
        links("release requested", "release_requests", RequestRow.id, [K.RELEASE_REQUESTED],
              data("data", "request")),
        # Decisions are a multiset: the same request may be decided many times.
        links("decision", "decisions",
              _joined(_text(DecisionRow.request_id), DecisionRow.outcome,
                      _text(DecisionRow.state_version), DecisionRow.trigger),
              decided,
              _joined(data("data", "request"), data("data", "outcome"),
                      data("data", "state_version"), data("data", "trigger"))),
        # A feed release is made by the decision that first released the request.
        links("release in feed", "feed_releases", FeedReleaseRow.request_id, decided,
              data("data", "request"), entry_where=data("data", "outcome") == "released",
              counted=False),
        links("release withheld", "feed_releases", FeedReleaseRow.request_id,
              [K.RELEASE_WITHHELD], data("data", "request"),
              where=FeedReleaseRow.status == "withheld", to_state=False, counted=False),
        links("release made available", "feed_releases", FeedReleaseRow.request_id,
              [K.RELEASE_WITHHELD, K.RELEASE_AVAILABLE], data("data", "request"),
              to_entry=False, counted=False),
        links("release delivered", "feed_releases", FeedReleaseRow.request_id,
              [K.RELEASE_DELIVERED], data("data", "request"),
              where=FeedReleaseRow.delivered_at.is_not(None), to_entry=False, counted=False),
        links("release recalled", "feed_releases", FeedReleaseRow.request_id,
              [K.RELEASE_RECALLED], data("data", "request"),
              where=FeedReleaseRow.recalled_at.is_not(None)),
        links("outcome reported", "outcomes", OutcomeRow.id, [K.OUTCOME_REPORTED],
              data("data", "outcome")),
        links("token created", "api_tokens", TokenRow.id, [K.TOKEN_CREATED],
              data("data", "token")),
        links("token revoked", "api_tokens", TokenRow.id, [K.TOKEN_REVOKED],
              data("data", "token"), where=TokenRow.revoked_at.is_not(None)),
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
