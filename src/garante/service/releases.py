"""Release requests: decide on arrival, and decide again whenever the held queue may move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from garante.domain.decision import Decision, Outcome
from garante.domain.events import ReleaseDecided, ReleaseRedecided, ReleaseRequested, RuleCited
from garante.domain.item import Item
from garante.domain.order import Scope
from garante.domain.parties import Agency
from garante.domain.request import ReleaseRequest
from garante.policy.decide import decide
from garante.policy.state import PolicyState
from garante.service import feed, lookup
from garante.service.transaction import Transaction
from garante.store import feed as stored_feed
from garante.store import requests
from garante.store.schema import RequestRow

Affects = Callable[[Agency, Item], bool]


def in_scopes(scopes: list[Scope]) -> Affects:
    """Held requests an order change can move: those inside any of the given scopes."""

    def affects(agency: Agency, item: Item) -> bool:
        return any(
            scope.matches(
                agency=agency.id, country=agency.country, category=item.category, region=item.region
            )
            for scope in scopes
        )

    return affects


@dataclass(frozen=True, kw_only=True)
class DecidedRequest:
    """A request with the decision that now stands for it, and what caused that decision."""

    request: ReleaseRequest
    decision: Decision
    previous: Outcome | None
    trigger: str
    decided_at: datetime


def request_release(
    tx: Transaction, *, item_id: str, recipient_id: str, purpose: str
) -> DecidedRequest:
    """Record a request and its decision; unknown item, agency or purpose store nothing."""
    session = tx.session
    tx.hold(lookup.item(session, item_id), lookup.agency(session, recipient_id, field="recipient"))
    tx.vocabulary.check("purposes", [purpose], field_name="purpose")
    row = requests.add(
        session,
        item_id=item_id,
        recipient_id=recipient_id,
        purpose=purpose,
        requested_by=tx.actor,
        at=tx.now,
    )
    request = as_request(row)
    tx.audit(
        ReleaseRequested(request=row.id, item=item_id, recipient=recipient_id, purpose=purpose)
    )
    # A release changes no order, condition or event, so the requests of one transaction
    # (``service.batch``) share what those are now.
    state = tx.policy_state(item_ids=[item_id], agency_ids=[recipient_id], reuse_standing=True)
    decision = decide(request, state)
    return _store(tx, row, request, decision, None, "request", ReleaseDecided)


@dataclass(frozen=True, kw_only=True)
class Redecided:
    """What a change moved in the same transaction: the held requests it decided again, and
    the undelivered releases it withheld from their partners' feeds or made available again."""

    moved: list[DecidedRequest]
    enforced: list[feed.Enforcement]


def redecide_held(
    tx: Transaction, *, trigger: str, affects: Affects | None, changed_only: bool = False
) -> list[DecidedRequest]:
    """The held requests the change moved (``redecide``), for callers that report no more."""
    return redecide(tx, trigger=trigger, affects=affects, changed_only=changed_only).moved


def redecide(
    tx: Transaction, *, trigger: str, affects: Affects | None, changed_only: bool = False
) -> Redecided:
    """Decide again every held request the change may affect, storing each new decision.

    Runs inside the transaction of the change that triggered it, so no reader ever sees the
    order issued but the queue not yet moved. Releases not yet delivered are enforced again in
    the same pass: a change that would now hold or deny them withholds them from the feed.
    With ``changed_only``, a request still held is left as it is: what the clock moves (an
    order's period) stores only decisions that change, so a repeated tick writes nothing.
    """
    session = tx.session
    rows = requests.held(session)
    pending = stored_feed.undelivered(session)
    if not rows and not pending:
        return Redecided(moved=[], enforced=[])
    involved = [*rows, *(request for _, request in pending)]
    state = tx.policy_state(
        item_ids={row.item_id for row in involved},
        agency_ids={row.recipient_id for row in involved},
    )
    enforced = feed.enforce_many(
        tx,
        [
            (release, as_request(request))
            for release, request in pending
            if _in_scope(state, request, affects)
        ],
        state,
        trigger,
    )
    moved = [
        redecided
        for row in rows
        if (redecided := _redecide(tx, row, state, trigger, affects, changed_only)) is not None
    ]
    return Redecided(moved=moved, enforced=enforced)


def _in_scope(state: PolicyState, row: RequestRow, affects: Affects | None) -> bool:
    agency = state.agencies.get(row.recipient_id)
    item = state.items.get(row.item_id)
    if agency is None or item is None:
        return False
    return affects is None or affects(agency, item)


def _redecide(
    tx: Transaction,
    row: RequestRow,
    state: PolicyState,
    trigger: str,
    affects: Affects | None,
    changed_only: bool,
) -> DecidedRequest | None:
    if not _in_scope(state, row, affects):
        return None
    request = as_request(row)
    decision = decide(request, state)
    if changed_only and decision.outcome == Outcome.HELD:
        return None
    return _store(tx, row, request, decision, Outcome.HELD, trigger, ReleaseRedecided)


def _store(
    tx: Transaction,
    row: RequestRow,
    request: ReleaseRequest,
    decision: Decision,
    previous: Outcome | None,
    trigger: str,
    logged_as: type[ReleaseDecided | ReleaseRedecided],
) -> DecidedRequest:
    row.outcome = decision.outcome.value
    row.undertaking_id = decision.undertaking_id
    row.decided_at = tx.now
    requests.add_decision(tx.session, row.id, decision, trigger=trigger, at=tx.now)
    tx.audit(
        logged_as(
            request=row.id,
            outcome=decision.outcome,
            previous=previous,
            undertaking=decision.undertaking_id,
            state_version=decision.state_version,
            trigger=trigger,
            rules=RuleCited.of(decision.rules),
        )
    )
    if decision.outcome == Outcome.RELEASED:  # after its decision: ``release.marked`` follows
        feed.materialize(tx, row, decision, new_request=previous is None)
    return DecidedRequest(
        request=request, decision=decision, previous=previous, trigger=trigger, decided_at=tx.now
    )


def as_request(row: RequestRow) -> ReleaseRequest:
    return ReleaseRequest(
        id=row.id,
        item_id=row.item_id,
        recipient_id=row.recipient_id,
        purpose=row.purpose,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
    )
