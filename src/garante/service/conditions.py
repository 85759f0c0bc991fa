"""Conditions and the events they are derived from; orders ``while_condition`` follow them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from garante.domain.condition import ConditionRule, Event, condition_statement
from garante.domain.condition import event_statement as event_statement_of
from garante.domain.errors import AlreadyExists, InvalidState, UnknownValue, ValidationError
from garante.domain.events import ConditionChanged, ConditionDefined, EventRecorded
from garante.domain.numbers import MAX_EVENTS, MAX_WINDOW_DAYS
from garante.domain.order import Scope
from garante.domain.timeutil import iso
from garante.domain.vocabulary import suggest
from garante.service import lookup
from garante.service.passkeys import check_signed
from garante.service.releases import DecidedRequest, in_scopes, redecide_held
from garante.service.transaction import Reading, Transaction
from garante.signatures import canonical, check_signature, encode_signature
from garante.store import conditions, convert, orders, queries
from garante.store.schema import ConditionRow, EventRow
from garante.store.session import flush


def define_condition(
    tx: Transaction,
    *,
    condition_id: str,
    description: str,
    rule: ConditionRule | None,
    active: bool = False,
    evidence: str = "",
) -> ConditionRow:
    """A condition is either set by hand (``active``) or derived from events (``rule``)."""
    session = tx.session
    lookup.slug(condition_id, field="id")
    if conditions.get(session, condition_id) is not None:
        raise AlreadyExists(f"condition '{condition_id}' already exists", field="id")
    if rule is not None:
        tx.vocabulary.check("regions", [rule.region], field_name="rule.region")
        if not 1 <= rule.min_events <= MAX_EVENTS:
            raise ValidationError(
                f"min_events must be from 1 to {MAX_EVENTS}", field="rule.min_events"
            )
        if not 1 <= rule.window_days <= MAX_WINDOW_DAYS:
            raise ValidationError(
                f"window_days must be from 1 to {MAX_WINDOW_DAYS}", field="rule.window_days"
            )
        lookup.slug(rule.kind, field="rule.kind")
    row = conditions.add(
        session,
        condition_id=condition_id,
        description=description,
        rule=None if rule is None else rule.__dict__.copy(),
        manual_active=active if rule is None else False,
        evidence=evidence,
        at=tx.now,
    )
    row.active = queries.condition_is_active(session, convert.condition(row), tx.now)
    tx.audit(
        ConditionDefined(condition=condition_id, rule=rule, active=row.active, evidence=evidence)
    )
    return row


def set_statement(
    tx: Reading, *, condition_id: str, active: bool, evidence: str, authority_id: str
) -> dict[str, str | bool]:
    """What ``authority_id`` signs to set a hand-kept condition; checked, nothing stored."""
    row = lookup.condition(tx.session, condition_id)
    if row.rule is not None:
        raise InvalidState(
            f"condition '{condition_id}' is derived from events; record events instead",
            field="id",
        )
    if not evidence.strip():
        raise ValidationError("give the evidence for the change", field="evidence")
    lookup.authority(tx.session, authority_id)
    return condition_statement(
        condition_id, active=active, evidence=evidence.strip(), authority_id=authority_id
    )


def set_condition(
    tx: Transaction,
    *,
    condition_id: str,
    active: bool,
    evidence: str,
    authority_id: str,
    signature: bytes | None,
) -> tuple[ConditionRow, list[DecidedRequest]]:
    """Set a hand-kept condition on an authority's signed word, with the evidence for it.

    The entry keeps the statement and its signature; a set that changes nothing of the
    condition's state is logged too, since its evidence is stored.
    """
    statement = set_statement(
        tx,
        condition_id=condition_id,
        active=active,
        evidence=evidence,
        authority_id=authority_id,
    )
    authority = lookup.authority(tx.session, authority_id)
    check_signed(  # an authority that signs with a passkey alone must sign here too
        tx.session,
        signer=authority_id,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
        assertion=None,
    )
    row = lookup.condition(tx.session, condition_id)
    row.manual_active = active
    row.evidence = evidence.strip()
    signed = _Signed(
        statement=statement, signature=encode_signature(signature) if signature else None
    )
    return row, _refresh_one(tx, row, evidence.strip(), signed=signed)


def event_statement(tx: Reading, event: Event, *, agency_id: str) -> dict[str, str]:
    """What ``agency_id`` signs to report ``event``; checked, nothing stored.

    The time is signed to the second, as ``iso`` writes it.
    """
    lookup.slug(event.kind, field="kind")
    _check_counted(tx, event.kind)
    tx.vocabulary.check("regions", [event.region], field_name="region")
    if event.occurred_at > tx.now:
        raise ValidationError(
            f"the event is dated {iso(event.occurred_at)}, after now ({iso(tx.now)})",
            field="occurred_at",
            hint="record events once they have happened",
        )
    lookup.agency(tx.session, agency_id)
    return event_statement_of(
        kind=event.kind,
        region=event.region,
        occurred_at=event.occurred_at,
        source=event.source,
        note=event.note,
        agency_id=agency_id,
    )


def _check_counted(tx: Reading, kind: str) -> None:
    """An event is recorded for the derived conditions that count its kind: one of a kind no
    condition counts changes nothing, and is most often a typo ('vesel-strike') of a kind
    that one does, which would then be missing from its count without anyone knowing."""
    counted = {
        str(row.rule["kind"])
        for row in conditions.all_by_id(tx.session)
        if row.rule and "kind" in row.rule
    }
    if kind not in counted:
        raise UnknownValue(
            f"no condition counts events of kind '{kind}'",
            field="kind",
            hint=suggest(kind, counted)
            if counted
            else "define a condition that counts this kind first (garante conditions add "
            "ID --kind KIND --region REGION)",
        )


def record_event(
    tx: Transaction, event: Event, *, agency_id: str, signature: bytes | None = None
) -> tuple[EventRow, list[DecidedRequest]]:
    """Record an event on its reporting agency's word, signed with its key if it has one.

    The entry keeps the statement and its signature, so the log alone shows who reported
    each event a derived condition counts.
    """
    event = replace(event, occurred_at=event.occurred_at.replace(microsecond=0))  # as signed
    statement = event_statement(tx, event, agency_id=agency_id)
    agency = lookup.agency(tx.session, agency_id)
    check_signature(
        signer=agency_id, public_key=agency.public_key, statement=statement, signature=signature
    )
    row = conditions.add_event(
        tx.session,
        event,
        agency_id=agency_id,
        statement=canonical(statement).decode(),
        signature=signature,
        at=tx.now,
    )
    tx.audit(
        EventRecorded(
            event=row.id,
            kind=event.kind,
            region=event.region,
            occurred_at=event.occurred_at,
            source=event.source,
            agency=agency_id,
            statement=statement,
            signature=encode_signature(signature) if signature else None,
        )
    )
    return row, refresh_conditions(tx)


def refresh_conditions(tx: Transaction) -> list[DecidedRequest]:
    """Re-evaluate every condition at ``tx.now``; those that changed move the held queue.

    Derived conditions lapse on their own as time passes, so this runs on every event and on
    each tick of the clock (``garante conditions refresh``).
    """
    moved: list[DecidedRequest] = []
    for row in conditions.all_by_id(tx.session):
        moved.extend(_refresh_one(tx, row, "re-evaluated from events"))
    return moved


def stale(session: Session, rows: Iterable[ConditionRow], now: datetime) -> bool:
    """Whether any of the conditions' stored state differs from what its events say at ``now``.

    A read: ``garante serve`` asks every second, and a refresh that would change nothing
    should not queue behind other writers for the lock.
    """
    return any(
        queries.condition_is_active(session, convert.condition(row), now) != row.active
        for row in rows
    )


@dataclass(frozen=True, kw_only=True)
class _Signed:
    statement: dict[str, str | bool]
    signature: str | None


def _refresh_one(
    tx: Transaction, row: ConditionRow, evidence: str, *, signed: _Signed | None = None
) -> list[DecidedRequest]:
    """Store what the condition is now; a change is logged with its proof.

    The entry names the orders the change starts or stops (those in force ``while`` the
    condition holds, in their window now) and, for a derived condition, the events its rule
    counts now: at least ``min_events`` of them once active, fewer once inactive.
    """
    session = tx.session
    flush(session)
    condition = convert.condition(row)
    active = queries.condition_is_active(session, condition, tx.now)
    if active == row.active:
        if signed is not None:  # the evidence changed on an authority's word: logged as such
            tx.audit(
                ConditionChanged(
                    condition=row.id,
                    active=active,
                    evidence=evidence,
                    statement=signed.statement,
                    signature=signed.signature,
                )
            )
        return []
    row.active = active
    row.changed_at = tx.now
    following = list(orders.while_condition(session, row.id))
    counted = (
        () if condition.rule is None else queries.counted_events(session, condition.rule, tx.now)
    )
    tx.audit(
        ConditionChanged(
            condition=row.id,
            active=active,
            evidence=evidence,
            statement=signed.statement if signed else None,
            signature=signed.signature if signed else None,
            events=tuple(event.id for event in counted),
            orders=tuple(sorted(o.id for o in following if convert.order(o).in_window(tx.now))),
        )
    )
    flush(session)
    scopes = [Scope.from_dict(order.scope) for order in following]

    state = "active" if active else "inactive"
    return redecide_held(
        tx, trigger=f"condition {row.id} became {state}", affects=in_scopes(scopes)
    )
