"""``decide(request, state)``: DESIGN.md's precedence, first match wins, failing closed.

The numbered comments follow the brief's precedence; the rule ids in ``Decision.rules`` carry
the same numbers, so a decision can be read against the brief line by line.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from garante.domain.consent import ConsentAnswer, Onward
from garante.domain.decision import Decision, Outcome, Rule, RuleHit
from garante.domain.errors import AgencyNotFound, ItemNotFound, UnknownValue
from garante.domain.item import Item
from garante.domain.order import Effect, Order, Requirement
from garante.domain.parties import Agency
from garante.domain.request import ReleaseRequest
from garante.domain.timeutil import iso
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp, suggest
from garante.policy.orders import condition_holds, meets
from garante.policy.state import PolicyState

_EFFECTS = frozenset(Effect)
# Stands in the rule list where a require order's hit goes once its undertakings are known.
_PLACEHOLDER = RuleHit(rule="", verdict="", cites="", message="")
_TLPS = frozenset(Tlp)
# Undertakings sort by this, newest last: (valid_from, id).
_NEWEST = attrgetter("valid_from", "id")
# Enum members the decision of every request reads, read once: reading one from its class
# costs more than the comparison it is for.
_RED, _HELD, _RELEASED = Tlp.RED, Outcome.HELD, Outcome.RELEASED
_BOUND, _DOMESTIC = Rule.UNDERTAKING_BOUND, Rule.DOMESTIC
# How a decision's sentence opens ("Held"), by outcome.
_OPENING = {outcome: outcome.value.capitalize() for outcome in Outcome}
_T = TypeVar("_T")


class _Unrecognised(Exception):
    """Something the engine cannot judge; it must hold rather than guess."""


def decide(request: ReleaseRequest, state: PolicyState) -> Decision:
    """Decide one release request against one snapshot of the state.

    Pure and deterministic: the same request and snapshot always give the same decision.
    Raises only for rule (1), a request naming an unknown item, agency or purpose; every other
    problem becomes a ``held`` decision that says what could not be judged. What it works out
    about the snapshot (the orders in force for a scope, an agency's undertakings for a
    purpose) it keeps in ``state.memo`` for the snapshot's next requests; that makes them
    cheaper, never different.
    """
    # (1) unknown item, agency or purpose: a validation error, no decision.
    item = state.items.get(request.item_id)
    if item is None:
        raise ItemNotFound(
            f"no item '{request.item_id}'",
            field="item",
            hint="list items with `garante items list`",
        )
    agency = state.agencies.get(request.recipient_id)
    if agency is None:
        raise AgencyNotFound(
            f"no agency '{request.recipient_id}'",
            field="recipient",
            hint=suggest(request.recipient_id, state.agencies),
        )
    if request.purpose not in state.vocabulary.purposes:
        raise UnknownValue(
            f"unknown purpose '{request.purpose}'",
            field="purpose",
            hint=suggest(request.purpose, state.vocabulary.purposes),
        )
    try:
        return _decide(request, item, agency, state)
    except Exception as exc:
        # Why: a policy engine that skips a rule which errors turns a missing field into a
        # release. Whatever went wrong, the answer is "held", with the reason.
        message = _failure(exc)
        hit = RuleHit(
            rule=Rule.FAIL_CLOSED,
            verdict=Outcome.HELD,
            cites=f"request:{request.id}",
            message=message,
        )
        return Decision(
            outcome=Outcome.HELD,
            rules=(hit,),
            explanation=f"Held: the request could not be judged safely ({message}).",
            state_version=state.version,
        )


def _decide(request: ReleaseRequest, item: Item, agency: Agency, state: PolicyState) -> Decision:
    at = state.at
    if item.tlp not in _TLPS:
        raise _Unrecognised(f"item {item.id} has TLP marking '{item.tlp}', which is not TLP 2.0")

    # (2) an item its upstream revoked: nothing more of it is released, whatever else holds.
    if item.revoked is not None:
        return _final(
            Outcome.DENIED,
            Rule.REVOKED,
            f"item:{item.id}",
            f"item {item.id} was revoked upstream: {item.revoked}",
            state,
        )
    # (2) an item held for review, releasability and TLP:RED. An item held for review has
    # markings its source could not read without loss: its other fields cannot be trusted
    # either, so it is held before anything else is judged, and decided again once reviewed.
    if item.review:
        return _final(
            Outcome.HELD,
            Rule.REVIEW,
            f"item:{item.id}",
            f"item {item.id} is held for review: {'; '.join(item.review)}",
            state,
        )
    if not agency.active:
        return _final(
            Outcome.DENIED,
            Rule.RECIPIENT_INACTIVE,
            f"agency:{agency.id}",
            f"{agency.id} is deactivated",
            state,
        )
    releasable_to = item.releasable_to
    if releasable_to and agency.id not in releasable_to and agency.country not in releasable_to:
        allowed = ", ".join(sorted(releasable_to))
        return _final(
            Outcome.DENIED,
            Rule.RELEASABILITY,
            f"item:{item.id}",
            f"item {item.id} is releasable only to {allowed}; {agency.id} ({agency.country}) "
            "is not among them",
            state,
        )
    if item.tlp == _RED and agency.id != item.originator:
        return _final(
            Outcome.DENIED,
            Rule.TLP_RED,
            f"item:{item.id}",
            f"item {item.id} is TLP:RED and {agency.id} is not its originator ({item.originator})",
            state,
        )
    if item.embargo_until is not None and at < item.embargo_until:
        return _final(
            Outcome.HELD,
            Rule.EMBARGO,
            f"item:{item.id}",
            f"item {item.id} is under embargo until {iso(item.embargo_until)}",
            state,
        )
    if item.expires_at is not None and at >= item.expires_at:
        return _final(
            Outcome.DENIED,
            Rule.EXPIRED,
            f"item:{item.id}",
            f"item {item.id} expired at {iso(item.expires_at)}",
            state,
        )

    # (2) an item taken from a Garante upstream is shared onward only as its release there
    # permits: released for onward sharing, or with a consent granted upstream for this
    # recipient and purpose. Without one the request waits in the held queue (a consent
    # received decides it again); a refused consent denies it.
    onward = state.released_under.get(item.id)
    if onward is not None and not onward.permits_onward():
        withheld = _onward(onward, item, agency, request.purpose, state)
        if withheld is not None:
            return withheld

    memo: _Memo | None = state.memo.get(_Memo)
    if memo is None:
        memo = state.memo[_Memo] = _Memo()
    purpose = request.purpose
    category = item.category

    # (3) orders in force whose scope matches, unless an exemption in force carves them out.
    scope_key = (agency.id, agency.country, category, item.region)
    orders = memo.orders.get(scope_key)
    if orders is None:
        orders = memo.orders[scope_key] = _orders_in_force(agency, item, state, memo)
    if orders.error is not None:
        raise _Unrecognised(orders.error)
    undertaking_key = (agency.id, category, purpose)
    held = memo.undertakings.get(undertaking_key)
    if held is None:
        held = memo.undertakings[undertaking_key] = _undertakings(
            purpose, item, agency, state, memo
        )
    if isinstance(held, str):
        raise _Unrecognised(held)
    qualifying = held
    hits = orders.hits
    requiring = orders.requiring
    if requiring:
        # Every require order must be met by the same undertaking, which must also qualify under
        # rule (4): the release is bound to it, so a breach of it can be traced to the release.
        if held:
            meeting_key = (id(held), id(orders))  # both kept by the memo: the ids stay theirs
            meeting = memo.meeting.get(meeting_key)
            if meeting is None:
                meeting = memo.meeting[meeting_key] = tuple(
                    u for u in held if all(meets(u, order.requires) for order in requiring)
                )
            qualifying = meeting
        hits = orders.met(memo) if qualifying else orders.unmet(memo)
    if orders.outcome is not None:
        return Decision(
            outcome=orders.outcome,
            rules=hits,
            explanation=orders.sentence,
            state_version=state.version,
        )
    if requiring and not qualifying:
        return Decision(
            outcome=_HELD,
            rules=hits,
            explanation=orders.unmet_sentence(purpose, memo),
            state_version=state.version,
        )

    # (4) a foreign recipient needs an active undertaking permitting the purpose. A domestic one
    # released under a require order is bound to the undertaking that met it.
    if agency.needs_undertaking or requiring:
        if not qualifying:
            refusal = memo.refusals.get(undertaking_key)
            if refusal is None:
                refusal = memo.refusals[undertaking_key] = _refusal(purpose, item, agency, state)
            prohibited, cites, why, explanation = refusal
            hit = RuleHit(
                rule=Rule.UNDERTAKING_PROHIBITS if prohibited else Rule.UNDERTAKING_MISSING,
                verdict=Outcome.DENIED,
                cites=cites,
                message=why,
            )
            return Decision(
                outcome=Outcome.DENIED,
                rules=(*hits, hit),
                explanation=explanation,
                state_version=state.version,
            )
        bound_id: str | None = qualifying[0].id
        # What rule (4) says and the sentence of a release: the same for every item of the
        # category.
        bound_key = (agency.id, purpose, category, qualifying[0].id)
        worded = memo.bound.get(bound_key)
        if worded is None:
            worded = memo.bound[bound_key] = _bound(agency, purpose, category, qualifying[0].id)
        rule = _BOUND
    else:
        bound_id = None
        domestic_key = (agency.id, purpose)
        worded = memo.domestic.get(domestic_key)
        if worded is None:
            worded = memo.domestic[domestic_key] = _domestic(agency, purpose)
        rule = _DOMESTIC
    cites, message, explanation = worded
    bound_hit = RuleHit(rule=rule, verdict="continue", cites=cites, message=message)

    # (5) otherwise released.
    release_hit = memo.release_hits.get(item.id)
    if release_hit is None:
        release_hit = memo.release_hits[item.id] = RuleHit(
            rule=Rule.DEFAULT_RELEASE,
            verdict=Outcome.RELEASED,
            cites=f"item:{item.id}",
            message="no rule withholds the item",
        )
    return Decision(
        outcome=_RELEASED,
        rules=(*hits, bound_hit, release_hit),
        explanation=explanation,
        undertaking_id=bound_id,
        state_version=state.version,
    )


# --- what a snapshot's decisions share --------------------------------------------------------
# Requests on one snapshot ask the same questions over and over: which orders are in force for
# this agency and this kind of item, which undertakings of this agency permit this purpose. Each
# answer is worked out the first time it is asked and kept in the snapshot's memo, keyed by
# everything it is computed from, so a later request finds exactly what it would have computed.
# Answers alike are kept once (``_Memo.shared``): the memo grows by dictionary entries, not by
# objects the garbage collector must walk.


class _Memo:
    """What ``_decide`` works out once per snapshot and reuses (``PolicyState.memo``)."""

    __slots__ = (
        "bound",
        "domestic",
        "meeting",
        "orders",
        "recipients",
        "refusals",
        "release_hits",
        "shared",
        "undertakings",
        "wordings",
    )

    def __init__(self) -> None:
        # By (agency, country, category, region): what rule (3) reads for such a request.
        self.orders: dict[tuple[str, str, str, str], _Orders] = {}
        # By agency: its undertakings in force, their clauses checked.
        self.recipients: dict[str, _Recipient] = {}
        # By (agency, category, purpose): the undertakings rule (4) may bind the release to,
        # newest first, or why they could not be judged; and, once a request needs it, rule
        # (4)'s refusal when there is none: whether one prohibits the purpose, what the hit
        # cites and says, and the sentence.
        self.undertakings: dict[tuple[str, str, str], tuple[Undertaking, ...] | str] = {}
        self.refusals: dict[tuple[str, str, str], tuple[bool, str, str, str]] = {}
        # By (undertakings, orders) as above, by identity: those undertakings that meet every
        # require order among the orders.
        self.meeting: dict[tuple[int, int], tuple[Undertaking, ...]] = {}
        # By (agency, purpose, category, undertaking): what rule (4)'s hit on a release bound to
        # the undertaking cites and says, and the sentence; by (agency, purpose), the same for a
        # domestic one. Strings only: a hit is made per decision, and the memo holds nothing
        # the garbage collector must walk.
        self.bound: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}
        self.domestic: dict[tuple[str, str], tuple[str, str, str]] = {}
        # By item: rule (5)'s hit.
        self.release_hits: dict[str, RuleHit] = {}
        # By order id: how the order is cited (kept only for the very order it was made for).
        self.wordings: dict[str, _Wording] = {}
        # Answers by their content, so that equal answers are one object.
        self.shared: dict[object, Any] = {}

    def share(self, key: object, answer: _T) -> _T:
        """The answer kept under ``key``, or ``answer``, kept from now on."""
        found: _T = self.shared.setdefault(key, answer)
        return found


class _Orders:
    """The orders in force for one (agency, country, category, region), as rule (3) reads them.

    ``hits`` is what they say, in issue order. A require order's hit says whether an
    undertaking meets every require order (``met`` and ``unmet``, worded when first asked).
    ``outcome`` and ``sentence``: the decision a deny or hold order makes. ``error``: what
    rule (3) could not judge.
    """

    __slots__ = (
        "_met",
        "_unmet",
        "_unmet_sentences",
        "agency_id",
        "error",
        "hits",
        "outcome",
        "requiring",
        "sentence",
        "slots",
    )

    def __init__(
        self,
        *,
        hits: tuple[RuleHit, ...] = (),
        outcome: Outcome | None = None,
        sentence: str = "",
        requiring: tuple[Order, ...] = (),
        slots: tuple[int, ...] = (),
        agency_id: str = "",
        error: str | None = None,
    ) -> None:
        self.hits = hits
        self.outcome = outcome
        self.sentence = sentence
        self.requiring = requiring  # the require orders, in issue order
        self.slots = slots  # where their hits go among ``hits``
        self.agency_id = agency_id
        self.error = error
        self._met: tuple[RuleHit, ...] | None = None
        self._unmet: tuple[RuleHit, ...] | None = None
        self._unmet_sentences: dict[str, str] | None = None

    def met(self, memo: _Memo) -> tuple[RuleHit, ...]:
        if self._met is None:
            self._met = self._with_requirements(memo, met=True)
        return self._met

    def unmet(self, memo: _Memo) -> tuple[RuleHit, ...]:
        if self._unmet is None:
            self._unmet = self._with_requirements(memo, met=False)
        return self._unmet

    def _with_requirements(self, memo: _Memo, *, met: bool) -> tuple[RuleHit, ...]:
        hits = list(self.hits)
        for position, order in zip(self.slots, self.requiring, strict=True):
            hits[position] = _wording(order, memo).required(self.agency_id, met=met)
        return tuple(hits)

    def unmet_sentence(self, purpose: str, memo: _Memo) -> str:
        """The sentence of a request for ``purpose`` held for want of an undertaking meeting
        every require order among them."""
        if self._unmet_sentences is None:
            self._unmet_sentences = {}
        sentence = self._unmet_sentences.get(purpose)
        if sentence is None:
            first = self.requiring[0]
            sentence = self._unmet_sentences[purpose] = _sentence(
                Outcome.HELD,
                f"order {first.id} (issued by {first.authority_id}) requires an undertaking "
                f"that {_wording(first, memo).requires()}, and {self.agency_id} has not signed "
                f"one that permits {purpose}",
            )
        return sentence


#: No order in force for the request speaks: the answer of most scopes.
_NO_ORDERS = _Orders()


class _Recipient:
    """An agency's undertakings in force whose clauses are all known, in the snapshot's order,
    and, if one could not be judged, why (``error``): those after it were not read."""

    __slots__ = ("active", "error")

    def __init__(self, active: tuple[Undertaking, ...], error: str | None = None) -> None:
        self.active = active
        self.error = error


def _failure(exc: Exception) -> str:
    """What the request is held for, as ``decide`` words it."""
    return str(exc) if isinstance(exc, _Unrecognised) else f"{type(exc).__name__}: {exc}"


def _orders_in_force(agency: Agency, item: Item, state: PolicyState, memo: _Memo) -> _Orders:
    try:
        return _judge_orders(agency, item, state, memo)
    except Exception as exc:
        error = _failure(exc)
        return memo.share(("error", error), _Orders(error=error))


def _judge_orders(agency: Agency, item: Item, state: PolicyState, memo: _Memo) -> _Orders:
    hits: list[RuleHit] = []
    requiring: list[Order] = []
    slots: list[int] = []
    deciding: tuple[Outcome, Order] | None = None
    for order in state.orders.candidates(
        agency=agency.id, country=agency.country, category=item.category, region=item.region
    ):
        if not _applies(order, agency, item, state):
            continue
        if order.effect not in _EFFECTS:
            raise _Unrecognised(
                f"order {order.id} has an effect '{order.effect}' the engine does not recognise"
            )
        exemption = _exemption(order, agency, item, state)
        if exemption is not None:
            hits.append(_wording(order, memo).exempted_by(exemption))
            continue
        if order.effect == Effect.DENY:
            hits.append(_wording(order, memo).said(Rule.ORDER_DENY, Outcome.DENIED, state))
            if deciding is None or deciding[0] != Outcome.DENIED:
                deciding = (Outcome.DENIED, order)
        elif order.effect == Effect.HOLD:
            hits.append(_wording(order, memo).said(Rule.ORDER_HOLD, Outcome.HELD, state))
            if deciding is None:
                deciding = (Outcome.HELD, order)
        else:
            _check_clauses(order.requires, order.id, state)
            requiring.append(order)
            slots.append(len(hits))
            hits.append(_PLACEHOLDER)
    outcome, sentence = None, ""
    if deciding is not None:
        outcome, order = deciding
        sentence = _wording(order, memo).decided(outcome)
    if requiring:
        # A require order's hit names the agency: this answer is the agency's own.
        return _Orders(
            hits=tuple(hits),
            outcome=outcome,
            sentence=sentence,
            requiring=tuple(requiring),
            slots=tuple(slots),
            agency_id=agency.id,
        )
    if not hits:
        return _NO_ORDERS
    # Each hit is its order's own (``_Wording``), so equal answers hold the very same hits.
    said = tuple(hits)
    key = ("orders", sentence, None if outcome is None else outcome.value, *map(id, said))
    found: _Orders | None = memo.shared.get(key)
    if found is None:
        found = memo.shared[key] = _Orders(hits=said, outcome=outcome, sentence=sentence)
    return found


class _Wording:
    """What one order says whenever it speaks, worded once per snapshot (``_Memo.wordings``)."""

    __slots__ = ("_decided", "_exempted", "_required", "_requires", "_said", "order")

    def __init__(self, order: Order) -> None:
        self.order = order
        self._said: RuleHit | None = None
        self._decided: str | None = None
        self._requires: str | None = None
        self._exempted: dict[str, tuple[Order, RuleHit]] | None = None
        self._required: dict[tuple[str, bool], RuleHit] | None = None

    def required(self, agency_id: str, *, met: bool) -> RuleHit:
        """Its hit as a require order for the agency, ``met`` or not."""
        if self._required is None:
            self._required = {}
        hit = self._required.get((agency_id, met))
        if hit is None:
            hit = self._required[agency_id, met] = _requirement_hit(
                self.order, self.requires(), agency_id, met=met
            )
        return hit

    def exempted_by(self, exemption: Order) -> RuleHit:
        """Its hit when ``exemption`` carves the request out of it."""
        if self._exempted is None:
            self._exempted = {}
        found = self._exempted.get(exemption.id)
        if found is None or found[0] is not exemption:
            hit = RuleHit(
                rule=Rule.ORDER_EXEMPTED,
                verdict="continue",
                cites=f"order:{exemption.id}",
                message=f"order {exemption.id} exempts this request from order {self.order.id}",
            )
            found = self._exempted[exemption.id] = (exemption, hit)
        return found[1]

    def said(self, rule: Rule, outcome: Outcome, state: PolicyState) -> RuleHit:
        """Its hit as a deny or hold order in force (``rule`` and ``outcome`` follow from its
        effect, which never changes)."""
        if self._said is None:
            self._said = _order_hit(self.order, rule, outcome, state)
        return self._said

    def decided(self, outcome: Outcome) -> str:
        """The sentence of a decision it decides (``outcome`` follows from its effect)."""
        if self._decided is None:
            order = self.order
            self._decided = _sentence(
                outcome,
                f"order {order.id} ({order.effect}, issued by {order.authority_id}) "
                f"{_in_force_phrase(order)}",
            )
        return self._decided

    def requires(self) -> str:
        """The clauses a require order asks for, in words."""
        if self._requires is None:
            self._requires = self.order.requires.describe()
        return self._requires


def _wording(order: Order, memo: _Memo) -> _Wording:
    wording = memo.wordings.get(order.id)
    if wording is None or wording.order is not order:
        wording = memo.wordings[order.id] = _Wording(order)
    return wording


def _undertakings(
    purpose: str, item: Item, agency: Agency, state: PolicyState, memo: _Memo
) -> tuple[Undertaking, ...] | str:
    """The undertakings that qualify, newest first, or why they could not be judged."""
    recipient = memo.recipients.get(agency.id)
    try:
        if recipient is None:
            found = _first_pass(purpose, item, agency, state, memo)
        else:
            found = _qualifying_undertakings(purpose, item, recipient)
    except Exception as exc:
        return _failure(exc)
    found.sort(key=_NEWEST, reverse=True)
    qualifying = tuple(found)
    return memo.share(("undertakings", *map(id, qualifying)), qualifying)


def _refusal(
    purpose: str, item: Item, agency: Agency, state: PolicyState
) -> tuple[bool, str, str, str]:
    """Rule (4)'s denial of a recipient with no undertaking to release under: whether an
    undertaking prohibits the purpose, what the hit cites and says, and the sentence."""
    at = state.at
    prohibiting = sorted(
        (
            u
            for u in state.undertakings.get(agency.id, ())
            if u.is_active(at) and u.covers(item.category) and purpose in u.prohibits
        ),
        key=lambda u: (u.valid_from, u.id),
        reverse=True,
    )
    if prohibiting:
        cites = f"undertaking:{prohibiting[0].id}"
        why = f"{agency.id}'s undertaking {prohibiting[0].id} prohibits {purpose}"
    else:
        cites = f"agency:{agency.id}"
        why = f"{agency.id} has no active undertaking that permits {purpose} for {item.category}"
    return bool(prohibiting), cites, why, _sentence(Outcome.DENIED, why)


def _bound(agency: Agency, purpose: str, category: str, bound_id: str) -> tuple[str, str, str]:
    """What rule (4)'s hit on a release bound to ``bound_id`` cites and says, and the sentence."""
    return (
        f"undertaking:{bound_id}",
        f"{agency.id}'s undertaking {bound_id} permits {purpose} for {category}",
        f"Released to {agency.id} for {purpose} under undertaking {bound_id}.",
    )


