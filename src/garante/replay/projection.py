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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from garante.domain.condition import Condition, ConditionRule, Event, condition_active
from garante.domain.decision import Outcome
from garante.domain.item import Item
from garante.domain.order import Order, Requirement, Scope
from garante.domain.parties import Agency, Authority
from garante.domain.snapshot import OrderIndex, PolicyState
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Vocabulary
from garante.replay.entries import LoggedEntry, instant


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
    statement: Mapping[str, Any]


@dataclass(kw_only=True)
class LoggedKey:
    """Where an agency's key came from: the entry that installed it, and whether that entry
    was a recovery (signed by an authority, not by the key before it)."""

    entry: int
    recovered_by: str | None


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
    settings: dict[str, str | None] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
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
        )

    def superiors_of(self, authority: str) -> set[str]:
        """The authorities configured, at this point of the log, as superior to ``authority``."""
        return {s for s, over in self.superior_over.items() if authority in over}

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
        handler = _APPLY.get(entry.kind)
        if handler is not None and handler(self, entry):
            self.policy_version = entry.index + 1
            self._index = None
            self._by_agency = None
        self.size = entry.index + 1


def _agency_registered(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    p.agencies[d["agency"]] = Agency(
        id=d["agency"],
        name=d["name"],
        country=d["country"],
        domestic=bool(d["domestic"]),
        requires_undertaking=bool(d["requires_undertaking"]),
        public_key=key_bytes(d["public_key"]),
    )
    if d["public_key"] is not None:
        p.agency_keys[d["agency"]] = LoggedKey(entry=e.index, recovered_by=None)
    return True


def _agency_key_set(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    agency = p.agencies.get(d["agency"])
    if agency is not None:
        p.agencies[agency.id] = replace(agency, public_key=key_bytes(d["public_key"]))
        p.agency_keys[agency.id] = LoggedKey(entry=e.index, recovered_by=d.get("recovered_by"))
    return True


def _authority_registered(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    p.authorities[d["authority"]] = Authority(
        id=d["authority"], name=d["name"], public_key=key_bytes(d["public_key"])
    )
    return False


def _authority_key_set(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    authority = p.authorities.get(d["authority"])
    if authority is not None:
        p.authorities[authority.id] = replace(authority, public_key=key_bytes(d["public_key"]))
    return False


def _authority_superior_set(p: Projection, e: LoggedEntry) -> bool:
    p.superior_over[e.data["authority"]] = frozenset(e.data["over"])
    return False


def _item_added(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    p.items[d["item"]] = Item(
        id=d["item"],
        title="",
        category=d["category"],
        region=d["region"],
        tlp=d["tlp"],
        originator=d["originator"],
        releasable_to=frozenset(d["releasable_to"]),
    )
    p.commitments[d["item"]] = d["content_commitment"]
    return True


def undertaking_of(statement: Mapping[str, Any], *, signed: bool) -> Undertaking:
    """The undertaking a signed statement (``garante.undertaking/v1``) states."""
    until = statement.get("valid_until")
    return Undertaking(
        id=statement["id"],
        agency_id=statement["agency"],
        permits=frozenset(statement["permits"]),
        prohibits=frozenset(statement["prohibits"]),
        protections=frozenset(statement["protections"]),
        categories=frozenset(statement["categories"]),
        valid_from=instant(statement["valid_from"]),
        valid_until=instant(until) if until else None,
        signed=signed,
    )


def _undertaking_signed(p: Projection, e: LoggedEntry) -> bool:
    statement = e.data["statement"]
    undertaking = undertaking_of(statement, signed=e.data["signature"] is not None)
    p.undertakings[undertaking.id] = undertaking
    p.undertaking_keys[undertaking.id] = p.agency_keys.get(undertaking.agency_id)
    return True


def _undertaking_revoked(p: Projection, e: LoggedEntry) -> bool:
    found = p.undertakings.get(e.data["undertaking"])
    if found is not None:
        p.undertakings[found.id] = replace(found, revoked_at=e.at)
    return True


def order_of(statement: Mapping[str, Any], *, sequence: int) -> Order:
    """The order a signed statement (``garante.order/v1``) states."""
    until = statement.get("valid_until")
    return Order(
        id=statement["id"],
        authority_id=statement["authority"],
        effect=statement["effect"],
        scope=Scope.from_dict(dict(statement["scope"])),
        valid_from=instant(statement["valid_from"]),
        valid_until=instant(until) if until else None,
        while_condition=statement.get("while_condition"),
        exempts=frozenset(statement.get("exempts") or ()),
        requires=Requirement.from_dict(dict(statement.get("requires") or {})),
        reason=statement.get("reason") or "",
        version=int(statement["version"]),
        sequence=sequence,
    )


def _order_issued(p: Projection, e: LoggedEntry) -> bool:
    statement = e.data["statement"]
    p.orders[statement["id"]] = LoggedOrder(
        order=order_of(statement, sequence=len(p.orders) + 1),
        signed=e.data["signature"] is not None,
    )
    return True


def _order_amended(p: Projection, e: LoggedEntry) -> bool:
    statement = e.data["statement"]
    current = p.orders.get(statement["id"])
    if current is not None:
        current.order = order_of(statement, sequence=current.order.sequence)
        current.signed = e.data["signature"] is not None
    return True


def _order_lifted(p: Projection, e: LoggedEntry) -> bool:
    statement = e.data["statement"]
    current = p.orders.get(statement["id"])
    if current is not None:
        current.order = replace(current.order, lifted_at=e.at, version=int(statement["version"]))
    return True


def _condition_defined(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    rule = ConditionRule(**d["rule"]) if d["rule"] else None
    p.conditions[d["condition"]] = Condition(
        id=d["condition"], rule=rule, manual_active=bool(d["active"]), evidence=d["evidence"]
    )
    p.recorded_active[d["condition"]] = bool(d["active"])
    return True


def _condition_changed(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    found = p.conditions.get(d["condition"])
    if found is not None:
        p.recorded_active[found.id] = bool(d["active"])
    if found is None or found.rule is not None:
        return False  # a derived condition's state follows its events, not this entry
    p.conditions[found.id] = replace(found, manual_active=bool(d["active"]), evidence=d["evidence"])
    return True


def _event_recorded(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    p.events[int(d["event"])] = Event(
        kind=d["kind"],
        region=d["region"],
        occurred_at=instant(d["occurred_at"]),
        source=d.get("source") or "",
    )
    p.event_reporters[int(d["event"])] = (d.get("agency"), d.get("signature") is not None)
    return True


def _release_requested(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    request = int(d["request"])
    p.requests[request] = LoggedRequest(
        id=request, item=d["item"], recipient=d["recipient"], purpose=d["purpose"]
    )
    return False


def _release_decided(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    request = p.requests.get(int(d["request"]))
    if request is not None:
        request.outcome = Outcome(d["outcome"])
        request.undertaking = d["undertaking"]
        request.decisions += 1
        request.withheld = False
    return False


def _release_withheld(p: Projection, e: LoggedEntry) -> bool:
    request = p.requests.get(int(e.data["request"]))
    if request is not None:
        request.withheld = True
    return False


def _release_available(p: Projection, e: LoggedEntry) -> bool:
    request = p.requests.get(int(e.data["request"]))
    if request is not None:
        request.withheld = False
    return False


def _release_delivered(p: Projection, e: LoggedEntry) -> bool:
    request = p.requests.get(int(e.data["request"]))
    if request is not None:
        request.delivered = True
    return False


def _release_recalled(p: Projection, e: LoggedEntry) -> bool:
    request = p.requests.get(int(e.data["request"]))
    if request is not None:
        request.recalled = True
    return False


def _settings_changed(p: Projection, e: LoggedEntry) -> bool:
    p.settings[e.data["setting"]] = e.data["value"]
    return False


def _outcome_reported(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    statement = d["statement"]
    p.outcomes[int(d["outcome"])] = LoggedOutcome(
        id=int(d["outcome"]),
        request=int(statement["release"]),
        agency=statement["agency"],
        breach=bool(d["breach"]),
        reasons=tuple(d["reasons"]),
        statement=statement,
    )
    return False


def _token_created(p: Projection, e: LoggedEntry) -> bool:
    d = e.data
    p.tokens[d["token"]] = LoggedToken(
        id=d["token"], role=d["role"], agency=d["agency"], authority=d["authority"]
    )
    return False


def _token_revoked(p: Projection, e: LoggedEntry) -> bool:
    token = p.tokens.get(e.data["token"])
    if token is not None:
        token.revoked = True
    return False


_APPLY: dict[str, Callable[[Projection, LoggedEntry], bool]] = {
    "agency.registered": _agency_registered,
    "agency.key-set": _agency_key_set,
    "authority.registered": _authority_registered,
    "authority.key-set": _authority_key_set,
    "authority.superior-set": _authority_superior_set,
    "item.added": _item_added,
    "undertaking.signed": _undertaking_signed,
    "undertaking.revoked": _undertaking_revoked,
    "order.issued": _order_issued,
    "order.amended": _order_amended,
    "order.lifted": _order_lifted,
    "condition.defined": _condition_defined,
    "condition.changed": _condition_changed,
    "event.recorded": _event_recorded,
    "release.requested": _release_requested,
    "release.decided": _release_decided,
    "release.redecided": _release_decided,
    "release.withheld": _release_withheld,
    "release.available": _release_available,
    "release.delivered": _release_delivered,
    "release.recalled": _release_recalled,
    "settings.changed": _settings_changed,
    "outcome.reported": _outcome_reported,
    "token.created": _token_created,
    "token.revoked": _token_revoked,
}
"""How each kind of entry changes the state; True when it changes what ``decide`` reads."""

KINDS: Sequence[str] = tuple(_APPLY)
