"""Partner feeds: what each partner may be delivered now, as STIX, marked and traceable.

A release puts the item's objects in the recipient's feed, marked with TLP 2.0, the terms of the
undertaking it was made under, and a per-release trace token. Until a partner fetches them they
stay under continuous enforcement: any change that makes ``decide`` stop releasing the request
(an order, a condition, a revoked undertaking) withholds them in the same transaction, and a
later change that releases it again makes them available with a new ``date_added``, so a client
resuming from its last ``date_added`` still gets them. Once delivered, only a recall withdraws:
the feed then carries revoked versions.

Receipts: each release logs ``release.marked`` (``mark_release``), naming its partner, trace
token and each object's id and content digest, and every copy's trace extension names that
entry's index and the log's origin, written into the body once, when it is stored. The
checkpoint covering it is not in the body (bodies are never re-encoded per fetch): the receipt
route gives the latest one, published then if none covers the entry yet (``ledger.delivery``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from garante import records
from garante.canonical import canonical
from garante.domain.decision import Decision, Outcome
from garante.domain.errors import InvalidState, NotEntitled, NotFound, ValidationError
from garante.domain.events import (
    DeliveredObject,
    ReleaseAvailable,
    ReleaseDelivered,
    ReleaseMarked,
    ReleaseRecalled,
    ReleaseWithheld,
    RuleCited,
)
from garante.domain.recalldeadline import check_within
from garante.domain.request import ReleaseRequest
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey
from garante.policy.decide import decide
from garante.policy.state import PolicyState
from garante.service.trace_tokens import new_trace_tokens
from garante.service.transaction import Transaction
from garante.stix import markings
from garante.stix.markings import StixObject
from garante.store import agreements as store_agreements
from garante.store import convert, items, queries, requests, undertakings
from garante.store import feed as stored
from garante.store import sources as store_sources
from garante.store.feed import AVAILABLE, RECALLED, TICK, WITHDRAWN, WITHHELD
from garante.store.schema import FeedObjectRow, FeedReleaseRow, ItemRow, RequestRow
from garante.store.session import flush

OPERATOR = "Garante operator"


class ReleaseNotInFeed(NotFound):
    code = "release.not_in_feed"


def release_markings(
    tlp: Tlp, undertaking: Undertaking | None
) -> tuple[list[StixObject], list[str]]:
    """The support objects a release needs in its partner's feed (the operator's identity, the
    trace extension's definition, the TLP marking and the undertaking's statement), and the
    ids of the markings its objects carry."""
    identity = markings.operator_identity(OPERATOR)
    identity_id = markings.object_id(identity)
    support: list[StixObject] = [
        identity,
        markings.trace_extension_definition(identity_id),
        markings.tlp_marking(tlp),
    ]
    marking_ids = [markings.TLP2_MARKING_IDS[tlp]]
    if undertaking is not None:
        statement = markings.statement_marking(undertaking, identity_id)
        support.append(statement)
        marking_ids.append(markings.object_id(statement))
    return support, marking_ids


def _marked(
    session: Session,
    item: ItemRow,
    undertaking_id: str | None,
    token: str,
    entry: markings.LogEntryRef | None,
) -> tuple[list[StixObject], list[StixObject]]:
    """The support objects a release needs, and the item's objects marked for it."""
    row = undertakings.get(session, undertaking_id) if undertaking_id else None
    undertaking = convert.undertaking(row) if row is not None else None
    support, marking_ids = release_markings(Tlp(item.tlp), undertaking)
    bundle = json.loads(item.bundle)
    return support, [markings.mark(obj, marking_ids, token, entry) for obj in bundle["objects"]]


# -- receipts: the entry that releases names the objects; the objects name the entry ---------


def delivered_objects(objects: list[StixObject]) -> tuple[DeliveredObject, ...]:
    """What a release entry says of an item's objects: each traced object's id and digest."""
    return tuple(
        DeliveredObject(id=markings.object_id(obj), digest=markings.content_digest(obj))
        for obj in objects
        if markings.is_marked(obj)
    )


def log_origin(session: Session) -> str | None:
    """The origin line of the log's checkpoints (its key's name), if the store has a key."""
    stored_key = queries.setting(session, queries.LOG_VERIFIER_KEY)
    if stored_key is None:
        return None
    return _origin(str(stored_key))


@lru_cache(maxsize=8)
def _origin(stored_key: str) -> str | None:
    """The name of a stored verifier key: parsed once per key, not once per release."""
    try:
        return VerifierKey.parse(stored_key).name
    except LedgerError:
        return None


