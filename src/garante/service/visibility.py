"""What a principal may see: the partner rule, written once.

DESIGN.md: a partner sees only what was released to it and may be delivered now, its own
undertakings and outcomes, never an order, a rule, another partner, or a held or denied request.
Every use case that hands data back passes it through here, so no interface (API, TAXII,
console, CLI) keeps a copy of the rule, and a route added tomorrow cannot forget it. Internal
roles and the operator see everything; what each of them may *do* is checked where they act.

A partner is told "not found" for what is not its own, with the words a missing object gets:
whether another partner's release, a held request or an order exists is itself not its to know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from garante import records
from garante.domain.decision import Outcome
from garante.domain.errors import AgencyNotFound, AgreementNotFound, RequestNotFound
from garante.domain.roles import Principal
from garante.records import Decided
from garante.service import views
from garante.service.feed import Enforcement
from garante.service.releases import DecidedRequest
from garante.service.tokens import Forbidden
from garante.store import feed as store_feed
from garante.store.paging import Keyset
from garante.store.schema import RequestRow


def partner(who: Principal) -> str | None:
    """The agency whose own data alone ``who`` may see, or None when it may see everything."""
    if not who.is_partner:
        return None
    if who.agency_id is None:  # a partner token always names its agency; fail closed if not
        raise Forbidden("this partner token names no agency", hint="create a new one")
    return who.agency_id


def agency_filter(who: Principal, asked: str | None) -> str | None:
    """The agency a listing (undertakings, outcomes) is narrowed to: a partner's own, always."""
    own = partner(who)
    return asked if own is None else own


def check_agency(who: Principal, agency_id: str) -> None:
    """A partner asking about another agency hears that there is no such agency."""
    own = partner(who)
    if own is not None and agency_id != own:
        raise AgencyNotFound(f"no agency '{agency_id}'", field="agency_id")


def acts_for(who: Principal, agency_id: str, *, what: str) -> None:
    """A partner acts (gives undertakings, reports outcomes) for its own agency only."""
    own = partner(who)
    if own is not None and agency_id != own:
        raise Forbidden(f"a partner {what} for its own agency only", field="agency")


def check_feed(who: Principal, partner_id: str) -> None:
    """A partner reads its own feed (its TAXII collection) only."""
    own = partner(who)
    if own is not None and partner_id != own:
        raise Forbidden("a partner reads its own feed only", field="collection")


def requests(
    session: Session, who: Principal, page: Keyset | None, *, item: str | None = None
) -> list[RequestRow] | None:
    """A partner's releases that stand released and deliverable to it (of ``item``, when
    given); None: no narrowing."""
    own = partner(who)
    if own is None:
        return None
    if page is not None and isinstance(page.after, str):
        return []  # request ids are numbers: nothing comes after a text cursor
    return store_feed.partner_requests(session, own, page, item=item)


def check_request(session: Session, who: Principal, request_id: int) -> None:
    """A partner sees a request only while it stands released and deliverable to it."""
    own = partner(who)
    if own is not None and not store_feed.partner_sees(session, own, [request_id]):
        # The same answer as for a request that does not exist: nothing leaks.
        raise RequestNotFound(f"no release request {request_id}", field="request_id")


def moved(who: Principal, results: Sequence[DecidedRequest]) -> list[Decided]:
    """The held requests a change moved, as ``who`` may see them.

    A partner hears only of its own requests the change released, and not which rules or
    orders held them before, nor that they were held: only that they are released to it now.
    """
    own = partner(who)
    if own is None:
        return [views.decided(result) for result in results]
    return [
        replace(
            views.decided(replace(result, previous=None, trigger="")),
            rules=(),
            explanation=f"Released to {own} for {result.request.purpose}.",
        )
        for result in results
        if result.request.recipient_id == own and result.decision.outcome == Outcome.RELEASED
    ]


def enforced(
    who: Principal, results: Sequence[Enforcement], *, withheld: bool
) -> tuple[records.Enforced, ...]:
    """The undelivered releases a change withheld (or, not ``withheld``, made available
    again), as ``who`` may see them.

    A partner never hears that a release was withheld from it: that says an order or a rule
    stops it. Of releases made available, it hears of its own alone, as ``moved`` tells them.
    """
    chosen = [result for result in results if result.withheld == withheld]
    own = partner(who)
    if own is None:
        return tuple(views.enforced(result) for result in chosen)
    if withheld:
        return ()
    return tuple(
        replace(
            views.enforced(result),
            rules=(),
            trigger="",
            explanation=f"Released to {own} for {result.request.purpose}.",
        )
        for result in chosen
        if result.request.recipient_id == own
    )


def outcome(who: Principal, record: records.ReportedOutcome) -> records.ReportedOutcome:
    """An outcome as ``who`` may see it: a partner sees its own, without the order it caused."""
    if partner(who) is None:
        return record
    return replace(record, order=None)


def outcomes(
    who: Principal, outcomes_: Sequence[records.ReportedOutcome]
) -> list[records.ReportedOutcome]:
    return [outcome(who, record) for record in outcomes_]


# -- standing agreements -------------------------------------------------------------------


def check_agreement(who: Principal, agreement_id: str, partner_id: str | None) -> None:
    """A partner sees its own agreements only: another's, like one that does not exist, is
    "not found", with no hint naming the agreements there are."""
    own = partner(who)
    if own is not None and partner_id != own:
        raise AgreementNotFound(f"no agreement '{agreement_id}'", field="agreement_id")
