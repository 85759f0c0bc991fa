"""``decide(request, state)``: DESIGN.md's precedence, first match wins, failing closed.

The numbered comments follow the brief's precedence; the rule ids in ``Decision.rules`` carry
the same numbers, so a decision can be read against the brief line by line.
"""

from __future__ import annotations

from datetime import datetime

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


class _Unrecognised(Exception):
    """Something the engine cannot judge; it must hold rather than guess."""


def decide(request: ReleaseRequest, state: PolicyState) -> Decision:
    """Decide one release request against one snapshot of the state.

    Pure and deterministic: the same request and snapshot always give the same decision.
    Raises only for rule (1), a request naming an unknown item, agency or purpose; every other
    problem becomes a ``held`` decision that says what could not be judged.
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
        message = str(exc) if isinstance(exc, _Unrecognised) else f"{type(exc).__name__}: {exc}"
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
    hits: list[RuleHit] = []
    if item.tlp not in _TLPS:
        raise _Unrecognised(f"item {item.id} has TLP marking '{item.tlp}', which is not TLP 2.0")

    # (2) releasability and TLP:RED.
    if not agency.active:
        return _final(
            Outcome.DENIED,
            hits,
            Rule.RECIPIENT_INACTIVE,
            f"agency:{agency.id}",
            f"{agency.id} is deactivated",
            state,
        )
    if (
        item.releasable_to
        and agency.id not in item.releasable_to
        and agency.country not in item.releasable_to
    ):
        allowed = ", ".join(sorted(item.releasable_to))
        return _final(
            Outcome.DENIED,
            hits,
            Rule.RELEASABILITY,
            f"item:{item.id}",
            f"item {item.id} is releasable only to {allowed}; {agency.id} ({agency.country}) "
            "is not among them",
            state,
        )
    if item.tlp == Tlp.RED and agency.id != item.originator:
        return _final(
            Outcome.DENIED,
            hits,
            Rule.TLP_RED,
            f"item:{item.id}",
            f"item {item.id} is TLP:RED and {agency.id} is not its originator ({item.originator})",
            state,
        )
    if item.embargo_until is not None and at < item.embargo_until:
        return _final(
            Outcome.HELD,
            hits,
            Rule.EMBARGO,
            f"item:{item.id}",
            f"item {item.id} is under embargo until {iso(item.embargo_until)}",
            state,
        )
    if item.expires_at is not None and at >= item.expires_at:
        return _final(
            Outcome.DENIED,
            hits,
            Rule.EXPIRED,
            f"item:{item.id}",
            f"item {item.id} expired at {iso(item.expires_at)}",
            state,
        )

    # (3) orders in force whose scope matches, unless an exemption in force carves them out.
    requirements: list[Order] = []
    requirement_slots: list[tuple[int, Order]] = []
    deciding: tuple[Outcome, Rule, Order] | None = None
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
            hits.append(
                RuleHit(
                    rule=Rule.ORDER_EXEMPTED,
                    verdict="continue",
                    cites=f"order:{exemption.id}",
                    message=f"order {exemption.id} exempts this request from order {order.id}",
                )
            )
            continue
        if order.effect == Effect.DENY:
            hits.append(_order_hit(order, Rule.ORDER_DENY, Outcome.DENIED, state))
            if deciding is None or deciding[0] != Outcome.DENIED:
                deciding = (Outcome.DENIED, Rule.ORDER_DENY, order)
        elif order.effect == Effect.HOLD:
            hits.append(_order_hit(order, Rule.ORDER_HOLD, Outcome.HELD, state))
            if deciding is None:
                deciding = (Outcome.HELD, Rule.ORDER_HOLD, order)
        else:
            _check_clauses(order.requires, order.id, state)
            requirements.append(order)
            requirement_slots.append((len(hits), order))
            hits.append(_PLACEHOLDER)
    qualifying = _qualifying_undertakings(request, item, agency, state)
    if requirements:
        # Every require order must be met by the same undertaking, which must also qualify under
        # rule (4): the release is bound to it, so a breach of it can be traced to the release.
        qualifying = [u for u in qualifying if all(meets(u, o.requires) for o in requirements)]
        for position, order in requirement_slots:
            hits[position] = _requirement_hit(order, agency, met=bool(qualifying))
    if deciding is not None:
        outcome, _, order = deciding
        return Decision(
            outcome=outcome,
            rules=tuple(hits),
            explanation=_sentence(
                outcome,
                f"order {order.id} ({order.effect}, issued by {order.authority_id}) "
                f"{_in_force_phrase(order)}",
            ),
            state_version=state.version,
        )
    if requirements and not qualifying:
        first = requirements[0]
        return Decision(
            outcome=Outcome.HELD,
            rules=tuple(hits),
            explanation=_sentence(
                Outcome.HELD,
                f"order {first.id} (issued by {first.authority_id}) requires an undertaking "
                f"that {first.requires.describe()}, and {agency.id} has not signed one that "
                f"permits {request.purpose}",
            ),
            state_version=state.version,
        )

    # (4) a foreign recipient needs an active undertaking permitting the purpose. A domestic one
    # released under a require order is bound to the undertaking that met it.
    if agency.needs_undertaking or requirements:
        if not qualifying:
            prohibiting = sorted(
                (
                    u
                    for u in state.undertakings.get(agency.id, ())
                    if u.is_active(at)
                    and u.covers(item.category)
                    and request.purpose in u.prohibits
                ),
                key=lambda u: (u.valid_from, u.id),
                reverse=True,
            )
            if prohibiting:
                rule, cites = Rule.UNDERTAKING_PROHIBITS, f"undertaking:{prohibiting[0].id}"
                why = f"{agency.id}'s undertaking {prohibiting[0].id} prohibits {request.purpose}"
            else:
                rule, cites = Rule.UNDERTAKING_MISSING, f"agency:{agency.id}"
                why = (
                    f"{agency.id} has no active undertaking that permits {request.purpose} "
                    f"for {item.category}"
                )
            return _final(Outcome.DENIED, hits, rule, cites, why, state)
        bound = qualifying[0]
        hits.append(
            RuleHit(
                rule=Rule.UNDERTAKING_BOUND,
                verdict="continue",
                cites=f"undertaking:{bound.id}",
                message=f"{agency.id}'s undertaking {bound.id} permits {request.purpose} "
                f"for {item.category}",
            )
        )
    else:
        bound = None
        hits.append(
            RuleHit(
                rule=Rule.DOMESTIC,
                verdict="continue",
                cites=f"agency:{agency.id}",
                message=f"{agency.id} is a domestic service; no undertaking is required",
            )
        )

    # (5) otherwise released.
    hits.append(
        RuleHit(
            rule=Rule.DEFAULT_RELEASE,
            verdict=Outcome.RELEASED,
            cites=f"item:{item.id}",
            message="no rule withholds the item",
        )
    )
    under = f" under undertaking {bound.id}" if bound else ""
    return Decision(
        outcome=Outcome.RELEASED,
        rules=tuple(hits),
        explanation=f"Released to {agency.id} for {request.purpose}{under}.",
        undertaking_id=bound.id if bound else None,
        state_version=state.version,
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


def _qualifying_undertakings(
    request: ReleaseRequest, item: Item, agency: Agency, state: PolicyState
) -> list[Undertaking]:
    """Active undertakings of the recipient under which this release could be made, newest first."""
    at: datetime = state.at
    vocabulary = state.vocabulary
    found = []
    for undertaking in state.undertakings.get(agency.id, ()):
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
        if (
            undertaking.covers(item.category)
            and request.purpose in undertaking.permits
            and request.purpose not in undertaking.prohibits
        ):
            found.append(undertaking)
    found.sort(key=lambda u: (u.valid_from, u.id), reverse=True)
    return found


def _requirement_hit(order: Order, agency: Agency, *, met: bool) -> RuleHit:
    return RuleHit(
        rule=Rule.ORDER_REQUIRE_MET if met else Rule.ORDER_REQUIRE_UNMET,
        verdict="continue" if met else Outcome.HELD,
        cites=f"order:{order.id}",
        message=f"order {order.id} requires an undertaking that {order.requires.describe()}; "
        + (
            f"{agency.id} has one" if met else f"{agency.id} has none that also covers this request"
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
    return f"{outcome.value.capitalize()}: {why.rstrip('.')}."


def _final(
    outcome: Outcome, hits: list[RuleHit], rule: Rule, cites: str, why: str, state: PolicyState
) -> Decision:
    hits.append(RuleHit(rule=rule, verdict=outcome, cites=cites, message=why))
    return Decision(
        outcome=outcome,
        rules=tuple(hits),
        explanation=_sentence(outcome, why),
        state_version=state.version,
    )