def _item(session: Session, request: RequestRow) -> ItemRow:
    item = items.get(session, request.item_id)
    if item is None:  # the request was validated; a missing item means a damaged store
        raise InvalidState(f"item {request.item_id} of request {request.id} is missing")
    return item


def mark_release(
    tx: Transaction, request_id: int, partner: str, objects: list[StixObject]
) -> tuple[str, int]:
    """A new release's trace token, and the index of the ``release.marked`` entry, logged
    here, that names it and the item's ``objects``: the entry its delivered copies name."""
    [token] = new_trace_tokens(1, tx.now, tx.tokens)
    return token, log_marked(tx, request_id, partner, token, objects)


def log_marked(
    tx: Transaction, request_id: int, partner: str, token: str, objects: list[StixObject]
) -> int:
    """Log the ``release.marked`` entry naming a release's ``objects`` under its trace
    ``token``; its index. A release is marked when it is made, and again, with the same token,
    each time its item takes a new version."""
    return tx.audit(
        ReleaseMarked(
            request=request_id, partner=partner, trace=token, objects=delivered_objects(objects)
        )
    )


def materialize(
    tx: Transaction, request: RequestRow, decision: Decision, *, new_request: bool
) -> None:
    """Put a released request's objects in its recipient's feed (once per request), marked
    with a new trace token and naming the ``release.marked`` entry logged for them.

    A request made in this transaction (``new_request``) cannot be in the feed yet, so that is
    not looked up.
    """
    if not new_request and stored.release(tx.session, request.id) is not None:
        return
    item = _item(tx.session, request)
    token, entry = mark_release(
        tx, request.id, request.recipient_id, json.loads(item.bundle)["objects"]
    )
    materialize_marked(tx, request, decision, token=token, entry=entry)


def materialize_marked(
    tx: Transaction, request: RequestRow, decision: Decision, *, token: str, entry: int
) -> None:
    """Put a released request's objects in its recipient's feed, marked with ``token`` and
    naming ``entry``, the index of its ``release.marked`` entry (``mark_release``).

    Objects the partner already holds (the same item released before, for another purpose)
    are not sent twice: the new release then shares their delivery state.
    """
    session = tx.session
    partner = request.recipient_id
    released_by = markings.LogEntryRef(entry, log_origin(session))
    support, objects = _marked(
        session, _item(session, request), decision.undertaking_id, token, released_by
    )
    release = stored.add_release(
        session,
        request_id=request.id,
        partner_id=partner,
        trace_token=token,
        undertaking_id=decision.undertaking_id,
        at=tx.now,
    )
    # What the partner holds but is not served (a release withdrawn before delivery, or one
    # an order withholds) is this release's now: the same versions, served again, later.
    # Without this, the new release would find them "present", add nothing, and never reach
    # the partner.
    hidden = stored.hidden_latest(session, partner, [markings.object_id(obj) for obj in objects])
    for row, added in zip(
        hidden, stored.next_dates(session, partner, len(hidden), tx.now), strict=True
    ):
        row.request_id, row.visible, row.date_added = request.id, True, added
    present = stored.present(
        session, partner, [markings.object_id(obj) for obj in (*support, *objects)]
    )
    # A definition the item itself carries (an upstream's TLP 2.0 marking) goes as the item's
    # object, not a second time as support.
    own = {markings.object_id(obj) for obj in objects}
    new: list[tuple[int | None, StixObject]] = [
        (None, obj)
        for obj in support
        if markings.object_id(obj) not in present and markings.object_id(obj) not in own
    ]
    fresh = [obj for obj in objects if markings.object_id(obj) not in present]
    if objects and not fresh:
        release.delivered_at = stored.covering_delivery(
            session, partner, [markings.object_id(obj) for obj in objects]
        )
    new += [(request.id, obj) for obj in fresh]
    for (request_id, obj), added in zip(
        new, stored.next_dates(session, partner, len(new), tx.now), strict=True
    ):
        _add(session, partner, request_id, obj, added)
    flush(session)


def _add(
    session: Session, partner: str, request_id: int | None, obj: StixObject, added: datetime
) -> FeedObjectRow:
    return stored.add_object(
        session,
        partner_id=partner,
        request_id=request_id,
        object_id=markings.object_id(obj),
        object_type=str(obj["type"]),
        version=markings.version_of(obj),
        date_added=added,
        body=canonical(obj).decode(),
    )