def _domestic(agency: Agency, purpose: str) -> tuple[str, str, str]:
    """What rule (4)'s hit on a release to a domestic service needing no undertaking cites and
    says, and the sentence."""
    return (
        f"agency:{agency.id}",
        f"{agency.id} is a domestic service; no undertaking is required",
        f"Released to {agency.id} for {purpose}.",
    )


def _applies(order: Order, agency: Agency, item: Item, state: PolicyState) -> bool:
    """In force at the snapshot's time and matching the request's scope."""
    if not order.in_window(state.at):
        return False
    if not order.scope.matches(
        agency=agency.id, country=agency.country, category=item.category, region=item.region
    ):
        return False
    return _condition_holds(order, state)


def _condition_holds(order: Order, state: PolicyState) -> bool:
    active = condition_holds(order, state.conditions)
    if active is None:
        raise _Unrecognised(
            f"order {order.id} depends on condition '{order.while_condition}', which is unknown"
        )
    return active


def _exemption(order: Order, agency: Agency, item: Item, state: PolicyState) -> Order | None:
    # Every exemption is judged, not only those before the first that carves: stopping there
    # made an unknown condition hold or not depending on issue order.
    carving = [x for x in state.orders.exemptions_for(order.id) if _applies(x, agency, item, state)]
    return carving[0] if carving else None


