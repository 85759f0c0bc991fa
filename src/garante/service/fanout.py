"""Fan-out: the release requests standing agreements start, each decided like any other.

When an item is added, every agreement in force whose scope covers it starts one request per
purpose, in the item's own transaction: the item and every request and decision it started
commit together or not at all. The requests go through ``bulk.request_many``, which decides
and logs each exactly as a request made by hand (``releases.request_release``) would be, on
one snapshot, and writes them with one insert per table; a held one joins the held queue and
moves with it. An agreement never bypasses a rule.

A (item, partner, purpose) that already has a request, or that another agreement of the same
fan-out already started, is skipped: an agreement asks once for what it covers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from garante import records
from garante.domain.agreement import Agreement
from garante.domain.decision import Outcome
from garante.domain.item import Item
from garante.domain.request import ReleaseRequest, ReleaseTriple
from garante.domain.timeutil import iso
from garante.policy.decide import decide
from garante.service import bulk
from garante.service.releases import DecidedRequest
from garante.service.transaction import Reading, Transaction
from garante.store import agreements as store_agreements
from garante.store import convert, queries
from garante.store.schema import ItemRow
from garante.store.session import flush


def fan_out(
    tx: Transaction, item: ItemRow, *, agreements: Iterable[Agreement] | None = None
) -> list[DecidedRequest]:
    """Start and decide the requests the agreements in force at ``tx.now`` make for ``item``.

    ``agreements``: only these (a new agreement's backfill); by default every one in force.
    """
    flush(tx.session)  # the item, if just added, is read back by the requests
    candidates = (
        list(agreements) if agreements is not None else standing(tx.session).of(item.originator)
    )
    return _started(tx, _asked(tx, [item], candidates))


@dataclass(frozen=True)
class Standing:
    """The agreements not ended, as of one ``generation``, filed by the originators they take.

    An item fans out against every agreement in force; reading and converting thousands of
    agreement rows for each item cost more than deciding its releases. They change rarely, so
    each process keeps them, read once per change (``store.agreements.changed`` marks each
    change in its own transaction, so the generation read in a transaction says whether what
    is kept is what that transaction sees).
    """

    generation: str
    by_originator: Mapping[str, tuple[Agreement, ...]]
    any_originator: tuple[Agreement, ...]

    def of(self, originator: str) -> list[Agreement]:
        """The agreements that may take an item of ``originator``; ``covers`` decides."""
        return [*self.by_originator.get(originator, ()), *self.any_originator]


_KEPT: dict[str, Standing] = {}


def standing(session: Session) -> Standing:
    """The agreements not ended, kept per database while none has changed."""
    key = str(session.connection().engine.url)
    generation = store_agreements.generation(session)
    kept = _KEPT.get(key)
    if kept is not None and kept.generation == generation:
        return kept
    found = store_agreements.not_ended(session)
    by_originator: dict[str, list[Agreement]] = {}
    for agreement in found:
        for originator in agreement.scope.originators:
            by_originator.setdefault(originator, []).append(agreement)
    kept = Standing(
        generation=generation,
        by_originator={o: tuple(a) for o, a in by_originator.items()},
        any_originator=tuple(a for a in found if not a.scope.originators),
    )
    _KEPT[key] = kept
    return kept


def backfill(tx: Transaction, agreement: Agreement, *, since: datetime) -> list[DecidedRequest]:
    """The requests a new agreement starts for the items added since ``since`` that it covers.

    Runs in the transaction that makes the agreement, whole: the agreement and everything it
    started commit together or not at all (no chunks), so no one ever sees an agreement made
    with half its backfill.
    """
    rows = store_agreements.items_added_between(tx.session, since, tx.now)
    return _started(tx, _asked(tx, rows, [agreement]))


def _asked(
    tx: Transaction, rows: Sequence[ItemRow], agreements: Sequence[Agreement]
) -> list[tuple[ReleaseTriple, str]]:
    """What ``agreements`` ask for ``rows`` at ``tx.now``: one (item, partner, purpose) per
    purpose of each agreement in force that covers the item, with the agreement that asks it
    (the first by id, where two ask the same), less what was requested already."""
    if not rows or not agreements:
        return []
    ordered = sorted(agreements, key=lambda a: a.id)
    covering = {
        row.id: [a for a in ordered if a.covers(item, tx.now)]
        for row, item in ((row, convert.item(row)) for row in rows)
    }
    wanted = [item_id for item_id, found in covering.items() if found]
    requested = store_agreements.requested(tx.session, wanted)
    asked: list[tuple[ReleaseTriple, str]] = []
    for item_id in wanted:
        for agreement in covering[item_id]:
            for purpose in sorted(agreement.purposes):
                key = (item_id, agreement.partner, purpose)
                if key not in requested:
                    requested.add(key)
                    triple = ReleaseTriple(
                        item_id=item_id, recipient_id=agreement.partner, purpose=purpose
                    )
                    asked.append((triple, agreement.id))
    return asked


def _started(tx: Transaction, asked: list[tuple[ReleaseTriple, str]]) -> list[DecidedRequest]:
    """Each request asked for, decided and logged as one made by hand would be, in ``tx``;
    written in batches of ``MAX_BATCH`` that all commit with it (one transaction: the item
    and everything it started commit together, or nothing does). Each batch's log entries are
    written with it, so a fan-out to 10,000 partners holds one batch in memory, not all."""
    started: list[DecidedRequest] = []
    for start in range(0, len(asked), MAX_BATCH):
        chunk = asked[start : start + MAX_BATCH]
        started += bulk.request_many(
            tx, [triple for triple, _ in chunk], agreement_ids=[a for _, a in chunk]
        )
        tx.flush_ledger()
    return started


MAX_BATCH = 1_000
"""Requests decided on one snapshot and written with one insert per table. Larger batches
save little (the per-batch reads are a few milliseconds) and cost memory: at 10,000 a fan-out
to 10,000 partners peaked 270 MB resident, at 1,000 under 200 MB."""


def preview(tx: Reading, agreement: Agreement, *, since: datetime) -> records.AgreementPreview:
    """What ``backfill`` would start for ``agreement`` now, decided now, with nothing stored.

    The same ``decide`` on the snapshot of the items it covers and its partner; an agreement
    not in force now would start nothing.
    """
    session = tx.session
    rows = store_agreements.items_added_between(session, since, tx.now)
    items = [convert.item(row) for row in rows]
    covered = [i for i in items if agreement.covers(i, tx.now)]
    requested = store_agreements.requested(session, [i.id for i in covered])
    wanted = [
        (item, purpose)
        for item in covered
        for purpose in sorted(agreement.purposes)
        if (item.id, agreement.partner, purpose) not in requested
    ]
    outcomes: Counter[Outcome] = Counter()
    if wanted:
        state = queries.policy_state(
            session,
            tx.now,
            item_ids={item.id for item, _ in wanted},
            agency_ids=[agreement.partner],
            known_vocabulary=tx.vocabulary,
        )
        for number, (item, purpose) in enumerate(wanted):
            request = _request(number, item, agreement.partner, purpose, tx.now)
            outcomes[decide(request, state).outcome] += 1
    return records.AgreementPreview(
        agreement=agreement.id,
        partner=agreement.partner,
        since=iso(since),
        at=iso(tx.now),
        items=len(covered),
        requests=len(wanted),
        already_requested=len(covered) * len(agreement.purposes) - len(wanted),
        released=outcomes[Outcome.RELEASED],
        held=outcomes[Outcome.HELD],
        denied=outcomes[Outcome.DENIED],
    )


def _request(number: int, item: Item, partner: str, purpose: str, at: datetime) -> ReleaseRequest:
    return ReleaseRequest(
        id=-(number + 1),  # never stored
        item_id=item.id,
        recipient_id=partner,
        purpose=purpose,
        requested_by="preview",
        requested_at=at,
    )
