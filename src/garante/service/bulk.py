"""Many release requests decided and stored at once: bulk release and agreements' fan-out.

Each request is decided by ``policy.decide`` as if it had been asked for alone, and logged with
the same entries in the same order as one made by hand (``release.requested``, then
``release.decided``, request after request, each decision citing the state version its entry
follows), so neither the log nor an inspector's replay can tell a batch from the same requests
made one by one; a test holds the two paths to the same log and the same stored rows.

What differs is the cost. One request alone takes about 18 statements; a batch takes one
policy snapshot (a release changes no order, condition or undertaking, so they are read once),
its request ids in one statement, and one insert per table for its requests, decisions,
releases and feed objects. The objects a release puts in a feed are marked once per item and
undertaking, as canonical JSON with a placeholder where the trace token goes, and each release
writes its token in. A partner whose feed already holds all of the item's objects, none of them
withdrawn or withheld (the same item released again, for another purpose), gets a release row
that shares their delivery, in the same inserts. A partner whose feed holds only some of them,
or holds some it is not served, takes the one-at-a-time path (``feed.materialize``), which
knows how to share or restore them: that is rare, and correct first.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from garante.canonical import canonical
from garante.domain.decision import Decision, Outcome
from garante.domain.errors import GaranteError, InvalidState
from garante.domain.events import (
    DeliveredObject,
    ReleaseDecided,
    ReleaseMarked,
    ReleaseRequested,
    RuleCited,
)
from garante.domain.parties import Agency
from garante.domain.request import ReleaseRequest, ReleaseTriple
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp
from garante.policy.decide import decide
from garante.policy.state import PolicyState
from garante.service import feed, lookup
from garante.service.releases import DecidedRequest
from garante.service.trace_tokens import new_trace_tokens
from garante.service.transaction import Transaction
from garante.stix import markings
from garante.stix.markings import StixObject
from garante.store import feed as stored_feed
from garante.store import items, parties, requests
from garante.store.feed import NewObject
from garante.store.requests import NewRequest

_TOKEN = "0" * 32  # where the trace token goes in a marked template: never a real token's place


def in_batch(index: int, exc: GaranteError) -> GaranteError:
    """``exc``, with its code, said of the batch's ``index``-th release."""
    refused = copy.copy(exc)
    refused.message = f"releases[{index}]: {exc.message}; nothing of the batch was stored"
    refused.args = (refused.message,)
    refused.field = f"releases[{index}]" + (f".{exc.field}" if exc.field else "")
    return refused


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is decided and written.

    A batch allocates a few hundred thousand short-lived containers (requests, decisions,
    entries, feed rows); each time they cross the collector's thresholds it walks the whole
    heap, the session's identity map and the caches included, which measured as a third of a
    batch's time. Reference counting still frees what the batch lets go of; the collector,
    resumed after it (or by another batch that ends first), finds the rest.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def request_many(
    tx: Transaction,
    triples: Sequence[ReleaseTriple],
    *,
    agreement_ids: Sequence[str | None] | None = None,
    actors: Sequence[str] | None = None,
) -> list[DecidedRequest]:
    """Record and decide every triple, in order, in ``tx``; a bad triple raises its error with
    its index (``in_batch``) before anything is written.

    ``agreement_ids``: for each triple, the standing agreement that started it, if any.
    ``actors``: for each triple, who asked for it (group commit shares one transaction among
    several callers), else the transaction's actor for all.
    """
    with _collector_paused():
        found_items = items.kept(tx.session, (t.item_id for t in triples))
        found_agencies, _ = parties.read(tx.session, (t.recipient_id for t in triples))
        for index, refused in enumerate(_refusals(tx, triples, found_items, found_agencies)):
            if refused is not None:
                raise in_batch(index, refused) from None
        return _request_many(tx, triples, agreement_ids, actors, found_items, found_agencies)


