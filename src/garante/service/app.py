"""The service facade: every use case, each in one transaction, over one store.

Interfaces (CLI, API, TAXII, console) call these methods and only translate. A method that
changes state returns what it changed and every held request the change moved.
"""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from garante.domain.condition import ConditionRule
from garante.domain.decision import Outcome
from garante.domain.errors import (
    RequestNotFound,
    UnknownValue,
    ValidationError,
)
from garante.domain.events import SettingsChanged
from garante.domain.order import Order, Requirement, Scope
from garante.domain.outcome import OutcomeReport
from garante.domain.roles import Principal, Role
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Vocabulary, suggest
from garante.ledger.logcheck import LogReport
from garante.ledger.note import Signer, VerifierKey
from garante.policy.decide import decide
from garante.policy.standing import PartnerStanding
from garante.policy.standing import standing as standing_of
from garante.policy.standing import standings as standings_of
from garante.service import (
    audit,
    conditions,
    feed,
    items,
    lookup,
    orders,
    outcomes,
    periods,
    registry,
    releases,
    reports,
    simulate,
    tokens,
    undertakings,
    views,
    visibility,
)
from garante.service.access import INTERNAL, acts_as, entitled
from garante.service.clock import Clock, FixedClock, SystemClock
from garante.service.context import Context, Settings
from garante.service.transaction import Transaction
from garante.store import agencies as store_agencies
from garante.store import authorities as store_authorities
from garante.store import conditions as store_conditions
from garante.store import convert, queries
from garante.store import feed as store_feed
from garante.store import items as store_items
from garante.store import ledger as store_ledger
from garante.store import orders as store_orders
from garante.store import outcomes as store_outcomes
from garante.store import requests as store_requests
from garante.store import tokens as store_tokens
from garante.store import undertakings as store_undertakings
from garante.store.database import (
    reachable,
)
from garante.store.feed import FeedQuery, FeedRow

log = logging.getLogger("garante.service")


@dataclass(frozen=True, kw_only=True)
class Change:
    """What a state change produced: the object as stored, and the held requests it moved."""

    value: dict[str, Any]
    moved: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Page:
    """Keyset pagination: rows whose key is after ``after``, at most ``limit`` of them."""

    after: str | int | None = None
    limit: int = 100