@dataclass(frozen=True, kw_only=True)
class Enforcement:
    """An undelivered release a change enforced again: ``withheld`` from its partner's feed
    (``decide`` no longer releases it), or made available there again; with the decision that
    says so, and the change that caused it."""

    request: ReleaseRequest
    decision: Decision
    withheld: bool
    trigger: str
    at: datetime


def enforce(
    tx: Transaction,
    feed: FeedReleaseRow,
    request: ReleaseRequest,
    state: PolicyState,
    trigger: str,
) -> Enforcement | None:
    """Withhold or restore one release under enforcement, as ``decide`` now says; what
    changed, or None if its place in the feed stands (``enforce_many`` for one release)."""
    enforced = enforce_many(tx, [(feed, request)], state, trigger)
    return enforced[0] if enforced else None


def enforce_many(
    tx: Transaction,
    releases: Iterable[tuple[FeedReleaseRow, ReleaseRequest]],
    state: PolicyState,
    trigger: str,
) -> list[Enforcement]:
    """Withhold or restore releases under enforcement, as ``decide`` now says of each: what
    changed, in the order given, each logged in that order.

    A delivered release is withheld only by a new version of its item (``withhold_version``):
    restored, its partner gets the item's version now, as a revision that stood would have
    sent it; what it fetched before is never hidden.

    An undelivered release's objects are hidden or shown again together with the others'
    (``_Pending``): an order withholding thousands of releases sent two statements for each,
    its status flushed before the next one's objects were read. What reads the feed for one
    release (a revision, new terms) first writes what the releases before it changed, so each
    sees the feed as the one-by-one pass left it, and dates come out in the same order.
    """
    session = tx.session
    pending = _Pending()
    done: list[Enforcement] = []
    for feed, request in releases:
        decision = decide(request, state)
        wanted = AVAILABLE if decision.outcome == Outcome.RELEASED else WITHHELD
        if wanted == feed.status:
            continue
        if feed.delivered_at is not None:
            if wanted == WITHHELD:  # delivered and served: only a recall withdraws it
                continue
            pending.write(tx)
            feed.status, feed.available_at = AVAILABLE, tx.now
            feed.undertaking_id = decision.undertaking_id
            asked = requests.get(session, feed.request_id)
            if asked is not None:
                held = [
                    json.loads(kept.body) for kept in stored.latest_objects_of(session, asked.id)
                ]
                revise(tx, feed, _item(session, asked), held)
        elif wanted == WITHHELD:
            feed.status = WITHHELD
            pending.hidden.append(feed.request_id)
        else:
            feed.status, feed.available_at = AVAILABLE, tx.now
            if decision.undertaking_id != feed.undertaking_id:
                pending.write(tx)
                _remark(tx, feed, request, decision.undertaking_id)
            pending.shown.append(feed)
        done.append(_enforced(tx, feed, request, decision, trigger))
    pending.write(tx)
    return done


@dataclass
class _Pending:
    """Undelivered releases whose objects are still to be hidden (by request id) or shown
    again, in the order they were enforced."""

    hidden: list[int] = field(default_factory=list)
    shown: list[FeedReleaseRow] = field(default_factory=list)

    def write(self, tx: Transaction) -> None:
        """Hide and show what is pending: shown objects take the next dates of their
        partner's feed, release after release in the order given, each release's in feed
        order, as ``next_dates`` called once per release gave them."""
        session = tx.session
        if self.hidden:
            stored.hide_objects_of(session, self.hidden)
        if self.shown:
            rows = stored.objects_of_many(session, [feed.request_id for feed in self.shown])
            starts = stored.first_dates(
                session, {feed.partner_id for feed in self.shown if feed.request_id in rows}, tx.now
            )
            taken = dict.fromkeys(starts, 0)
            for feed in self.shown:
                for row in rows.get(feed.request_id, ()):
                    row.visible = True
                    row.date_added = starts[feed.partner_id] + TICK * taken[feed.partner_id]
                    taken[feed.partner_id] += 1
        self.hidden, self.shown = [], []


def _enforced(
    tx: Transaction,
    feed: FeedReleaseRow,
    request: ReleaseRequest,
    decision: Decision,
    trigger: str,
) -> Enforcement:
    """Log the release's new place in its partner's feed (its status already set)."""
    withheld = feed.status == WITHHELD
    enforced = ReleaseWithheld if withheld else ReleaseAvailable
    tx.audit(
        enforced(
            request=feed.request_id,
            partner=feed.partner_id,
            trigger=trigger,
            rules=RuleCited.of(decision.rules),
        )
    )
    return Enforcement(
        request=request, decision=decision, withheld=withheld, trigger=trigger, at=tx.now
    )