def request_each(
    tx: Transaction, triples: Sequence[ReleaseTriple], *, actors: Sequence[str]
) -> list[DecidedRequest | GaranteError]:
    """For each triple, in order: its error if it is refused (an unknown item, agency or
    purpose), else its request recorded and decided, with the others, as ``request_many``
    does; each in the name of its caller in ``actors``. For group commit, whose callers each
    hear only their own fate; the items and agencies are read once for both."""
    with _collector_paused():
        found_items = items.kept(tx.session, (t.item_id for t in triples))
        found_agencies, _ = parties.read(tx.session, (t.recipient_id for t in triples))
        refused = _refusals(tx, triples, found_items, found_agencies)
        kept = [n for n, error in enumerate(refused) if error is None]
        if not kept:
            return [error for error in refused if error is not None]
        decided = iter(
            _request_many(
                tx,
                [triples[n] for n in kept],
                None,
                [actors[n] for n in kept],
                found_items,
                found_agencies,
            )
        )
        return [next(decided) if error is None else error for error in refused]


def _refusals(
    tx: Transaction,
    triples: Sequence[ReleaseTriple],
    found_items: dict[str, items.Kept],
    found_agencies: dict[str, Agency],
) -> list[GaranteError | None]:
    session = tx.session
    purposes: set[str] = set()
    refused: list[GaranteError | None] = []
    for triple in triples:
        try:
            if triple.item_id not in found_items:
                lookup.item(session, triple.item_id)  # raises, with the ids that exist
            if triple.recipient_id not in found_agencies:
                lookup.agency(session, triple.recipient_id, field="recipient")
            if triple.purpose not in purposes:
                tx.vocabulary.check("purposes", [triple.purpose], field_name="purpose")
                purposes.add(triple.purpose)
        except GaranteError as exc:
            refused.append(exc)
        else:
            refused.append(None)
    return refused


def _request_many(
    tx: Transaction,
    triples: Sequence[ReleaseTriple],
    agreement_ids: Sequence[str | None] | None,
    actors: Sequence[str] | None,
    found_items: dict[str, items.Kept],
    found_agencies: dict[str, Agency],
) -> list[DecidedRequest]:
    session = tx.session
    # Read and decided before the sequencer (``Transaction.sequence``): on PostgreSQL, under
    # the shared policy lock only, beside other servers' releases. Each decision's version is
    # cited once its entry's index is known.
    state = tx.policy_state(
        item_ids=found_items,
        agency_ids=found_agencies,
        reuse_standing=True,
        version=0,
        kept_items=found_items,
    )
    ids = requests.next_ids(session, len(triples))
    agreements = agreement_ids or [None] * len(triples)
    asked = [tx.actor] * len(triples) if actors is None else actors
    made: list[tuple[ReleaseRequest, Decision]] = []
    for request_id, triple, actor in zip(ids, triples, asked, strict=True):
        request = ReleaseRequest(
            id=request_id,
            item_id=triple.item_id,
            recipient_id=triple.recipient_id,
            purpose=triple.purpose,
            requested_by=actor,
            requested_at=tx.now,
        )
        made.append((request, decide(request, state)))
    # The requests' rows name no log entry: written before the sequencer, so a release on
    # PostgreSQL holds it for one insert fewer.
    requests.add_requests(
        session,
        [
            NewRequest(request=request, decision=decision, agreement_id=agreement_id)
            for (request, decision), agreement_id in zip(made, agreements, strict=True)
        ],
    )
    tx.sequence()
    decided: list[NewRequest] = []
    # What each release's entry names: its trace token and the item's objects (once per item).
    terms: dict[int, tuple[str, int]] = {}
    named: dict[str, tuple[DeliveredObject, ...]] = {}
    # Each request's would-be trace token, drawn for the batch at once (``trace_tokens``).
    tokens = new_trace_tokens(len(made), tx.now, tx.tokens)
    for number, ((request, decided_on), agreement_id, actor) in enumerate(
        zip(made, agreements, asked, strict=True)
    ):
        tx.actor = actor
        requested = tx.audit(
            ReleaseRequested(
                request=request.id,
                item=request.item_id,
                recipient=request.recipient_id,
                purpose=request.purpose,
                agreement=agreement_id,
            )
        )
        # Alone, a request is decided on a snapshot taken just after its entry is logged.
        decision = replace(decided_on, state_version=requested + 1)
        tx.audit(
            ReleaseDecided(
                request=request.id,
                outcome=decision.outcome,
                previous=None,
                undertaking=decision.undertaking_id,
                state_version=decision.state_version,
                trigger="request",
                rules=RuleCited.of(decision.rules),
            )
        )
        if decision.outcome == Outcome.RELEASED:  # as ``feed.mark_release`` logs it
            objects = named.get(request.item_id)
            if objects is None:
                objects = named[request.item_id] = _delivered(found_items[request.item_id].bundle)
            token = tokens[number]
            marked = ReleaseMarked(
                request=request.id, partner=request.recipient_id, trace=token, objects=objects
            )
            terms[request.id] = (token, tx.audit(marked))
        decided.append(NewRequest(request=request, decision=decision, agreement_id=agreement_id))
    requests.add_decisions(session, decided, trigger="request")
    released = [d for d in decided if d.decision.outcome == Outcome.RELEASED]
    _fill_feeds(tx, released, found_items, state, terms)
    return [
        DecidedRequest(
            request=d.request,
            decision=d.decision,
            previous=None,
            trigger="request",
            decided_at=tx.now,
        )
        for d in decided
    ]