class Garante:
    """One store, one clock, one acting person or system."""

    def acting_as(self, principal: Principal) -> Garante:
        """The same store and clock, acting for ``principal``: it is named in the audit log,
        and what it sees is narrowed to what it may see (``visibility``)."""
        other = copy.copy(self)
        other.principal = principal
        return other

    @property
    def actor(self) -> str:
        """How the audit log names whoever this service acts for."""
        return self.principal.name

    def __init__(
        self,
        engine: Engine | Context,
        *,
        clock: Clock | None = None,
        actor: str = "cli",
        log_signer: Signer | None = None,
        checkpoint_every: int = 100,
        release_batch: int = 32,
    ) -> None:
        if isinstance(engine, Context):
            self.context = engine
        else:
            settings = Settings(checkpoint_every=checkpoint_every, release_batch=release_batch)
            self.context = Context(engine, clock=clock, log_signer=log_signer, settings=settings)
        self.principal = Principal.operator(actor)

    @classmethod
    def open(
        cls, url: str | None = None, *, clock: Clock | None = None, actor: str = "cli"
    ) -> Garante:
        """Open (and migrate) the store at ``url``, ``GARANTE_DB``, or ./garante.db."""
        return cls(Context.open(url, clock=clock), actor=actor)

    def close(self) -> None:
        self.context.close()

    # What the context holds, read through the service by callers that predate it.
    @property
    def engine(self) -> Engine:
        return self.context.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.context.sessions

    @property
    def readers(self) -> sessionmaker[Session]:
        return self.context.readers

    @property
    def log_signer(self) -> Signer | None:
        return self.context.log_signer

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def checkpoint_every(self) -> int:
        return self.context.settings.checkpoint_every

    @checkpoint_every.setter
    def checkpoint_every(self, value: int) -> None:
        self.context.settings.checkpoint_every = value

    def _tx(self) -> AbstractContextManager[Transaction]:
        return self.context.writes(self.actor)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.context.reads() as read:
            yield read.session

    # -- settings -------------------------------------------------------------------------

    @entitled()
    def pin_clock(self, at: datetime | None) -> None:
        """Decide at ``at`` from now on (``None``: the system clock again), and log it.

        The instant decides which orders and undertakings are in force, so pinning it is a
        change an inspector must see: it appends a ``settings.changed`` entry, unless the clock
        already reads so.
        """
        value = at.isoformat() if at else None
        with self._tx() as tx:
            if queries.setting(tx.session, "clock") != value:
                queries.put_setting(tx.session, "clock", value)
                tx.audit(SettingsChanged(setting="clock", value=views.time(at)))
        self.context.clock = FixedClock(at) if at else SystemClock()

    def vocabulary(self) -> Vocabulary:
        with self._read() as session:
            return queries.vocabulary(session)

    # -- agencies and authorities ---------------------------------------------------------

    @entitled(Role.LIAISON)
    def register_agency(
        self,
        agency_id: str,
        *,
        name: str,
        country: str,
        domestic: bool = False,
        requires_undertaking: bool = False,
        public_key: bytes | None = None,
    ) -> Change:
        with self._tx() as tx:
            row = registry.register_agency(
                tx,
                agency_id=agency_id,
                name=name,
                country=country,
                domestic=domestic,
                requires_undertaking=requires_undertaking,
                public_key=public_key,
            )
            return Change(value=views.agency(row))

    @entitled(Role.LIAISON)
    def set_agency_key(self, agency_id: str, public_key: bytes) -> Change:
        with self._tx() as tx:
            return Change(
                value=views.agency(
                    registry.set_agency_key(tx, agency_id=agency_id, public_key=public_key)
                )
            )

    @entitled(Role.LIAISON)
    def register_authority(
        self, authority_id: str, *, name: str, public_key: bytes | None = None
    ) -> Change:
        with self._tx() as tx:
            row = registry.register_authority(
                tx, authority_id=authority_id, name=name, public_key=public_key
            )
            return Change(value=views.authority(row))

    @entitled(*INTERNAL, Role.PARTNER)
    def agencies(self, page: Page | None = None) -> list[dict[str, Any]]:
        """Agencies; a partner sees only itself."""
        own = visibility.partner(self.principal)
        with self._read() as session:
            return [views.agency(r) for r in store_agencies.page(session, page, only=own)]

    @entitled(*INTERNAL, Role.PARTNER)
    def agency(self, agency_id: str) -> dict[str, Any]:
        visibility.check_agency(self.principal, agency_id)
        with self._read() as session:
            return views.agency(lookup.agency(session, agency_id))

    @entitled(*INTERNAL)
    def authorities(self, page: Page | None = None) -> list[dict[str, Any]]:
        with self._read() as session:
            return [views.authority(r) for r in store_authorities.page(session, page)]

    # -- items ----------------------------------------------------------------------------

    @entitled(Role.ANALYST)
    def add_item(
        self,
        item_id: str,
        *,
        title: str,
        category: str,
        region: str,
        tlp: str,
        originator: str,
        bundle: str | dict[str, Any],
        releasable_to: list[str] | None = None,
    ) -> Change:
        with self._tx() as tx:
            row = items.add_item(
                tx,
                item_id=item_id,
                title=title,
                category=category,
                region=region,
                tlp=tlp,
                originator=originator,
                releasable_to=releasable_to or [],
                bundle=bundle,
            )
            return Change(value=views.item(row))

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def items(self, page: Page | None = None) -> list[dict[str, Any]]:
        with self._read() as session:
            return [views.item(r) for r in store_items.page(session, page)]

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def item(self, item_id: str) -> dict[str, Any]:
        with self._read() as session:
            return views.item(lookup.item(session, item_id))

    @entitled()
    def item_opening(self, item_id: str) -> dict[str, Any]:
        """What opens an item's commitment in the log: salt, title and canonical bundle.

        Handed to an inspector only for the item in question, it shows that the content matches
        the commitment logged when the item was added, without putting content in the log.
        """
        with self._read() as session:
            row = lookup.item(session, item_id)
            return {
                "item": row.id,
                "salt": row.commitment_salt.hex(),
                "title": row.title,
                "bundle": row.bundle,
                "commitment": items.content_commitment(
                    row.commitment_salt, row.title, row.bundle.encode()
                ),
            }

    # -- undertakings ---------------------------------------------------------------------

    @entitled(Role.LIAISON, Role.PARTNER)
    def draft_undertaking(
        self,
        agency_id: str,
        *,
        permits: list[str],
        prohibits: list[str] | None = None,
        protections: list[str] | None = None,
        categories: list[str] | None = None,
        undertaking_id: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        own_namespace: bool = False,
    ) -> Undertaking:
        """Validated terms, nothing stored: the agency signs ``terms.statement()``.

        ``own_namespace`` is for a partner naming its own: see ``undertakings.draft_undertaking``;
        a partner always names its own, and drafts for its own agency only.
        """
        visibility.acts_for(self.principal, agency_id, what="gives undertakings")
        own_namespace = own_namespace or self.principal.is_partner
        with self.context.reads() as tx:
            terms = undertakings.draft_undertaking(
                tx,
                agency_id=agency_id,
                undertaking_id=undertaking_id,
                permits=permits,
                prohibits=prohibits or [],
                protections=protections or [],
                categories=categories or [],
                valid_from=valid_from,
                valid_until=valid_until,
                own_namespace=own_namespace,
            )
            return terms

    @entitled(Role.LIAISON, Role.PARTNER)
    def record_undertaking(self, terms: Undertaking, *, signature: bytes | None) -> Change:
        visibility.acts_for(self.principal, terms.agency_id, what="gives undertakings")
        with self._tx() as tx:
            row, moved = undertakings.record_undertaking(tx, terms=terms, signature=signature)
            return Change(
                value=views.undertaking(row), moved=visibility.moved(self.principal, moved)
            )

    @entitled(Role.LIAISON)
    def revoke_undertaking(self, undertaking_id: str, *, reason: str) -> Change:
        with self._tx() as tx:
            row, moved = undertakings.revoke_undertaking(
                tx, undertaking_id=undertaking_id, reason=reason
            )
            return Change(
                value=views.undertaking(row), moved=visibility.moved(self.principal, moved)
            )

    @entitled(*INTERNAL, Role.PARTNER)
    def undertakings(
        self, agency_id: str | None = None, page: Page | None = None
    ) -> list[dict[str, Any]]:
        """Undertakings, of one agency if given; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_undertakings.page(session, page, agency_id=agency_id)
            return [views.undertaking(r) for r in rows]

    # -- orders ---------------------------------------------------------------------------

    @entitled(Role.AUTHORITY)
    def draft_order(
        self,
        *,
        authority_id: str,
        effect: str,
        scope: Scope,
        order_id: str | None = None,
        requires: Requirement | None = None,
        exempts: list[str] | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        while_condition: str | None = None,
        reason: str = "",
    ) -> Order:
        """A validated order, nothing stored: the authority signs ``order.statement()``."""
        acts_as(self.principal, authority_id)
        with self.context.reads() as tx:
            order = orders.draft_order(
                tx,
                authority_id=authority_id,
                effect=effect,
                scope=scope,
                order_id=order_id,
                requires=requires,
                exempts=exempts,
                valid_from=valid_from,
                valid_until=valid_until,
                while_condition=while_condition,
                reason=reason,
            )
            return order

    @entitled(Role.AUTHORITY)
    def issue_order(self, order: Order, *, signature: bytes | None) -> Change:
        acts_as(self.principal, order.authority_id)
        with self._tx() as tx:
            row, moved = orders.issue_order(tx, order=order, signature=signature)
            return Change(value=views.order(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.AUTHORITY)
    def draft_amendment(self, order_id: str, /, *, authority_id: str, **changes: Any) -> Order:
        """The next version of an order; the amending authority signs ``amendment_statement``."""
        acts_as(self.principal, authority_id)
        with self.context.reads() as tx:
            amended = orders.draft_amendment(
                tx, order_id=order_id, authority_id=authority_id, **changes
            )
            return amended

    @entitled(Role.AUTHORITY)
    def amend_order(self, amended: Order, *, authority_id: str, signature: bytes | None) -> Change:
        acts_as(self.principal, authority_id)
        with self._tx() as tx:
            row, moved = orders.amend_order(
                tx, amended=amended, authority_id=authority_id, signature=signature
            )
            return Change(value=views.order(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.AUTHORITY)
    def lift_statement(self, order_id: str, *, authority_id: str, reason: str) -> dict[str, Any]:
        """What ``authority_id`` must sign to lift the order now."""
        acts_as(self.principal, authority_id)
        with self.context.reads() as tx:
            lookup.authority(tx.session, authority_id)
            statement = orders.lift_draft(
                tx, order_id=order_id, reason=reason, authority_id=authority_id
            )
            return {**statement, "lifted_by": authority_id}

    @entitled(Role.AUTHORITY)
    def lift_order(
        self, order_id: str, *, authority_id: str, reason: str, signature: bytes | None
    ) -> Change:
        acts_as(self.principal, authority_id)
        with self._tx() as tx:
            row, moved = orders.lift_order(
                tx, order_id=order_id, authority_id=authority_id, reason=reason, signature=signature
            )
            return Change(value=views.order(row), moved=visibility.moved(self.principal, moved))

    @entitled()
    def apply_order_periods(self) -> Change:
        """Move what orders starting or ending by the clock now change (see ``periods``).

        Which boundaries have passed is read first without the writer lock: a server runs this
        every second, and most seconds nothing is due.
        """
        with self._read() as session:
            if not periods.due(session, self.clock.now()):
                return Change(value={"boundaries": []})
        with self._tx() as tx:
            boundaries, moved = periods.apply_order_periods(tx)
            return Change(
                value={
                    "boundaries": [
                        {"order": b.order_id, "at": views.time(b.at), "began": b.began}
                        for b in boundaries
                    ]
                },
                moved=visibility.moved(self.principal, moved),
            )

    @entitled(*INTERNAL)
    def orders(
        self, *, include_lifted: bool = True, page: Page | None = None
    ) -> list[dict[str, Any]]:
        with self._read() as session:
            rows = store_orders.page(session, page, include_lifted=include_lifted)
            return [views.order(r) for r in rows]

    @entitled(*INTERNAL)
    def order(self, order_id: str) -> dict[str, Any]:
        with self._read() as session:
            return views.order(lookup.order(session, order_id))

    # -- conditions and events ------------------------------------------------------------

    @entitled(Role.AUTHORITY)
    def define_condition(
        self,
        condition_id: str,
        *,
        description: str,
        rule: ConditionRule | None = None,
        active: bool = False,
        evidence: str = "",
    ) -> Change:
        with self._tx() as tx:
            row = conditions.define_condition(
                tx,
                condition_id=condition_id,
                description=description,
                rule=rule,
                active=active,
                evidence=evidence,
            )
            return Change(value=views.condition(row))

    @entitled(Role.AUTHORITY)
    def set_condition(self, condition_id: str, *, active: bool, evidence: str) -> Change:
        with self._tx() as tx:
            row, moved = conditions.set_condition(
                tx, condition_id=condition_id, active=active, evidence=evidence
            )
            return Change(value=views.condition(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.ANALYST, Role.AUTHORITY)
    def record_event(
        self, *, kind: str, region: str, occurred_at: datetime, source: str = "", note: str = ""
    ) -> Change:
        with self._tx() as tx:
            row, moved = conditions.record_event(
                tx, kind=kind, region=region, occurred_at=occurred_at, source=source, note=note
            )
            return Change(value=views.event(row), moved=visibility.moved(self.principal, moved))

    @entitled(Role.ANALYST, Role.AUTHORITY)
    def refresh_conditions(self) -> Change:
        """Store what derived conditions are now, and move what their change moves.

        Whether any changed is read first without the writer lock: a server runs this every
        second, and most seconds nothing has.
        """
        with self._read() as session:
            stored = store_conditions.all_by_id(session)
            if not conditions.stale(session, stored, self.clock.now()):
                return Change(value={"conditions": [views.condition(r) for r in stored]})
        with self._tx() as tx:
            moved = conditions.refresh_conditions(tx)
            rows = store_conditions.all_by_id(tx.session)
            return Change(
                value={"conditions": [views.condition(r) for r in rows]},
                moved=visibility.moved(self.principal, moved),
            )

    @entitled(*INTERNAL)
    def conditions(self, page: Page | None = None) -> list[dict[str, Any]]:
        with self._read() as session:
            return [views.condition(r) for r in store_conditions.page(session, page)]

    @entitled(*INTERNAL)
    def events(self, page: Page | None = None) -> list[dict[str, Any]]:
        with self._read() as session:
            return [views.event(r) for r in store_conditions.events_page(session, page)]

    # -- release requests -----------------------------------------------------------------

    @entitled(Role.ANALYST)
    def request_release(self, item_id: str, *, recipient: str, purpose: str) -> dict[str, Any]:
        """Record and decide a release request, in a transaction it may share (``batch``)."""

        def work(tx: Transaction) -> dict[str, Any]:
            decided = releases.request_release(
                tx, item_id=item_id, recipient_id=recipient, purpose=purpose
            )
            return views.decided(decided)

        return self.context.releases.run(self._tx, self.actor, work)

    @entitled(*INTERNAL, Role.PARTNER)
    def requests(
        self,
        *,
        outcome: str | None = None,
        recipient: str | None = None,
        page: Page | None = None,
    ) -> list[dict[str, Any]]:
        """Release requests and the outcome that stands for each.

        A partner sees only its own releases that stand released and deliverable to it, never
        its held or denied requests, whatever filters it asks for.
        """
        with self._read() as session:
            own = visibility.requests(session, self.principal, page)
            if own is not None:
                return [views.request(r) for r in own]
            if outcome and outcome not in set(Outcome):
                raise UnknownValue(
                    f"unknown outcome '{outcome}'",
                    field="outcome",
                    hint=suggest(outcome, list(Outcome)),
                )
            rows = store_requests.page(session, page, outcome=outcome, recipient=recipient)
            return [views.request(r) for r in rows]

    @entitled(*INTERNAL)
    def held_queue(self, page: Page | None = None) -> list[dict[str, Any]]:
        """Held requests, oldest first, each with the reason it is held and since when.

        The reasons of a whole page are read in one query (each request's newest decision),
        not one query a row: this is the page a liaison officer keeps open.
        """
        now = self.clock.now()
        with self._read() as session:
            rows = store_requests.held_page(session, page)
            reasons = store_requests.newest_explanations(session, [row.id for row in rows])
            return [
                {
                    **views.request(row),
                    "reason": reasons[row.id],
                    "held_for_seconds": int((now - row.requested_at).total_seconds()),
                }
                for row in rows
            ]

    @entitled(*INTERNAL, Role.PARTNER)
    def request(self, request_id: int) -> dict[str, Any]:
        with self._read() as session:
            visibility.check_request(session, self.principal, request_id)
            row = store_requests.get(session, request_id)
            if row is None:
                raise RequestNotFound(f"no release request {request_id}", field="request_id")
            return views.request(row)

    @entitled(*INTERNAL)
    def decisions(self, request_id: int) -> list[dict[str, Any]]:
        with self._read() as session:
            if store_requests.get(session, request_id) is None:
                raise RequestNotFound(f"no release request {request_id}", field="request")
            rows = store_requests.decisions(session, request_id)
            return [views.decision(r) for r in rows]

    def ledger_size(self) -> int:
        with self._read() as session:
            return queries.ledger_size(session)

    # -- outcomes, simulation, reports ----------------------------------------------------

    @entitled(Role.ANALYST, Role.PARTNER)
    def report_outcome(
        self, report: OutcomeReport, *, signed: bool = False, signature: bytes | None = None
    ) -> Change:
        """Record an outcome; a breach suspends the partner at once (``moved`` shows it).

        ``signed``: the partner reports it itself, so its key signs it; always so for a
        partner, which reports outcomes of its own releases only.
        """
        who = self.principal
        visibility.acts_for(who, report.agency_id, what="reports outcomes")
        with self._tx() as tx:
            row, moved = outcomes.report_outcome(
                tx, report=report, signed=signed or who.is_partner, signature=signature
            )
            return Change(
                value=visibility.outcome(who, views.outcome(row)),
                moved=visibility.moved(who, moved),
            )

    @entitled(*INTERNAL, Role.PARTNER)
    def outcomes(
        self, agency_id: str | None = None, page: Page | None = None
    ) -> list[dict[str, Any]]:
        """Outcomes, of one agency if given; a partner sees only its own."""
        agency_id = visibility.agency_filter(self.principal, agency_id)
        with self._read() as session:
            rows = store_outcomes.page(session, page, agency_id=agency_id)
            return visibility.outcomes(self.principal, [views.outcome(r) for r in rows])

    @entitled(Role.AUTHORITY)
    def simulate_order(self, order: Order, *, start: datetime, end: datetime) -> dict[str, Any]:
        """What issuing ``order`` would change for the requests of [start, end); stores nothing."""
        with self._read() as session:
            return simulate.simulate(session, self.clock.now(), start=start, end=end, add=order)

    @entitled(Role.AUTHORITY)
    def simulate_lift(self, order_id: str, *, start: datetime, end: datetime) -> dict[str, Any]:
        """What lifting an order would change for the requests of [start, end)."""
        with self._read() as session:
            order = convert.order(lookup.order(session, order_id))
            return simulate.simulate(session, self.clock.now(), start=start, end=end, lift=order)

    @entitled(*INTERNAL)
    def decide_now(self, request_id: int) -> dict[str, Any]:
        """How a stored request would be decided now, without storing anything."""
        with self._read() as session:
            row = store_requests.get(session, request_id)
            if row is None:
                raise RequestNotFound(f"no release request {request_id}", field="request_id")
            state = queries.policy_state(
                session, self.clock.now(), item_ids=[row.item_id], agency_ids=[row.recipient_id]
            )
            return decide(releases.as_request(row), state).to_dict()

    @entitled(*INTERNAL)
    def partner_report(self, *, start: datetime, end: datetime) -> dict[str, Any]:
        with self._read() as session:
            return reports.partner_report(session, start, end)

    # -- partner feeds --------------------------------------------------------------------

    @entitled(Role.PARTNER)
    def feed_page(self, query: FeedQuery, *, deliver: bool = True) -> tuple[list[FeedRow], bool]:
        """One page of a partner's feed; the first fetch of a release records its delivery.

        Pages of already-delivered objects are plain reads. A page that delivers something
        for the first time is read again inside a write transaction, which on SQLite
        (BEGIN IMMEDIATE) and with the sequencer lock is serialised with every order: nothing
        is delivered that an order committed before it withholds.
        """
        visibility.check_feed(self.principal, query.partner_id)
        with self._read() as session:
            rows, more = store_feed.page(session, query)
            pending = [r.request_id for r in rows if r.request_id is not None]
            if not deliver or not store_feed.undelivered_requests(session, pending):
                return rows, more
        with self._tx() as tx:
            # An order whose period began since the last tick withholds before anything goes.
            periods.apply_order_periods(tx)
            rows, more = store_feed.page(tx.session, query)
            feed.record_delivery(tx, {r.request_id for r in rows if r.request_id is not None})
            return rows, more

    @entitled(Role.ANALYST)
    def recall(self, request_id: int, *, reason: str) -> dict[str, Any]:
        """Withdraw a release: delivered objects come back as revoked versions. An analyst
        recalls releases of items its own agency originated."""
        who = self.principal
        by_agency = who.agency_id if who.role == Role.ANALYST else None
        with self._tx() as tx:
            row = feed.recall(tx, request_id, reason, by_agency=by_agency)
            return {
                "request": row.request_id,
                "partner": row.partner_id,
                "status": row.status,
                "recalled_at": views.time(row.recalled_at),
            }

    @entitled()
    def trace(self, tokens: list[str]) -> list[dict[str, Any]]:
        with self._read() as session:
            return feed.trace(session, tokens)

    # -- API tokens -----------------------------------------------------------------------

    @entitled()
    def create_token(
        self,
        *,
        role: str,
        agency_id: str | None = None,
        authority_id: str | None = None,
        label: str = "",
    ) -> tuple[dict[str, Any], str]:
        """A new token: its record, and the secret, which is shown once and never stored."""
        with self._tx() as tx:
            row, secret = tokens.create_token(
                tx, role=role, agency_id=agency_id, authority_id=authority_id, label=label
            )
            return views.token(row), secret

    @entitled()
    def revoke_token(self, token_id: str) -> dict[str, Any]:
        with self._tx() as tx:
            return views.token(tokens.revoke_token(tx, token_id))

    @entitled()
    def tokens(self) -> list[dict[str, Any]]:
        with self._read() as session:
            return [views.token(r) for r in store_tokens.all_by_id(session)]

    def authenticate(self, secret: str) -> Principal:
        with self._read() as session:
            return tokens.authenticate(session, secret)

    # -- the audit log --------------------------------------------------------------------

    def log_verifier_key(self) -> str:
        with self._read() as session:
            stored = queries.setting(session, "log_verifier_key")
        if stored is None:
            raise audit.LogKeyMissing(
                "this store has no log key, so it publishes no checkpoints",
                hint="set GARANTE_LOG_KEY or GARANTE_LOG_KEY_FILE, or run `garante init`",
            )
        return str(stored)

    @entitled()
    def publish_checkpoint(self) -> audit.PublishedCheckpoint:
        return self.context.publish_checkpoint()

    def latest_checkpoint(self) -> audit.PublishedCheckpoint | None:
        with self._read() as session:
            row = store_ledger.latest_checkpoint(session)
            return audit.PublishedCheckpoint.from_row(row) if row else None

    def checkpoints(self) -> list[audit.PublishedCheckpoint]:
        with self._read() as session:
            return [
                audit.PublishedCheckpoint.from_row(r) for r in store_ledger.checkpoints(session)
            ]

    @entitled()
    def add_cosignature(self, size: int, line: str) -> audit.PublishedCheckpoint:
        with reachable(self.engine), self.sessions() as session, session.begin():
            return audit.add_cosignature(session, size, line)

    @entitled(*INTERNAL)
    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        with self._read() as session:
            return [
                {
                    "index": r.idx,
                    "kind": r.kind,
                    "entry": r.entry.decode(),
                    "leaf_hash": base64.b64encode(r.leaf_hash).decode(),
                }
                for r in store_ledger.entries(session, start, end)
            ]

    @entitled(*INTERNAL)
    def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        with self._read() as session:
            size = audit.check_size(session, size)
            audit.check_index(session, index, size)
            [row] = store_ledger.entries(session, index, index + 1)
            proof = store_ledger.inclusion_proof(session, index, size)
            return {
                "index": index,
                "size": size,
                "leaf_hash": row.leaf_hash,
                "entry": row.entry,
                "proof": proof,
            }

    @entitled(*INTERNAL)
    def consistency_proof(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        with self._read() as session:
            new_size = audit.check_size(session, new_size, field="new")
            if not 0 < old_size <= new_size:
                raise ValidationError(
                    f"old size {old_size} must be from 1 to the new size {new_size}", field="old"
                )
            return {
                "old_size": old_size,
                "new_size": new_size,
                "proof": store_ledger.consistency_proof(session, old_size, new_size),
            }

    @entitled()
    def receipt(self, index: int) -> dict[str, Any]:
        """A signed checkpoint covering entry ``index`` and the entry's inclusion proof in it."""
        checkpoint = self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= index:
            checkpoint = self.publish_checkpoint()
        proof = self.inclusion_proof(index, checkpoint.size)
        return {**proof, "checkpoint": checkpoint.note}

    @entitled()
    def verify_log(self, log_key: str | None = None) -> LogReport:
        key = VerifierKey.parse(log_key or self.log_verifier_key())
        with self._read() as session:
            return audit.verify_store(session, key)

    @entitled(*INTERNAL)
    def standing(self, agency_id: str) -> PartnerStanding:
        """Whether sharing with ``agency_id`` is open, conditional, held or suspended, and why.

        Not a partner's to read: a standing names the orders that reach the agency.
        """
        with self._read() as session:
            lookup.agency(session, agency_id, field="agency_id")
            state = queries.policy_state(
                session, self.clock.now(), item_ids=(), agency_ids=[agency_id]
            )
        return standing_of(state, agency_id)

    @entitled(*INTERNAL)
    def standings(self, page: Page | None = None) -> tuple[PartnerStanding, ...]:
        """The standing of every agency (or of a page of them), by id, from one snapshot."""
        with self._read() as session:
            agency_ids = None
            if page is not None:
                agency_ids = store_agencies.page_ids(session, page)
            state = queries.policy_state(
                session, self.clock.now(), item_ids=(), agency_ids=agency_ids
            )
        return standings_of(state)