def withhold_version(
    tx: Transaction, feed: FeedReleaseRow, request: ReleaseRequest, decision: Decision, trigger: str
) -> Enforcement:
    """A delivered release whose item's new version ``decide`` holds (not denies): kept, not
    recalled. Its partner keeps the version it fetched; the new one waits, withheld, until a
    later change releases it (``enforce``) or denies it (a recall)."""
    feed.status = WITHHELD
    return _enforced(tx, feed, request, decision, trigger)


def _remark(
    tx: Transaction, feed: FeedReleaseRow, request: ReleaseRequest, undertaking_id: str | None
) -> None:
    """Objects restored under another undertaking than they were first marked with carry the
    terms of the undertaking that releases them now."""
    session = tx.session
    row = requests.get(session, request.id)
    if row is None:
        return
    support, objects = _marked(session, _item(session, row), undertaking_id, feed.trace_token, None)
    bodies = {markings.object_id(obj): obj for obj in objects}
    for kept in stored.latest_objects_of(session, feed.request_id):
        if kept.object_id in bodies:
            # The copy still names the entry that released it: its terms change, not that.
            entry = markings.entry_of(json.loads(kept.body))
            again = markings.mark(bodies[kept.object_id], [], feed.trace_token, entry)
            kept.body = canonical(again).decode()
    present = stored.present(session, feed.partner_id, [markings.object_id(obj) for obj in support])
    missing = [obj for obj in support if markings.object_id(obj) not in present]
    for obj, added in zip(
        missing, stored.next_dates(session, feed.partner_id, len(missing), tx.now), strict=True
    ):
        _add(session, feed.partner_id, None, obj, added)
    feed.undertaking_id = undertaking_id


# -- item versions ---------------------------------------------------------------------------


def revise(tx: Transaction, feed: FeedReleaseRow, item: ItemRow, before: list[StixObject]) -> None:
    """A standing release's item has a new version, still released to its partner: each object
    whose version changed gets its new version in the partner's feed, marked as the release's
    objects are (its undertaking, its trace token, the item's TLP now); an object the new
    version no longer has gets a revoked version if the partner may hold it, else is withdrawn.
    A release an order withholds keeps its objects out of sight until it is made available."""
    session = tx.session
    partner = feed.partner_id
    # The new version's objects are named by an entry of their own (same release, same trace
    # token): a partner's receipt proves the version it holds, not the one before.
    entry = log_marked(
        tx, feed.request_id, partner, feed.trace_token, json.loads(item.bundle)["objects"]
    )
    released_by = markings.LogEntryRef(entry, log_origin(session))
    support, objects = _marked(session, item, feed.undertaking_id, feed.trace_token, released_by)
    now_ids = {markings.object_id(obj) for obj in objects}
    dropped = [markings.object_id(obj) for obj in before if markings.object_id(obj) not in now_ids]
    held = {row.object_id: row for row in stored.latest(session, partner, [*now_ids, *dropped])}
    served = feed.status == AVAILABLE
    new: list[tuple[FeedObjectRow | None, StixObject]] = []
    for obj in objects:
        kept = held.get(markings.object_id(obj))
        if kept is not None and kept.version == markings.version_of(obj):
            continue  # this object did not change: the partner has this version already
        new.append((kept, obj))
    for object_id in dropped:
        kept = held.get(object_id)
        if kept is None or not kept.visible:
            continue
        if feed.delivered_at is None:
            kept.visible = False
        else:
            new.append((kept, markings.revoked_version(json.loads(kept.body), tx.now)))
    present = stored.present(session, partner, [markings.object_id(obj) for obj in support])
    new += [
        (None, obj)
        for obj in support
        if markings.object_id(obj) not in present and markings.object_id(obj) not in now_ids
    ]
    for (kept, obj), added in zip(
        new, stored.next_dates(session, partner, len(new), tx.now), strict=True
    ):
        if kept is not None:
            kept.is_latest = False
        is_support = kept is None and markings.object_id(obj) not in now_ids
        row = _add(session, partner, None if is_support else feed.request_id, obj, added)
        row.visible = served or is_support
    flush(session)


def record_delivery(tx: Transaction, request_ids: set[int]) -> None:
    """The first time a partner fetches a release's objects, it is delivered: logged once."""
    session = tx.session
    for feed in stored.undelivered_of(session, request_ids):
        feed.delivered_at = tx.now
        tx.audit(
            ReleaseDelivered(
                request=feed.request_id, partner=feed.partner_id, trace=feed.trace_token
            )
        )


