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
writes its token in. A partner whose feed already holds some of the item's objects (an earlier
release of the same item, withdrawn or withheld or not) takes the one-at-a-time path
(``feed.materialize``), which knows how to share or restore them: that is rare, and correct
first.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from garante.canonical import canonical
from garante.domain.decision import Outcome
from garante.domain.errors import GaranteError
from garante.domain.events import ReleaseDecided, ReleaseRequested, RuleCited
from garante.domain.request import ReleaseRequest, ReleaseTriple
from garante.policy.decide import decide
from garante.service import feed, lookup
from garante.service.releases import DecidedRequest
from garante.service.transaction import Transaction
from garante.stix import markings
from garante.stix.markings import StixObject
from garante.store import agencies, items, requests
from garante.store import feed as stored_feed
from garante.store.feed import NewObject
from garante.store.requests import NewRequest
from garante.store.schema import ItemRow

_TOKEN = "0" * 32  # where the trace token goes in a marked template: never a real token's place


def in_batch(index: int, exc: GaranteError) -> GaranteError:
    """``exc``, with its code, said of the batch's ``index``-th release."""
    refused = copy.copy(exc)
    refused.message = f"releases[{index}]: {exc.message}; nothing of the batch was stored"
    refused.args = (refused.message,)
    refused.field = f"releases[{index}]" + (f".{exc.field}" if exc.field else "")
    return refused


def request_many(
    tx: Transaction,
    triples: Sequence[ReleaseTriple],
    *,
    agreement_ids: Sequence[str | None] | None = None,
) -> list[DecidedRequest]:
    """Record and decide every triple, in order, in ``tx``; a bad triple raises its error with
    its index (``in_batch``) before anything is written.

    ``agreement_ids``: for each triple, the standing agreement that started it, if any.
    """
    session = tx.session
    found_items = items.get_many(session, (t.item_id for t in triples))
    found_agencies = agencies.get_many(session, (t.recipient_id for t in triples))
    purposes: set[str] = set()
    for index, triple in enumerate(triples):
        try:
            if triple.item_id not in found_items:
                lookup.item(session, triple.item_id)  # raises, with the ids that exist
            if triple.recipient_id not in found_agencies:
                lookup.agency(session, triple.recipient_id, field="recipient")
            if triple.purpose not in purposes:
                tx.vocabulary.check("purposes", [triple.purpose], field_name="purpose")
                purposes.add(triple.purpose)
        except GaranteError as exc:
            raise in_batch(index, exc) from None
    tx.hold(*found_items.values(), *found_agencies.values())
    state = tx.policy_state(item_ids=found_items, agency_ids=found_agencies, reuse_standing=True)
    ids = requests.next_ids(session, len(triples))
    agreements = agreement_ids or [None] * len(triples)
    decided: list[NewRequest] = []
    for request_id, triple, agreement_id in zip(ids, triples, agreements, strict=True):
        request = ReleaseRequest(
            id=request_id,
            item_id=triple.item_id,
            recipient_id=triple.recipient_id,
            purpose=triple.purpose,
            requested_by=tx.actor,
            requested_at=tx.now,
        )
        requested = tx.audit(
            ReleaseRequested(
                request=request_id,
                item=triple.item_id,
                recipient=triple.recipient_id,
                purpose=triple.purpose,
                agreement=agreement_id,
            )
        )
        # Alone, a request is decided on a snapshot taken just after its entry is logged.
        decision = replace(decide(request, state), state_version=requested + 1)
        tx.audit(
            ReleaseDecided(
                request=request_id,
                outcome=decision.outcome,
                previous=None,
                undertaking=decision.undertaking_id,
                state_version=decision.state_version,
                trigger="request",
                rules=RuleCited.of(decision.rules),
            )
        )
        decided.append(NewRequest(request=request, decision=decision, agreement_id=agreement_id))
    requests.add_decided(session, decided, trigger="request")
    _fill_feeds(tx, [d for d in decided if d.decision.outcome == Outcome.RELEASED], found_items)
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


_NEEDLE = f'"{markings.TRACE_PROPERTY}":"{_TOKEN}"'


