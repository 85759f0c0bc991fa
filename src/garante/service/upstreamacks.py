"""A partner node acknowledges its Garante upstream by itself (issue 21).

With the node agency's signing key configured on a source of kind ``garante``, each pull ends
by settling with the upstream:

1. each release the node took (whole: a release is taken whole or not at all) gets a signed
   DELIVERY acknowledgement;
2. each recall the upstream lists as unacknowledged by this node (``/recalls/unacknowledged``)
   is applied first: the items that release brought are revoked here, which recalls them from
   the node's own partners (``item.revoked``, ``release.recalled`` in the node's log); only
   then is a signed RECALL acknowledgement queued;
3. every acknowledgement not yet accepted is sent through the upstream's write path
   (``POST /api/v1/acknowledgements``), oldest first.

Acknowledgements are signed once, when queued, and kept in the outbox (``upstream_acks``)
until the upstream accepts them: a refusal, a timeout or an upstream down leaves them there,
with the error, to be sent again at the next pull, the same id and statement each time, so a
retry after a lost answer is accepted once upstream (``new`` false) and never twice.

Sending is not logged here: it changes nothing the node shares. What the node did is logged
(the local revocation and onward recalls, before the acknowledgement is even queued), and
what it acknowledged is logged where it counts, by the upstream (``release.acknowledged``,
``recall.acknowledged``, with the node's signature).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from garante.domain.acknowledgement import AckKind, Acknowledgement
from garante.domain.timeutil import iso
from garante.service import sources
from garante.service.transaction import Transaction
from garante.signatures import encode_signature, sign_statement
from garante.stix.writeback import note_id
from garante.store import upstream_acks
from garante.store.schema import SourceRow, UpstreamAckRow
from garante.upstream.garante import Upstream

Transactions = Callable[[], AbstractContextManager[Transaction]]


@dataclass(kw_only=True)
class Settled:
    """What one settling did: acknowledgements sent and accepted, the recalls applied (items
    revoked here, and the node's own releases recalled with them), and what is still waiting."""

    accepted: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    recalled: list[int] = field(default_factory=list)
    waiting: int = 0


def settle(transactions: Transactions, source_id: str, upstream: Upstream) -> Settled:
    """Apply the upstream's recalls (always: a withdrawal is never wrong), and with a signing
    key queue the acknowledgements due and send the outbox."""
    settled = Settled()
    with transactions() as tx:
        row = sources.source(tx, source_id)
        signs = row.signing_key is not None  # else acknowledged by hand (the typed client)
        if signs:
            for request, agency, _, _ in upstream_acks.released_items(tx.session, source_id):
                _queue(tx, row, AckKind.DELIVERY, request, agency)
    for recall in upstream.unacknowledged_recalls():
        with transactions() as tx:
            row = sources.source(tx, source_id)
            for request, _, item_id, upstream_id in upstream_acks.released_items(
                tx.session, source_id
            ):
                if request != recall.release:
                    continue
                taken = sources.revoke_recalled(tx, row, item_id, upstream_id, request)
                if taken.revoked is not None:
                    settled.withdrawn.append(taken.revoked)
                settled.recalled += taken.recalled
            # Withdrawn first, in this same transaction: the acknowledgement is then true.
            if signs:
                _queue(tx, row, AckKind.RECALL, recall.release, recall.agency)
    if not signs:
        return settled
    with transactions() as tx:
        waiting = [
            (r.id, r.kind, r.request_id, r.agency_id, iso(r.acknowledged_at), r.signature)
            for r in upstream_acks.pending(tx.session, source_id)
        ]
    for ack_id, kind, request, agency, at, signature in waiting:
        error = upstream.acknowledge(
            ack_id=ack_id, of=kind, release=request, agency=agency, at=at, signature=signature
        )
        with transactions() as tx:
            upstream_acks.tried(tx.session, ack_id, at=tx.now, error=error)
        if error is None:
            settled.accepted.append(ack_id)
        else:
            settled.waiting += 1
    return settled


def _queue(
    tx: Transaction, row: SourceRow, kind: AckKind, request: int, agency: str
) -> UpstreamAckRow:
    """The acknowledgement of ``kind`` for upstream release ``request``, signed and kept once."""
    earlier = upstream_acks.of_release(tx.session, row.id, request, kind.value)
    if earlier is not None:
        return earlier
    assert row.signing_key is not None
    ack = Acknowledgement(
        id=note_id(),
        kind=kind.value,
        request_id=request,
        agency_id=agency,
        acknowledged_at=tx.now.replace(microsecond=0),  # the statement says whole seconds
    )
    signature = sign_statement(sources.private_key(row.signing_key), ack.statement())
    return upstream_acks.add(
        tx.session,
        UpstreamAckRow(
            id=ack.id,
            source_id=row.id,
            kind=ack.kind,
            request_id=request,
            agency_id=agency,
            acknowledged_at=ack.acknowledged_at,
            signature=encode_signature(signature),
            queued_at=tx.now,
            attempts=0,
        ),
    )