def recall(
    tx: Transaction,
    request_id: int,
    reason: str,
    *,
    by_agency: str | None = None,
    also: Sequence[str] = (),
    ack_within: timedelta | None = None,
) -> FeedReleaseRow:
    """Withdraw a release: revoked versions if delivered, never delivered if not.

    A delivered release's recall must be acknowledged by the partner within ``ack_within``, or
    else within the ``recall_ack_within`` of the agreement that started the release; with
    neither, it has no deadline. A release never delivered needs no acknowledgement.

    ``by_agency``: the agency recalling it, which must be the item's originator (the operator
    recalls any release, and passes None). ``also``: ids of objects withdrawn with the item's
    own (those of the version the partner was sent, when a new version dropped them).
    """
    session = tx.session
    if not reason.strip():
        raise ValidationError("say why the release is recalled", field="reason")
    feed = stored.release(session, request_id)
    if feed is None:
        raise ReleaseNotInFeed(
            f"request {request_id} was never released, so there is nothing to recall",
            field="request",
        )
    request = requests.get(session, request_id)
    if request is None:
        raise ReleaseNotInFeed(f"no release request {request_id}", field="request")
    item = _item(session, request)
    if by_agency is not None and item.originator != by_agency:
        raise NotEntitled(
            f"release {request_id} is of an item {item.originator} originated; "
            f"{by_agency} may not recall it",
            field="request",
            hint="the originating agency recalls its own releases",
        )
    if feed.status in (RECALLED, WITHDRAWN):
        raise InvalidState(f"release {request_id} was already recalled", field="request")
    delivered = feed.delivered_at is not None
    feed.status = RECALLED if delivered else WITHDRAWN
    feed.recalled_at = tx.now
    feed.recall_ack_by = _ack_by(tx, request, ack_within) if delivered else None
    # By object, not by the release that first sent it: a later release of the same item
    # shares its objects, and recalling either withdraws them.
    object_ids = [markings.object_id(obj) for obj in json.loads(item.bundle)["objects"]]
    object_ids += [object_id for object_id in also if object_id not in object_ids]
    latest = stored.visible_latest(session, feed.partner_id, object_ids)
    if delivered:
        dates = stored.next_dates(session, feed.partner_id, len(latest), tx.now)
        for row, added in zip(latest, dates, strict=True):
            row.is_latest = False
            revoked = markings.revoked_version(json.loads(row.body), tx.now)
            _add(session, feed.partner_id, request_id, revoked, added)
    else:
        # Never delivered: withdraw what this release put in the feed, not the objects another
        # release of the item holds there (already delivered, or revoked versions of them).
        latest = [row for row in latest if row.request_id == request_id]
        for row in latest:
            row.visible = False
    tx.audit(
        ReleaseRecalled(
            request=request_id,
            partner=feed.partner_id,
            delivered=delivered,
            objects=tuple(row.object_id for row in latest),
            reason=reason.strip(),
            ack_by=feed.recall_ack_by,
        )
    )
    flush(session)
    return feed


def _ack_by(tx: Transaction, request: RequestRow, ack_within: timedelta | None) -> datetime | None:
    """The recall's acknowledgement deadline, in whole seconds as the log writes it."""
    if ack_within is None and request.agreement_id is not None:
        row = store_agreements.get(tx.session, request.agreement_id)
        if row is not None:
            ack_within = store_agreements.as_agreement(row).recall_ack_within
    if ack_within is None:
        return None
    return (tx.now + check_within(ack_within)).replace(microsecond=0)


def trace(session: Session, tokens: list[str]) -> list[records.Traced]:
    """The releases the given trace tokens name."""
    from garante.service.views import upstream_terms  # views reads this module's types

    out = []
    for token in tokens:
        feed = stored.release_by_token(session, token)
        if feed is None:
            continue
        request = requests.get(session, feed.request_id)
        assert request is not None
        came = store_sources.ingests_of_items(session, [request.item_id]).get(request.item_id)
        out.append(
            records.Traced(
                trace_token=token,
                request=feed.request_id,
                partner=feed.partner_id,
                item=request.item_id,
                purpose=request.purpose,
                undertaking=feed.undertaking_id,
                released_at=markings.taxii_time(request.decided_at),
                delivered_at=markings.taxii_time(feed.delivered_at) if feed.delivered_at else None,
                status=feed.status,
                source=came.source_id if came is not None else None,
                upstream_id=came.upstream_id if came is not None else None,
                released_under=upstream_terms(came.terms) if came is not None else None,
            )
        )
    return out