def _check_clauses(requirement: Requirement, order_id: str, state: PolicyState) -> None:
    vocabulary = state.vocabulary
    unknown = sorted(requirement.prohibits - vocabulary.purposes) + sorted(
        requirement.protections - vocabulary.protections
    )
    if unknown:
        raise _Unrecognised(
            f"order {order_id} requires clauses the engine does not recognise: "
            + ", ".join(unknown)
        )


def _first_pass(
    purpose: str, item: Item, agency: Agency, state: PolicyState, memo: _Memo
) -> list[Undertaking]:
    """The agency's first request on the snapshot: its undertakings in force are judged one by
    one, in the snapshot's order, those that qualify picked on the way, and what was judged
    kept for its later requests (``_Memo.recipients``)."""
    at: datetime = state.at
    vocabulary = state.vocabulary
    category = item.category
    active: list[Undertaking] = []
    found: list[Undertaking] = []
    for undertaking in state.undertakings.get(agency.id, ()):
        try:
            if not undertaking.is_active(at):
                continue
            unknown = ((undertaking.permits | undertaking.prohibits) - vocabulary.purposes) | (
                undertaking.protections - vocabulary.protections
            )
            if unknown:
                raise _Unrecognised(
                    f"undertaking {undertaking.id} has clauses the engine does not recognise: "
                    + ", ".join(sorted(unknown))
                )
        except Exception as exc:
            error = _failure(exc)
            memo.recipients[agency.id] = _Recipient(tuple(active), error)
            raise _Unrecognised(error) from None
        active.append(undertaking)
        # Should this raise, the agency is judged afresh on its next request.
        if (
            undertaking.covers(category)
            and purpose in undertaking.permits
            and purpose not in undertaking.prohibits
        ):
            found.append(undertaking)
    memo.recipients[agency.id] = _Recipient(tuple(active))
    return found


