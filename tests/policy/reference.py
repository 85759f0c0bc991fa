"""A reference model of DESIGN.md's decision precedence, to check ``garante.policy.decide`` by.

Written from the brief ("The decision"), not from decide.py: it reads the raw lists of a
snapshot (every agency, item, undertaking and order, as the store holds them) with plain loops,
no index and no caching, and each precedence step is one small function. It is meant to be
slow and obviously right; ``test_reference_model.py`` and ``bench/soak.py`` check that the
engine, with its ``OrderIndex`` and its early exits, decides every random case the same way.

What is compared (``Verdict.key``) is what the brief fixes: the outcome, every rule that spoke
with the object it cites, in order, the undertaking a release is bound to and the state version
read. The rule ids are the domain's (``garante.domain.Rule``), numbered after the brief. The
free-text messages and sentence are not compared; only the order that decided a step-3 outcome
must be named in the sentence ("which order held it").

Where the brief leaves a choice open, the reference takes the reading decide.py and
docs/decisions.md take; each is marked ``Reading:`` below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from garante.domain import (
    Agency,
    Decision,
    Item,
    Order,
    ReleaseRequest,
    Requirement,
    Undertaking,
    Vocabulary,
)
from garante.domain.errors import AgencyNotFound, ItemNotFound, UnknownValue
from garante.policy import PolicyState
from garante.policy import decide as engine_decide

#: One rule that spoke: (rule id, verdict, cited object), the message left out.
Step = tuple[str, str, str]

TLP_MARKINGS = ("clear", "green", "amber", "amber+strict", "red")
DENY, HOLD, REQUIRE, EXEMPT = "deny", "hold", "require", "exempt"
EFFECTS = (DENY, HOLD, REQUIRE, EXEMPT)
CONTINUE = "continue"
INVALID = "invalid"  # rule (1): a validation error, no decision


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """The state as plain lists, as the store would hand it over, before any indexing.

    The reference reads this directly; the engine reads ``policy_state()``, built the way the
    service builds it, so ``PolicyState.build`` and ``OrderIndex`` are under test too.
    """

    at: datetime
    version: int = 0
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    agencies: tuple[Agency, ...] = ()
    items: tuple[Item, ...] = ()
    undertakings: tuple[Undertaking, ...] = ()
    orders: tuple[Order, ...] = ()
    conditions: Mapping[str, bool] = field(default_factory=dict)

    def policy_state(self) -> PolicyState:
        return PolicyState.build(
            at=self.at,
            version=self.version,
            vocabulary=self.vocabulary,
            agencies=self.agencies,
            items=self.items,
            undertakings=self.undertakings,
            orders=self.orders,
            conditions=dict(self.conditions),
        )


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """A decision reduced to what DESIGN.md fixes, so the model and the engine compare."""

    outcome: str  # "released", "held", "denied", or "invalid" for rule (1)
    trail: tuple[Step, ...]
    undertaking_id: str | None = None
    state_version: int = 0
    #: The step that decided, one of ``trail``; the engine's is not structured, so not compared.
    decisive: Step | None = None

    def key(self) -> tuple[object, ...]:
        return (self.outcome, self.trail, self.undertaking_id, self.state_version)


class CannotJudge(Exception):
    """Something the decision must read and does not recognise: the brief says hold."""


# --- time, scope and vocabulary ---------------------------------------------------------------
# Reading: the brief says "from/until"; windows are half-open, [from, until), and an order
# lifted or an undertaking revoked at an instant no longer counts at that instant.


def in_window(order: Order, at: datetime) -> bool:
    """From ``valid_from`` (inclusive) until ``valid_until`` or its lifting (exclusive)."""
    started = order.valid_from <= at
    ended = order.valid_until is not None and order.valid_until <= at
    lifted = order.lifted_at is not None and order.lifted_at <= at
    return started and not ended and not lifted


def is_active(undertaking: Undertaking, at: datetime) -> bool:
    """Signed into force and neither expired nor revoked at ``at``."""
    started = undertaking.valid_from <= at
    expired = undertaking.valid_until is not None and undertaking.valid_until <= at
    revoked = undertaking.revoked_at is not None and undertaking.revoked_at <= at
    return started and not expired and not revoked


def dimension_matches(values: frozenset[str], value: str) -> bool:
    """An empty dimension of a scope means any."""
    return len(values) == 0 or value in values


def in_scope(order: Order, item: Item, agency: Agency) -> bool:
    """Each of the four dimensions matches the request (the brief: each empty = any)."""
    scope = order.scope
    return (
        dimension_matches(scope.agencies, agency.id)
        and dimension_matches(scope.countries, agency.country)
        and dimension_matches(scope.categories, item.category)
        and dimension_matches(scope.regions, item.region)
    )


def condition_state(order: Order, snapshot: Snapshot) -> bool | None:
    """True without a condition or while it is active; None when the condition is unknown."""
    if order.while_condition is None:
        return True
    for name, active in snapshot.conditions.items():
        if name == order.while_condition:
            return active
    return None


def in_force_for(order: Order, item: Item, agency: Agency, snapshot: Snapshot) -> bool | None:
    """In its window, in scope and its condition active; None if that rests on an unknown.

    Reading: an order outside its window or scope is not consulted at all, so an unknown
    condition on it does not hold the request (decide.py's tests pin this).
    """
    if not in_window(order, snapshot.at) or not in_scope(order, item, agency):
        return False
    return condition_state(order, snapshot)


def is_exemption_of(candidate: Order, order: Order) -> bool:
    """``candidate`` is an ``exempt`` order naming ``order``.

    Reading: exemptions carve out deny, hold and require orders only; an exemption naming
    another exemption does nothing (they do not chain).
    """
    return candidate.effect == EXEMPT and order.id in candidate.exempts


def issue_order(orders: Iterable[Order]) -> list[Order]:
    """Reading: "in order" is issue order, by ``sequence`` and then by id for a tie."""
    return sorted(orders, key=lambda o: (o.sequence, o.id))


def newest(undertakings: list[Undertaking]) -> Undertaking | None:
    """Reading: the brief names no choice; the newest (``valid_from``, then id) is the one."""
    best = None
    for undertaking in undertakings:
        if best is None or (undertaking.valid_from, undertaking.id) > (best.valid_from, best.id):
            best = undertaking
    return best


def unknown_clauses(clauses: Iterable[str], known: Iterable[str]) -> list[str]:
    known_set = set(known)
    return [clause for clause in clauses if clause not in known_set]


def needs_undertaking(agency: Agency) -> bool:
    """Rule (4): every foreign agency, and any agency with ``requires_undertaking``."""
    return not agency.domestic or agency.requires_undertaking


# --- rule (1) -----------------------------------------------------------------------------------


def step_1_unknown_reference(request: ReleaseRequest, snapshot: Snapshot) -> Step | None:
    """Unknown item, agency or purpose: a validation error, checked in that order."""
    if not any(item.id == request.item_id for item in snapshot.items):
        return ("1.unknown-item", INVALID, f"item:{request.item_id}")
    if not any(agency.id == request.recipient_id for agency in snapshot.agencies):
        return ("1.unknown-agency", INVALID, f"agency:{request.recipient_id}")
    if request.purpose not in snapshot.vocabulary.purposes:
        return ("1.unknown-purpose", INVALID, f"purpose:{request.purpose}")
    return None


# --- failing closed -----------------------------------------------------------------------------


def check_marking(item: Item) -> None:
    """A TLP marking outside TLP 2.0 holds.

    Reading: the marking is judged before everything in rule (2), so an unknown marking holds
    even a request that releasability alone would deny.
    """
    if item.tlp not in TLP_MARKINGS:
        raise CannotJudge(f"item {item.id} has TLP marking {item.tlp!r}")


def unrecognised(
    request: ReleaseRequest, item: Item, agency: Agency, snapshot: Snapshot
) -> list[str]:
    """Everything rules (3) and (4) must read for this request and cannot recognise.

    Reading (with decide.py): an order in window and scope is judged on its condition and its
    effect before any exemption is looked at; every exemption in window and scope of an order
    in force is judged, not just those up to the first that carves it out; a require order's
    clauses are read only if no exemption carves it out; every active undertaking of the
    recipient is read, whatever the orders decide. Categories, regions and countries are only
    compared, never judged against the vocabulary: an unknown one simply matches nothing.
    """
    vocabulary = snapshot.vocabulary
    problems: list[str] = []
    for order in snapshot.orders:
        if order.effect == EXEMPT:
            continue  # judged below, with each order it would carve out
        applies = in_force_for(order, item, agency, snapshot)
        if applies is None:
            problems.append(f"order {order.id} rests on unknown condition {order.while_condition}")
            continue
        if not applies:
            continue
        if order.effect not in EFFECTS:
            problems.append(f"order {order.id} has unknown effect {order.effect!r}")
            continue
        carvings = [
            in_force_for(exemption, item, agency, snapshot)
            for exemption in snapshot.orders
            if is_exemption_of(exemption, order)
        ]
        if None in carvings:
            problems.append(f"an exemption of order {order.id} rests on an unknown condition")
        if True in carvings:
            continue
        if order.effect == REQUIRE:
            odd = unknown_clauses(order.requires.prohibits, vocabulary.purposes)
            odd += unknown_clauses(order.requires.protections, vocabulary.protections)
            if odd:
                problems.append(f"order {order.id} requires unknown clauses {odd}")
    for undertaking in snapshot.undertakings:
        if undertaking.agency_id != agency.id or not is_active(undertaking, snapshot.at):
            continue
        odd = unknown_clauses(undertaking.permits, vocabulary.purposes)
        odd += unknown_clauses(undertaking.prohibits, vocabulary.purposes)
        odd += unknown_clauses(undertaking.protections, vocabulary.protections)
        if odd:
            problems.append(f"undertaking {undertaking.id} has unknown clauses {odd}")
    return problems


# --- rule (2) -----------------------------------------------------------------------------------


def step_2_revoked(item: Item) -> Step | None:
    """An item its upstream revoked is denied, before anything else of rule (2): what the
    source withdrew is never released again, whatever its other fields say."""
    if item.revoked is not None:
        return ("2.revoked", "denied", f"item:{item.id}")
    return None


def step_2_review(item: Item) -> Step | None:
    """An item held for review (a source could not read its markings without loss) is held.

    Reading: its marking, releasability and dates came from what could not be read, so it is
    held before any of them is judged (a denial would be final; a hold is decided again).
    """
    if item.review:
        return ("2.review", "held", f"item:{item.id}")
    return None


def step_2_releasability(item: Item, agency: Agency) -> Step | None:
    """A deactivated recipient, ``releasable_to`` excluding it, or TLP:RED to a non-originator.

    Reading: the brief lists no check for a deactivated agency; decide.py denies it here, first
    (the Concepts give every agency an "active or not").
    """
    if not agency.active:
        return ("2.recipient-inactive", "denied", f"agency:{agency.id}")
    if item.releasable_to:
        named = agency.id in item.releasable_to or agency.country in item.releasable_to
        if not named:
            return ("2.releasable-to", "denied", f"item:{item.id}")
    if item.tlp == "red" and agency.id != item.originator:
        return ("2.tlp-red", "denied", f"item:{item.id}")
    return None


def step_2_embargo_and_expiry(item: Item, at: datetime) -> Step | None:
    """Held before the item's embargo ends; denied once it has expired.

    Reading: DESIGN.md lists both at step 2, after releasability and TLP:RED ("the item is under
    embargo: held ... the item has expired: denied"). The embargo ends at ``embargo_until``
    (released from that instant); the item has expired at ``expires_at`` itself.
    """
    if item.embargo_until is not None and at < item.embargo_until:
        return ("2.embargo", "held", f"item:{item.id}")
    if item.expires_at is not None and at >= item.expires_at:
        return ("2.expired", "denied", f"item:{item.id}")
    return None


# --- rule (3) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Speaking:
    """An order in force and in scope for the request, and the exemption carving it out."""

    order: Order
    carved_by: Order | None


def step_3_orders_in_force(item: Item, agency: Agency, snapshot: Snapshot) -> list[Speaking]:
    """Every deny, hold and require order in force for the request, in issue order.

    Reading: the exemption cited is the first in issue order of those that carve.
    """
    speaking = []
    for order in issue_order(snapshot.orders):
        if order.effect == EXEMPT or not in_force_for(order, item, agency, snapshot):
            continue
        carving = [
            exemption
            for exemption in issue_order(snapshot.orders)
            if is_exemption_of(exemption, order) and in_force_for(exemption, item, agency, snapshot)
        ]
        speaking.append(Speaking(order, carving[0] if carving else None))
    return speaking


def meets(undertaking: Undertaking, requirement: Requirement) -> bool:
    """The undertaking has every clause the require order lists."""
    prohibits_all = all(p in undertaking.prohibits for p in requirement.prohibits)
    protects_all = all(p in undertaking.protections for p in requirement.protections)
    return prohibits_all and protects_all


def step_3_trail(speaking: list[Speaking], requirement_met: bool) -> list[Step]:
    """What each order in force says, where it stands in issue order."""
    trail: list[Step] = []
    for entry in speaking:
        order = entry.order
        if entry.carved_by is not None:
            trail.append(("3.order-exempted", CONTINUE, f"order:{entry.carved_by.id}"))
        elif order.effect == DENY:
            trail.append(("3.order-deny", "denied", f"order:{order.id}"))
        elif order.effect == HOLD:
            trail.append(("3.order-hold", "held", f"order:{order.id}"))
        elif requirement_met:
            trail.append(("3.order-require-met", CONTINUE, f"order:{order.id}"))
        else:
            trail.append(("3.order-require-unmet", "held", f"order:{order.id}"))
    return trail


def step_3_decisive(trail: list[Step]) -> Step | None:
    """A deny beats a hold, a hold beats an unmet require; the first of a kind decides.

    Reading: the brief says "first match wins" between its steps; within step (3) several
    orders can match at once, and docs/decisions.md ranks them: deny, then hold, then require.
    """
    for rule in ("3.order-deny", "3.order-hold", "3.order-require-unmet"):
        for step in trail:
            if step[0] == rule:
                return step
    return None


# --- rule (4) -----------------------------------------------------------------------------------


def qualifies(
    undertaking: Undertaking, request: ReleaseRequest, item: Item, agency: Agency, at: datetime
) -> bool:
    """The recipient's, active, covering the category, permitting and not prohibiting."""
    covers = len(undertaking.categories) == 0 or item.category in undertaking.categories
    return (
        undertaking.agency_id == agency.id
        and is_active(undertaking, at)
        and covers
        and request.purpose in undertaking.permits
        and request.purpose not in undertaking.prohibits
    )


def binding_undertaking(
    request: ReleaseRequest,
    item: Item,
    agency: Agency,
    requirements: list[Requirement],
    snapshot: Snapshot,
) -> Undertaking | None:
    """The undertaking the release would be bound to.

    Reading: "the recipient's undertaking" that meets a require order is one undertaking: it
    must have the clauses of every require order in force, and qualify under rule (4) too,
    because the release is bound to it (docs/decisions.md).
    """
    fitting = [
        u
        for u in snapshot.undertakings
        if qualifies(u, request, item, agency, snapshot.at)
        and all(meets(u, requirement) for requirement in requirements)
    ]
    return newest(fitting)


def step_4_refusal(request: ReleaseRequest, item: Item, agency: Agency, snapshot: Snapshot) -> Step:
    """Why a recipient that needs an undertaking has none to release under.

    Reading: decide.py tells the two cases apart; when an active undertaking covering the
    category prohibits the purpose, the newest such is cited, else the agency.
    """
    prohibiting = [
        u
        for u in snapshot.undertakings
        if u.agency_id == agency.id
        and is_active(u, snapshot.at)
        and (len(u.categories) == 0 or item.category in u.categories)
        and request.purpose in u.prohibits
    ]
    cited = newest(prohibiting)
    if cited is not None:
        return ("4.undertaking-prohibits", "denied", f"undertaking:{cited.id}")
    return ("4.no-undertaking", "denied", f"agency:{agency.id}")


# --- the decision -------------------------------------------------------------------------------


def decide(request: ReleaseRequest, snapshot: Snapshot) -> Verdict:
    """The brief's precedence, first match wins, failing closed on anything not recognised."""
    invalid = step_1_unknown_reference(request, snapshot)
    if invalid is not None:
        return _verdict(INVALID, [invalid], snapshot, decisive=invalid)
    item = next(i for i in snapshot.items if i.id == request.item_id)
    agency = next(a for a in snapshot.agencies if a.id == request.recipient_id)
    try:
        return _decide(request, item, agency, snapshot)
    except Exception:
        # A marking or clause not recognised, a missing attribute, or any error: held.
        held: Step = ("fail-closed", "held", f"request:{request.id}")
        return _verdict("held", [held], snapshot, decisive=held)


def _decide(request: ReleaseRequest, item: Item, agency: Agency, snapshot: Snapshot) -> Verdict:
    check_marking(item)
    revoked = step_2_revoked(item)
    if revoked is not None:
        return _verdict("denied", [revoked], snapshot, decisive=revoked)
    review = step_2_review(item)
    if review is not None:
        return _verdict("held", [review], snapshot, decisive=review)
    refusal = step_2_releasability(item, agency)
    if refusal is not None:
        return _verdict("denied", [refusal], snapshot, decisive=refusal)
    dated = step_2_embargo_and_expiry(item, snapshot.at)
    if dated is not None:
        return _verdict(dated[1], [dated], snapshot, decisive=dated)
    problems = unrecognised(request, item, agency, snapshot)
    if problems:
        raise CannotJudge("; ".join(problems))

    speaking = step_3_orders_in_force(item, agency, snapshot)
    requirements = [
        s.order.requires for s in speaking if s.carved_by is None and s.order.effect == REQUIRE
    ]
    bound = binding_undertaking(request, item, agency, requirements, snapshot)
    trail = step_3_trail(speaking, requirement_met=bound is not None)
    decisive = step_3_decisive(trail)
    if decisive is not None:
        return _verdict(decisive[1], trail, snapshot, decisive=decisive)

    # Reading: a domestic recipient released under a require order is bound to the undertaking
    # that met it, as a foreign one is.
    bound_id = None
    if needs_undertaking(agency) or requirements:
        if bound is None:
            refusal = step_4_refusal(request, item, agency, snapshot)
            return _verdict("denied", [*trail, refusal], snapshot, decisive=refusal)
        bound_id = bound.id
        trail.append(("4.undertaking", CONTINUE, f"undertaking:{bound_id}"))
    else:
        # A domestic service needs no undertaking, so the release is bound to none.
        trail.append(("4.domestic", CONTINUE, f"agency:{agency.id}"))

    release: Step = ("5.release", "released", f"item:{item.id}")
    trail.append(release)
    return _verdict("released", trail, snapshot, decisive=release, undertaking_id=bound_id)


def _verdict(
    outcome: str,
    trail: list[Step],
    snapshot: Snapshot,
    *,
    decisive: Step,
    undertaking_id: str | None = None,
) -> Verdict:
    return Verdict(
        outcome=outcome,
        trail=tuple(trail),
        undertaking_id=undertaking_id,
        state_version=snapshot.version,
        decisive=decisive,
    )


# --- comparing with the engine ------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What the engine said, reduced like a ``Verdict``, with its sentence kept for one check."""

    verdict: Verdict
    explanation: str


def observe(
    request: ReleaseRequest, snapshot: Snapshot, state: PolicyState | None = None
) -> Observed:
    """Run ``garante.policy.decide`` on the snapshot, as the service would build it.

    ``state``: the snapshot already built, shared by many requests as a batch shares it.
    """
    try:
        decision: Decision = engine_decide(
            request, snapshot.policy_state() if state is None else state
        )
    except ItemNotFound:
        step: Step = ("1.unknown-item", INVALID, f"item:{request.item_id}")
    except AgencyNotFound:
        step = ("1.unknown-agency", INVALID, f"agency:{request.recipient_id}")
    except UnknownValue:
        step = ("1.unknown-purpose", INVALID, f"purpose:{request.purpose}")
    except Exception as exc:  # the engine must never raise past rule (1)
        step = ("engine-raised", "crash", f"{type(exc).__name__}: {exc}")
        return Observed(Verdict(outcome="crash", trail=(step,)), "")
    else:
        trail = tuple((str(h.rule), str(h.verdict), h.cites) for h in decision.rules)
        verdict = Verdict(
            outcome=decision.outcome.value,
            trail=trail,
            undertaking_id=decision.undertaking_id,
            state_version=decision.state_version,
        )
        return Observed(verdict, decision.explanation)
    return Observed(Verdict(outcome=INVALID, trail=(step,), state_version=snapshot.version), "")


def disagreement(
    request: ReleaseRequest,
    snapshot: Snapshot,
    observed: Observed | None = None,
    expected: Verdict | None = None,
) -> str | None:
    """None when the engine agrees with the model; else the whole case, to read and replay.

    Either verdict can be passed in when already known; the model's is otherwise asked of this
    module's ``decide``, whose helpers are looked up when called, so that a test can swap one
    of them for a broken one and see the check fail.
    """
    if expected is None:
        expected = decide(request, snapshot)
    actual = observed if observed is not None else observe(request, snapshot)
    problems = []
    if actual.verdict.key() != expected.key():
        problems.append("the verdicts differ")
    decisive = expected.decisive
    if decisive is not None and decisive[0].startswith("3.") and decisive[1] != CONTINUE:
        # Which order held or denied it: the sentence must name it.
        order_id = decisive[2].removeprefix("order:")
        if f"order {order_id} " not in actual.explanation:
            problems.append(f"the explanation does not name the deciding order {order_id}")
    if not problems:
        return None
    return describe(request, snapshot, expected, actual, problems)


def describe(
    request: ReleaseRequest,
    snapshot: Snapshot,
    expected: Verdict,
    actual: Observed,
    problems: list[str],
) -> str:
    """The disagreement in full: the request, every object of the snapshot, both verdicts."""
    lines = [f"DISAGREEMENT: {'; '.join(problems)}", f"request: {request!r}"]
    lines.append(f"at: {snapshot.at.isoformat()}  version: {snapshot.version}")
    lines.append(f"conditions: {dict(snapshot.conditions)!r}")
    for label, values in (
        ("agency", snapshot.agencies),
        ("item", snapshot.items),
        ("undertaking", snapshot.undertakings),
        ("order", snapshot.orders),
    ):
        lines.extend(f"{label}: {value!r}" for value in values)
    lines.append(f"reference: {expected.key()!r}  decisive: {expected.decisive!r}")
    lines.append(f"engine:    {actual.verdict.key()!r}")
    lines.append(f"engine explanation: {actual.explanation}")
    return "\n".join(lines)
