"""Consent to share onward (issue 21), the node's side: what it asked of the Garante upstream
an item came from, and the answer taken once proven (``upstream.consent``), logged as
``consent.received``; the held requests it may move are decided again in the same
transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from garante.client import GaranteAPIError, GaranteClient
from garante.domain.errors import Conflict, GaranteError, NotFound
from garante.domain.events import ConsentReceived
from garante.service.releases import DecidedRequest, redecide_held
from garante.service.transaction import Transaction
from garante.store import consents
from garante.store.schema import ConsentAskedRow, SourceRow
from garante.upstream.consent import ConsentNotProven, verify_answer

Transactions = Callable[[], AbstractContextManager[Transaction]]


class ConsentNotAsked(NotFound):
    code = "consent.not_asked"


class ConsentAlreadyTaken(Conflict):
    code = "consent.already_taken"


@dataclass(frozen=True, kw_only=True)
class ServedAnswer:
    """The receipt the upstream served for the answer's log entry."""

    index: int
    entry: str
    proof: tuple[str, ...]
    checkpoint: str


def take(
    tx: Transaction, consent_id: str, served: ServedAnswer
) -> tuple[ConsentAskedRow, list[DecidedRequest]]:
    """Take the answer to consent ``consent_id`` this node asked, proven by ``served``; the
    row, and the held requests it moved. An answer to another request, or one taken before,
    is refused and nothing is logged."""
    session = tx.session
    row = consents.asked(session, consent_id)
    if row is None:
        raise ConsentNotAsked(
            f"this node asked no consent '{consent_id}'",
            field="consent",
            hint="list them with `garante consents asked`",
        )
    if row.status != "asked":
        raise ConsentAlreadyTaken(
            f"the answer to consent {consent_id} was taken before ({row.status}, upstream "
            f"entry {row.answer_index}); an answer is taken once",
            field="consent",
        )
    source = session.get(SourceRow, row.source_id)
    if source is None or source.log_key is None:
        raise ConsentNotProven(
            f"source '{row.source_id}' has no upstream log key to prove the answer with",
            field="source",
        )
    statement = json.loads(row.statement)
    proven = verify_answer(
        consent_id=row.id,
        statement=statement,
        index=served.index,
        entry=served.entry,
        proof=served.proof,
        checkpoint=served.checkpoint,
        log_key=source.log_key,
        origin=row.upstream_origin,
    )
    row.status = proven.answer.value
    row.answer_index = served.index
    row.received_at = tx.now
    session.flush()
    tx.audit(
        ConsentReceived(
            consent=row.id,
            source=row.source_id,
            item=row.item_id,
            recipient=row.recipient_id,
            purpose=row.purpose,
            answer=row.status,
            statement=statement,
            upstream_index=served.index,
            upstream_entry=served.entry,
            proof=served.proof,
            checkpoint=served.checkpoint,
        )
    )
    item, recipient = row.item_id, row.recipient_id
    moved = redecide_held(
        tx,
        trigger=f"consent {row.id} {row.status} upstream",
        affects=lambda agency, found: found.id == item and agency.id == recipient,
    )
    return row, moved


def served_answer(upstream: GaranteClient, consent_id: str) -> ServedAnswer | None:
    """The upstream's receipt of its answer to consent ``consent_id`` this node asked, or None
    while it is pending there. The receipt is only what the upstream says: ``take`` proves it."""
    answer = upstream.get_consent(consent_id)
    if answer.status == "pending" or answer.answer_index is None:
        return None
    receipt = upstream.receipt(answer.answer_index)
    return ServedAnswer(
        index=receipt.index,
        entry=receipt.entry,
        proof=tuple(receipt.proof),
        checkpoint=receipt.checkpoint,
    )


@dataclass(kw_only=True)
class Fetched:
    """What fetching a source's answers did: the consents taken, the held requests they
    moved, and the answers not taken, each saying why (taken again at the next pull)."""

    taken: list[str] = field(default_factory=list)
    moved: list[DecidedRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def fetch_answers(transactions: Transactions, source_id: str, upstream: GaranteClient) -> Fetched:
    """Take the answers of ``upstream`` (source ``source_id``) to the consents this node asked
    of it and still awaits, as ``garante consents fetch`` does, each in its own transaction.

    A pull of a Garante source ends with this, so an answer given upstream is taken with no
    one fetching it. Nothing here fails the pull: an upstream out of reach, a refusal, or an
    answer that does not prove is said in ``problems``, and the consent stays asked."""
    fetched = Fetched()
    with transactions() as tx:
        asked = consents.asked_list(tx.session, status="asked")
        waiting = [r.id for r in asked if r.source_id == source_id]
    for consent_id in waiting:
        try:
            served = served_answer(upstream, consent_id)
            if served is None:
                continue
            with transactions() as tx:
                _, moved = take(tx, consent_id, served)
        except (GaranteError, GaranteAPIError) as exc:
            message = getattr(exc, "message", str(exc))
            fetched.problems.append(f"{consent_id}: its answer is not taken: {exc.code}: {message}")
            continue
        except Exception as exc:  # httpx errors: unreachable, timed out
            fetched.problems.append(
                f"{consent_id}: its answer could not be fetched from the upstream: {exc}"
            )
            continue
        fetched.taken.append(consent_id)
        fetched.moved += moved
    return fetched
