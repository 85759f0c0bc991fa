"""Release requests, their decisions, and the held queue."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.orm import Session

from garante import records
from garante.domain.decision import Decision, Outcome
from garante.domain.errors import (
    GaranteError,
    RequestNotFound,
    UnknownValue,
    ValidationError,
)
from garante.domain.request import ReleaseTriple
from garante.domain.roles import Principal, Role
from garante.domain.vocabulary import suggest
from garante.policy.decide import decide
from garante.records import Decided
from garante.service import (
    bulk,
    lookup,
    releases,
    tokens,
    views,
    visibility,
)
from garante.service.access import INTERNAL, entitled
from garante.service.results import Page
from garante.service.transaction import Transaction
from garante.service.usecases.base import UseCases
from garante.store import feed as store_feed
from garante.store import queries
from garante.store import requests as store_requests
from garante.store.schema import RequestRow


class Releases(UseCases):
    """Release requests, their decisions, and the held queue."""

    @entitled(Role.ANALYST)
    def request_release(self, item_id: str, *, recipient: str, purpose: str) -> Decided:
        """Record and decide a release request, in a transaction it may share (``batch``):
        the requests queued together are decided and stored as one bulk (``bulk``)."""
        asked = _Asked(
            ReleaseTriple(item_id=item_id, recipient_id=recipient, purpose=purpose),
            self.principal,
        )
        return self.context.releases.run_many(
            self._grouped_release_tx, self.actor, asked, _request_group
        )

    @entitled(Role.ANALYST)
    def request_release_soon(
        self, item_id: str, *, recipient: str, purpose: str
    ) -> Future[Decided]:
        """``request_release``, queued without waiting: the future holds its decision (or
        refusal) once the transaction it shares has committed. For a caller that must not
        block a thread while it waits (the API's event loop)."""
        asked = _Asked(
            ReleaseTriple(item_id=item_id, recipient_id=recipient, purpose=purpose),
            self.principal,
        )
        return self.context.releases.submit_many(
            self._grouped_release_tx, self.actor, asked, _request_group
        )

    @entitled(Role.ANALYST)
    def request_releases(self, triples: Sequence[ReleaseTriple]) -> list[Decided]:
        """Record and decide many release requests: each decided on its own, all stored in one
        transaction or none.

        A triple naming an unknown item, agency or purpose refuses the whole batch with its
        own error, naming the triple's index (``releases[3].recipient``), so the caller can
        mend that one line and send the batch again.
        """
        if not triples:
            raise ValidationError("the batch names no release", field="releases")
        if len(triples) > MAX_BATCH:
            raise ValidationError(
                f"the batch names {len(triples)} releases; at most {MAX_BATCH} go in one",
                field="releases",
                hint=f"send it in batches of {MAX_BATCH} or fewer",
            )
        with self._release_tx() as tx:
            return [views.decided(result) for result in bulk.request_many(tx, triples)]

    @entitled(*INTERNAL, Role.PARTNER)
    def requests(
        self,
        *,
        outcome: str | None = None,
        recipient: str | None = None,
        item: str | None = None,
        page: Page | None = None,
    ) -> list[records.Request]:
        """Release requests (to ``recipient``, of ``item``, when given) and the outcome that
        stands for each.

        A partner sees only its own releases that stand released and deliverable to it, never
        its held or denied requests, whatever filters it asks for.
        """
        with self._read() as session:
            own = visibility.requests(session, self.principal, page, item=item)
            if own is not None:
                return _shown(session, own)
            if outcome and outcome not in set(Outcome):
                raise UnknownValue(
                    f"unknown outcome '{outcome}'",
                    field="outcome",
                    hint=suggest(outcome, list(Outcome)),
                )
            shown = store_requests.shown_page(
                session, page, outcome=outcome, recipient=recipient, item=item
            )
            if shown is not None:
                return views.shown_requests(shown)
            rows = store_requests.page(
                session, page, outcome=outcome, recipient=recipient, item=item
            )
            return _shown(session, rows)

    # -- an item's requests, each with the decision that stands (the console's item page) --

    @entitled(Role.ANALYST, Role.AUTHORITY, Role.OVERSEER)
    def item_requests(self, item_id: str, page: Page | None = None) -> list[records.Standing]:
        """Every request for an item, by id: to whom, for what, the decision that stands
        (its rules, explanation and trigger) and where the release stands in the feed.

        Read in three queries for a page however long: the requests, their newest decisions
        and their feed releases. An unknown item is ``ItemNotFound``, as ``item`` says.
        """
        with self._read() as session:
            lookup.item(session, item_id)
            rows = store_requests.page(session, page, item=item_id)
            ids = [row.id for row in rows]
            standing = store_requests.newest_decisions(session, ids)
            delivery = store_feed.deliveries(session, ids)
            return [views.standing(row, delivery.get(row.id), standing[row.id]) for row in rows]

    @entitled(*INTERNAL)
    def held_queue(self, page: Page | None = None) -> list[records.Held]:
        """Held requests, oldest first, each with the reason it is held and since when.

        A page is read in one statement however long: the requests, each one's reason (its
        newest decision) and where its release stands in the feed, straight into records
        (``store.requests.held_shown_page``); not one query a row: this is the page a liaison
        officer keeps open.
        """
        now = self.clock.now()
        with self._read() as session:
            held = store_requests.held_shown_page(session, page)
            if held is not None:
                return views.shown_held(held, now=now)
            rows = store_requests.held_page(session, page)
            why = store_requests.held_reasons(session, [row.id for row in rows])
            shown = []
            for row in rows:
                reason, delivery = why[row.id]
                shown.append(views.held(row, delivery, reason=reason, now=now))
            return shown

    @entitled(*INTERNAL, Role.PARTNER)
    def request(self, request_id: int) -> records.Request:
        with self._read() as session:
            visibility.check_request(session, self.principal, request_id)
            row = store_requests.get(session, request_id)
            if row is None:
                raise RequestNotFound(f"no release request {request_id}", field="request_id")
            [shown] = _shown(session, [row])
            return shown

    @entitled(*INTERNAL)
    def decisions(self, request_id: int) -> list[records.Decision]:
        with self._read() as session:
            if store_requests.get(session, request_id) is None:
                raise RequestNotFound(f"no release request {request_id}", field="request")
            rows = store_requests.decisions(session, request_id)
            return [views.decision(r) for r in rows]

    @entitled(*INTERNAL)
    def decide_now(self, request_id: int) -> Decision:
        """How a stored request would be decided now, without storing anything."""
        with self._read() as session:
            row = store_requests.get(session, request_id)
            if row is None:
                raise RequestNotFound(f"no release request {request_id}", field="request_id")
            state = queries.policy_state(
                session, self.clock.now(), item_ids=[row.item_id], agency_ids=[row.recipient_id]
            )
            return decide(releases.as_request(row), state)


@dataclass(frozen=True, slots=True)
class _Asked:
    """One caller's release request in a group commit, and who asks."""

    triple: ReleaseTriple
    principal: Principal


def _request_group(
    tx: Transaction, asked: list[tuple[str, _Asked]]
) -> list[tuple[Decided | None, BaseException | None]]:
    """The release requests of a group commit: each refused on its own (an unknown item,
    agency or purpose; a token revoked since its caller was authenticated), the others decided
    and stored together, each in its caller's name.

    What is stored and logged is what the same requests made one by one store and log
    (``bulk``; a test holds the two to the same log)."""
    revoked = tokens.revoked_among(tx.session, (a.principal for _, a in asked))
    refused = [a.principal.by_token and a.principal.token_id in revoked for _, a in asked]
    going = [(actor, a.triple) for (actor, a), no in zip(asked, refused, strict=True) if not no]
    answers = iter(
        bulk.request_each(tx, [triple for _, triple in going], actors=[actor for actor, _ in going])
    )
    results: list[tuple[Decided | None, BaseException | None]] = []
    for no in refused:
        if no:
            results.append((None, tokens.refused_token()))
            continue
        answer = next(answers)
        results.append(
            (None, answer) if isinstance(answer, GaranteError) else (views.decided(answer), None)
        )
    return results


def _shown(session: Session, rows: Sequence[RequestRow]) -> list[records.Request]:
    """Requests as shown, each with where its release stands in the feed (one query)."""
    delivery = store_feed.deliveries(session, [row.id for row in rows])
    return [views.request(row, delivery.get(row.id)) for row in rows]


MAX_BATCH = 10_000