_DELIVERED: dict[bytes, tuple[DeliveredObject, ...]] = {}
_DELIVERED_KEPT = 4_096
"""Bundles whose digests a process keeps at most: each is a few hundred bytes (ids and hashes),
keyed by the bundle's SHA-256, never by the bundle itself (it may be megabytes)."""


def _delivered(bundle: str) -> tuple[DeliveredObject, ...]:
    """What a release entry says of the objects of an item whose bundle is ``bundle``
    (``feed.delivered_objects``): their digests, each a canonical JSON and a hash, depend on
    the bundle alone, so each bundle's are computed once per process, not once per release."""
    key = hashlib.sha256(bundle.encode()).digest()
    found = _DELIVERED.get(key)
    if found is None:
        if len(_DELIVERED) >= _DELIVERED_KEPT:
            _DELIVERED.clear()  # kept for the bundles released now, not every one ever
        found = _DELIVERED[key] = feed.delivered_objects(json.loads(bundle)["objects"])
    return found


_TRACE = f'"{markings.TRACE_PROPERTY}":"{_TOKEN}"'
_ENTRY = 10**15  # where the release's entry index goes: no real log is that long
_INDEX = f'"{markings.LOG_INDEX}":{_ENTRY}'
_STATEMENT = "marking-definition--00000000-0000-4000-8000-000000000000"  # the undertaking's


@dataclass(frozen=True, slots=True)
class _Marked:
    """One object as a release puts it in a feed: canonical JSON, with ``_TRACE`` where its
    trace token goes and ``_STATEMENT`` where its undertaking's marking id goes (``traced``)."""

    object_id: str
    kind: str
    version: str
    body: str
    traced: bool
    source: StixObject  # the item's object as stored, marked again where a template cannot be
    templated: bool

    def for_release(
        self, token: str, marking_ids: list[str], entry: int, origin: str | None
    ) -> str:
        if not self.traced:
            return self.body
        if not self.templated:
            released_by = markings.LogEntryRef(entry, origin)
            return canonical(markings.mark(self.source, marking_ids, token, released_by)).decode()
        body = self.body.replace(_TRACE, f'"{markings.TRACE_PROPERTY}":"{token}"')
        body = body.replace(_INDEX, f'"{markings.LOG_INDEX}":{entry}')
        return body.replace(_STATEMENT, marking_ids[1]) if len(marking_ids) > 1 else body