def _qualifying_undertakings(purpose: str, item: Item, recipient: _Recipient) -> list[Undertaking]:
    """Of the agency's undertakings judged already, those under which this release could be
    made, in the snapshot's order; as in ``_first_pass``, a problem found with one after them
    is raised once they are judged."""
    category = item.category
    found = [
        undertaking
        for undertaking in recipient.active
        # Undertaking.covers, inlined: this runs for each of the agency's undertakings.
        if (not undertaking.categories or category in undertaking.categories)
        and purpose in undertaking.permits
        and purpose not in undertaking.prohibits
    ]
    if recipient.error is not None:
        raise _Unrecognised(recipient.error)
    return found


def _requirement_hit(order: Order, requires: str, agency_id: str, *, met: bool) -> RuleHit:
    return RuleHit(
        rule=Rule.ORDER_REQUIRE_MET if met else Rule.ORDER_REQUIRE_UNMET,
        verdict="continue" if met else Outcome.HELD,
        cites=f"order:{order.id}",
        message=f"order {order.id} requires an undertaking that {requires}; "
        + (
            f"{agency_id} has one" if met else f"{agency_id} has none that also covers this request"
        ),
    )


def _in_force_phrase(order: Order) -> str:
    if order.while_condition:
        return f"is in force while condition {order.while_condition} is active"
    return "is in force"