@dataclass(frozen=True, slots=True)
class _Marked:
    """One object as a release of an item under one undertaking puts it in a feed."""

    object_id: str
    kind: str
    version: str
    body: str  # canonical JSON; where ``traced``, with ``_NEEDLE`` where the token goes
    traced: bool
    source: StixObject | None  # marked again for each release when the needle is ambiguous

    def for_release(self, token: str, marking_ids: list[str]) -> str:
        if not self.traced:
            return self.body
        if self.source is not None:
            return canonical(markings.mark(self.source, marking_ids, token)).decode()
        return self.body.replace(_NEEDLE, f'"{markings.TRACE_PROPERTY}":"{token}"')


@dataclass(frozen=True, slots=True)
class _Template:
    """A release's objects for one item and undertaking, marked once for every partner."""

    support: list[_Marked]
    objects: list[_Marked]
    marking_ids: list[str]


def _template(
    tx: Transaction, item: ItemRow, objects: list[StixObject], undertaking_id: str | None
) -> _Template:
    support, marked, marking_ids = feed.marked(
        tx.session, item, undertaking_id, _TOKEN, objects=objects
    )
    return _Template(
        support=[_as_marked(obj, None) for obj in support],
        objects=[_as_marked(obj, source) for obj, source in zip(marked, objects, strict=True)],
        marking_ids=marking_ids,
    )


def _as_marked(obj: StixObject, source: StixObject | None) -> _Marked:
    body = canonical(obj).decode()
    needles = body.count(_NEEDLE) if source is not None else 0
    return _Marked(
        object_id=markings.object_id(obj),
        kind=str(obj["type"]),
        version=markings.version_of(obj),
        body=body,
        traced=needles > 0,
        source=source if needles > 1 else None,
    )


def _fill_feeds(
    tx: Transaction, released: Sequence[NewRequest], found_items: dict[str, ItemRow]
) -> None:
    """Put each released request's objects in its partner's feed, as ``feed.materialize``
    would, one request after another, but written with one insert per table."""
    if not released:
        return
    session = tx.session
    parsed = {
        item_id: json.loads(found_items[item_id].bundle)["objects"]
        for item_id in {d.request.item_id for d in released}
    }
    item_objects = {
        item_id: {markings.object_id(obj) for obj in objects} for item_id, objects in parsed.items()
    }
    released_to: dict[str, set[str]] = {}
    for d in released:
        released_to.setdefault(d.request.recipient_id, set()).add(d.request.item_id)
    held = stored_feed.held_by(
        session, released_to, {o for ids in item_objects.values() for o in ids}
    )
    # A partner whose feed holds any of a released item's objects goes one request at a time.
    slow = {
        partner
        for partner, object_id in held
        if any(object_id in item_objects[item] for item in released_to[partner])
    }
    fast = [d for d in released if d.request.recipient_id not in slow]
    templates: dict[tuple[str, str | None], _Template] = {}
    for d in fast:
        key = (d.request.item_id, d.decision.undertaking_id)
        if key not in templates:
            templates[key] = _template(tx, found_items[key[0]], parsed[key[0]], key[1])
    partners = set(released_to) - slow
    present = stored_feed.held_by(
        session, partners, {s.object_id for t in templates.values() for s in t.support}
    )
    last = stored_feed.last_dates(session, partners)
    added: dict[str, set[str]] = {}
    releases: list[tuple[int, str, str, str | None]] = []
    objects: list[NewObject] = []
    for d in fast:
        partner = d.request.recipient_id
        template = templates[(d.request.item_id, d.decision.undertaking_id)]
        token = secrets.token_hex(16)
        releases.append((d.request.id, partner, token, d.decision.undertaking_id))
        have = added.setdefault(partner, set())
        new = [
            (None, s)
            for s in template.support
            if s.object_id not in have and (partner, s.object_id) not in present
        ] + [(d.request.id, o) for o in template.objects if o.object_id not in have]
        if not new:
            continue
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
                    body=marked.for_release(token, template.marking_ids),
                )
            )
            have.add(marked.object_id)
        last[partner] = start + stored_feed.TICK * (len(new) - 1)
    stored_feed.add_many(session, releases, objects, at=tx.now)
    for d in released:
        if d.request.recipient_id in slow:
            row = requests.get(session, d.request.id)
            assert row is not None  # stored above, in this transaction
            feed.materialize(tx, row, d.decision, new_request=True)