@dataclass(frozen=True, slots=True)
class _Template:
    """An item's objects marked for a release with an undertaking (``bound``) or without, once
    for every partner; and the support objects' ids and bodies common to all of them."""

    objects: list[_Marked]
    support: list[_Marked]
    own: frozenset[str]  # the ids of ``objects``: a definition the item carries is not support


def _template(
    item: items.Kept, objects: list[StixObject], bound: bool, origin: str | None, *, marked: bool
) -> _Template:
    """The item's objects and support objects, for a release with an undertaking (``bound``)
    or without. Unless ``marked``, the item's objects are left out (not marked: costly), for
    releases that add none of them; ``own`` still names them."""
    support, ids = _support_of(Tlp(item.tlp), bound)
    marking_ids = list(ids)
    made = []
    for source in objects if marked else []:
        at_entry = markings.LogEntryRef(_ENTRY, origin)
        body = canonical(markings.mark(source, marking_ids, _TOKEN, at_entry)).decode()
        listed = source.get("object_marking_refs")
        # Where the item's own object already names markings, or the placeholders occur more
        # than once, a plain replacement could differ from marking it: mark it each time.
        plain = (
            body.count(_TRACE) == 1
            and body.count(_INDEX) == 1
            and body.count(_STATEMENT) == (1 if bound else 0)
        )
        made.append(
            _Marked(
                object_id=markings.object_id(source),
                kind=str(source["type"]),
                version=markings.version_of(source),
                body=body,
                traced=markings.is_marked(source),
                source=source,
                templated=plain and not listed,
            )
        )
    return _Template(
        objects=made,
        support=support,
        own=frozenset(markings.object_id(source) for source in objects),
    )


@lru_cache(maxsize=64)
def _support_of(tlp: Tlp, bound: bool) -> tuple[list[_Marked], tuple[str, ...]]:
    """The support objects common to every release of an item of ``tlp`` with an undertaking
    (``bound``) or without, as ``_support`` gives them, and the ids of the markings its
    objects carry (``_STATEMENT`` in the undertaking's place). The same every time: built once
    per process, not once per release (each is canonical JSON). Read only, never changed."""
    placeholder = Undertaking(
        id="", agency_id="", permits=frozenset(), valid_from=datetime.fromtimestamp(0, UTC)
    )
    support, marking_ids = feed.release_markings(tlp, placeholder if bound else None)
    if bound:
        marking_ids[1] = _STATEMENT
        support = support[:-1]  # the statement is each undertaking's own
    return [_support(obj) for obj in support], tuple(marking_ids)


def _support(obj: StixObject) -> _Marked:
    return _Marked(
        object_id=markings.object_id(obj),
        kind=str(obj["type"]),
        version=markings.version_of(obj),
        body=canonical(obj).decode(),
        traced=False,
        source=obj,
        templated=True,
    )