def _order_hit(order: Order, rule: Rule, outcome: Outcome, state: PolicyState) -> RuleHit:
    return RuleHit(
        rule=rule,
        verdict=outcome,
        cites=f"order:{order.id}",
        message=f"order {order.id} ({order.effect}, scope {order.scope.describe()}) "
        f"{_in_force_phrase(order)}",
    )


def _sentence(outcome: Outcome, why: str) -> str:
    return f"{_OPENING[outcome]}: {why.rstrip('.')}."


def _onward(
    onward: Onward, item: Item, agency: Agency, purpose: str, state: PolicyState
) -> Decision | None:
    """Rule (2)'s onward-sharing check, None when a consent granted upstream lets it pass."""
    answer = state.consents.get((onward.origin, onward.request, agency.id, purpose))
    if answer == ConsentAnswer.GRANTED:
        return None
    upstream = onward.origin or "its upstream"
    if answer == ConsentAnswer.REFUSED:
        return _final(
            Outcome.DENIED,
            Rule.ONWARD_REFUSED,
            f"item:{item.id}",
            f"{upstream} refused consent to share item {item.id} (its release {onward.request}) "
            f"onward with {agency.id} for {purpose}",
            state,
        )
    return _final(
        Outcome.HELD,
        Rule.ONWARD_AWAITED,
        f"item:{item.id}",
        f"item {item.id} was released to this node by {upstream} (release {onward.request}) "
        f"for {onward.purpose}, not for onward sharing: consent of {upstream} is awaited; ask "
        f"for it with `garante consents request {item.id} --to {agency.id} --purpose {purpose} "
        "--key FILE`",
        state,
    )


def _final(outcome: Outcome, rule: Rule, cites: str, why: str, state: PolicyState) -> Decision:
    return Decision(
        outcome=outcome,
        rules=(RuleHit(rule=rule, verdict=outcome, cites=cites, message=why),),
        explanation=_sentence(outcome, why),
        state_version=state.version,
    )