def _fill_feeds(
    tx: Transaction,
    released: Sequence[NewRequest],
    found_items: dict[str, items.Kept],
    state: PolicyState,
    terms: dict[int, tuple[str, int]],
) -> None:
    """Put each released request's objects in its partner's feed, as ``feed.materialize``
    would, one request after another, but written with one insert per table. ``terms``: each
    release's trace token and the index of the entry that released it."""
    if not released:
        return
    session = tx.session
    origin = feed.log_origin(session)
    parsed = {
        item_id: json.loads(found_items[item_id].bundle)["objects"]
        for item_id in {d.request.item_id for d in released}
    }
    tlp_ids = {
        item_id: markings.TLP2_MARKING_IDS[Tlp(found_items[item_id].tlp)] for item_id in parsed
    }
    item_objects = {
        item_id: {markings.object_id(obj) for obj in objects} for item_id, objects in parsed.items()
    }
    released_to: dict[str, set[str]] = {}
    for d in released:
        released_to.setdefault(d.request.recipient_id, set()).add(d.request.item_id)
    # What the partners' feeds hold already, of the items' objects and of the support objects
    # a release needs (the operator's identity, the trace extension, the TLP markings, each
    # undertaking's statement): one query, which leaves out the support objects this process
    # saw held or added before (``_KnownSupport``).
    any_item_object = set().union(*item_objects.values())
    wanted: set[tuple[str, str]] = set()
    for d in released:
        wanted |= {(d.request.recipient_id, o) for o in item_objects[d.request.item_id]}
    known = _known_support(session)
    for pair in _support_pairs(released, tlp_ids):
        # An item may carry a support object as its own (an upstream's TLP marking): asked,
        # as ``holding`` below reads the items' objects from what the store said.
        if pair[1] in any_item_object or not known.holds(*pair):
            wanted.add(pair)
    found = stored_feed.holdings(session, wanted)
    del wanted  # thousands of pairs in a wide fan-out, not needed past the query
    held = _Held(found.held, known)
    # Most of what is held are support objects (every partner's identity, extension, TLP
    # marking and statement): one set look-up leaves them out before the per-item test.
    holding = {
        partner
        for partner, object_id in found.held
        if object_id in any_item_object
        and any(object_id in item_objects[item] for item in released_to[partner])
    }
    covered = _repeated(holding, released_to, item_objects, found)
    # Any other partner whose feed holds some of a released item's objects goes one request
    # at a time.
    slow = holding - {partner for partner, _ in covered}
    fast = [d for d in released if d.request.recipient_id not in slow]
    repeating = {partner for partner, _ in covered}
    # A repeated release adds none of its item's objects: they are marked only for the others.
    marking = {
        (d.request.item_id, d.decision.undertaking_id is not None)
        for d in fast
        if d.request.recipient_id not in repeating
    }
    templates: dict[tuple[str, bool], _Template] = {}
    for d in fast:
        key = (d.request.item_id, d.decision.undertaking_id is not None)
        if key not in templates:
            item_id, bound = key
            templates[key] = _template(
                found_items[item_id], parsed[item_id], bound, origin, marked=key in marking
            )
    statements: dict[str, _Marked] = {}
    added: dict[str, set[str]] = {}
    releases: list[tuple[int, str, str, str | None, datetime | None]] = []
    adding: list[tuple[NewRequest, list[str], list[tuple[int | None, _Marked]]]] = []
    for d in fast:
        partner = d.request.recipient_id
        undertaking_id = d.decision.undertaking_id
        template = templates[(d.request.item_id, undertaking_id is not None)]
        support: list[_Marked] = template.support
        marking_ids = [tlp_ids[d.request.item_id]]
        if undertaking_id is not None:
            statement_id = markings.statement_marking_id(undertaking_id)
            marking_ids.append(statement_id)
            if (partner, statement_id) not in held:  # built only for a partner that lacks it
                if undertaking_id not in statements:
                    statements[undertaking_id] = _statement(state, partner, undertaking_id)
                support = [*support, statements[undertaking_id]]
        token, _entry = terms[d.request.id]
        delivered = covered.get((partner, d.request.item_id))
        releases.append((d.request.id, partner, token, undertaking_id, delivered))
        have = added.setdefault(partner, set())
        # A definition the item itself carries (an upstream's TLP 2.0 marking) goes as the item's
        # object, not a second time as support.
        own = template.own
        new: list[tuple[int | None, _Marked]] = [
            (None, s)
            for s in support
            if s.object_id not in have
            and s.object_id not in own
            and (partner, s.object_id) not in held
        ] + [
            (d.request.id, o)
            for o in template.objects
            if o.object_id not in have and (partner, o.object_id) not in held
        ]
        if new:
            adding.append((d, marking_ids, new))
            have.update(marked.object_id for _, marked in new)
    # Where each feed ends, read only for the partners that get objects (a repeated release
    # usually adds none).
    last = stored_feed.last_dates(session, {d.request.recipient_id for d, _, _ in adding})
    objects: list[NewObject] = []
    for d, marking_ids, new in adding:
        partner = d.request.recipient_id
        token, entry = terms[d.request.id]
        previous = last.get(partner)
        start = tx.now if previous is None or previous < tx.now else previous + stored_feed.TICK
        for offset, (request_id, marked) in enumerate(new):
            objects.append(
                NewObject(
                    partner_id=partner,
                    request_id=request_id,
                    object_id=marked.object_id,
                    object_type=marked.kind,
                    version=marked.version,
                    date_added=start + stored_feed.TICK * offset,
                    # Most objects a release adds are support objects, the same for every
                    # partner (``for_release`` gives their body as it is): no call for them.
                    body=marked.for_release(token, marking_ids, entry, origin)
                    if marked.traced
                    else marked.body,
                )
            )
        last[partner] = start + stored_feed.TICK * (len(new) - 1)
    stored_feed.add_many(session, releases, objects, at=tx.now)
    # Once committed, every released partner's feed holds the support objects its releases
    # need (held before, or added here or by ``materialize_marked``), for good: feed rows are
    # never deleted.
    engine = _engine(session)
    tx.on_commit(lambda: _remember_support(engine, released, tlp_ids))
    for d in released:
        if d.request.recipient_id in slow:
            row = requests.get(session, d.request.id)
            assert row is not None  # stored above, in this transaction
            token, entry = terms[d.request.id]
            feed.materialize_marked(tx, row, d.decision, token=token, entry=entry)


def _repeated(
    holding: set[str],
    released_to: dict[str, set[str]],
    item_objects: dict[str, set[str]],
    found: stored_feed.Holdings,
) -> dict[tuple[str, str], datetime | None]:
    """The partners among ``holding`` that are released again items whose objects they all
    hold, none of them hidden (withdrawn before delivery, or withheld): for each (partner,
    item), when the partner got those objects (``Holdings.covering``), if it has. ``found``
    holds every pair this asks about: the items' objects, for every partner released them.

    ``feed.materialize_marked`` adds no object of such an item again, restores nothing, and
    gives the new release the delivery of the objects it shares (each later release of the
    same item in the batch the same, as none adds an object a release names): the bulk path
    writes that release row and whatever support objects it lacks, as for a first release. A
    repeated release (the same item again, for another purpose) is the common case at a busy
    server; any other partner that holds some of an item's objects goes one request at a time.
    """
    held, hidden = found.held, found.hidden
    candidates = {
        partner
        for partner in holding
        if all(
            item_objects[item]
            and all((partner, o) in held and (partner, o) not in hidden for o in item_objects[item])
            for item in released_to[partner]
        )
    }
    return {
        (partner, item): found.covering(partner, item_objects[item])
        for partner in candidates
        for item in released_to[partner]
    }


def _support_pairs(
    released: Sequence[NewRequest], tlp_ids: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """(partner, support object) of every release in ``released``, some more than once: the
    operator's identity, the trace extension, the item's TLP marking, and the undertaking's
    statement, if any."""
    identity, extension = _IDENTITY_ID, markings.TRACE_EXTENSION_ID
    for d in released:
        partner = d.request.recipient_id
        yield partner, identity
        yield partner, extension
        yield partner, tlp_ids[d.request.item_id]
        if d.decision.undertaking_id is not None:
            yield partner, markings.statement_marking_id(d.decision.undertaking_id)


@dataclass(frozen=True, slots=True)
class _Held:
    """What a fan-out knows its partners' feeds hold: what the store said (``found``), and
    the support objects known held (``known``, which only ever says what is committed)."""

    found: frozenset[tuple[str, str]]
    known: _KnownSupport

    def __contains__(self, pair: tuple[str, str]) -> bool:
        return pair in self.found or self.known.holds(*pair)


_IDENTITY_ID = markings.object_id(markings.operator_identity(feed.OPERATOR))
"""The operator's identity id, which every statement marking names as its creator: the same
for every release, so computed once, not once per partner (``feed.release_markings`` builds
the identity, the trace extension and the TLP marking each time, to keep only the last)."""


_GENERIC = (_IDENTITY_ID, markings.TRACE_EXTENSION_ID, *markings.TLP2_MARKING_IDS.values())
_GENERIC_BIT = {object_id: 1 << n for n, object_id in enumerate(_GENERIC)}
"""The support objects every partner may be sent, whatever its undertaking, each a bit."""


@dataclass(slots=True)
class _KnownSupport:
    """The support objects this process knows a store's feeds hold, from fan-outs that
    committed: the operator's identity, the trace extension, a TLP marking and an
    undertaking's statement are the same in every release to a partner, and a feed row is
    never deleted, so once held, always held. Asking again cost a fan-out to 100 partners 400
    of its 650 index seeks, every item. Another process's fan-outs are found by the query.

    Kept small, as it is made after the commit of a fan-out to 10,000 partners, at its peak
    (a set of 40,000 (partner, object) pairs added 4.5 MB there): a bit per generic support
    object for each partner, and the ids of the statements held, each by the feed of its own
    undertaking's agency, the only one it is ever sent to (``_undertaking``); those ids are
    kept by ``markings.statement_marking_id`` already."""

    generic: dict[str, int]
    statements: set[str]
    """The statement markings' ids."""

    def holds(self, partner: str, object_id: str) -> bool:
        bit = _GENERIC_BIT.get(object_id)
        if bit is not None:
            return bool(self.generic.get(partner, 0) & bit)
        return object_id in self.statements

    def add(self, partner: str, object_id: str) -> None:
        bit = _GENERIC_BIT.get(object_id)
        if bit is not None:
            self.generic[partner] = self.generic.get(partner, 0) | bit
        else:
            self.statements.add(object_id)

    def size(self) -> int:
        return len(self.generic) + len(self.statements)


_KNOWN: WeakKeyDictionary[Engine, _KnownSupport] = WeakKeyDictionary()
_KNOWN_KEPT = 100_000
"""At most this many partners and statements known per store, a few MB; past it, the store's
``_KnownSupport`` starts again."""


def _known_support(session: Session) -> _KnownSupport:
    engine = _engine(session)
    found = _KNOWN.get(engine)
    if found is None:
        found = _KNOWN.setdefault(engine, _KnownSupport(generic={}, statements=set()))
    return found


def _remember_support(
    engine: Engine, released: Sequence[NewRequest], tlp_ids: dict[str, str]
) -> None:
    """Add the support objects of the committed ``released`` to the store's
    ``_KnownSupport``, or, past the bound, start a new one: never emptied in place, as a
    fan-out in another thread may be relying on what it said was held when it left those
    objects out of its query. Only ever adds what is committed: two threads racing on one
    partner's bits may lose one's, never claim more."""
    known = _KNOWN.get(engine)
    if known is None or known.size() + len(released) > _KNOWN_KEPT:
        known = _KNOWN[engine] = _KnownSupport(generic={}, statements=set())
    for partner, object_id in _support_pairs(released, tlp_ids):
        known.add(partner, object_id)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _statement(state: PolicyState, partner: str, undertaking_id: str) -> _Marked:
    """The statement marking of the undertaking a release to ``partner`` is made under, as
    its feed will hold it: the very object ``feed.release_markings`` adds last."""
    undertaking = _undertaking(state, partner, undertaking_id)
    return _support(markings.statement_marking(undertaking, _IDENTITY_ID))


def _undertaking(state: PolicyState, agency_id: str, undertaking_id: str) -> Undertaking:
    """The undertaking a decision named: in the snapshot it was decided on."""
    for undertaking in state.undertakings.get(agency_id, ()):
        if undertaking.id == undertaking_id:
            return undertaking
    raise InvalidState(f"undertaking {undertaking_id} of {agency_id} is not in the snapshot")
