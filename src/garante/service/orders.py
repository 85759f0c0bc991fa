"""Issuing, amending and lifting orders; each moves the held queue, and enforces undelivered
releases again, in the same transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from garante.domain.errors import AlreadyExists, InvalidState, NotEntitled, ValidationError
from garante.domain.events import Json, JsonObject, OrderAmended, OrderIssued, OrderLifted
from garante.domain.order import Acting, Effect, Order, Requirement, Scope, lift_statement
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.passkeys import Assertion
from garante.domain.vocabulary import suggest
from garante.service import lookup
from garante.service.passkeys import assertion_text, check_signed
from garante.service.releases import Affects, Redecided, in_scopes, redecide
from garante.service.results import Reach
from garante.service.transaction import Reading, Transaction
from garante.signatures import canonical, encode_signature
from garante.store import agencies, authorities, convert, orders
from garante.store.schema import OrderRow
from garante.store.session import flush


def draft_order(
    tx: Reading,
    *,
    authority_id: str,
    effect: str,
    scope: Scope,
    everything: bool = False,
    order_id: str | None = None,
    requires: Requirement | None = None,
    exempts: list[str] | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    while_condition: str | None = None,
    reason: str = "",
) -> Order:
    """Validate an order; the authority signs the result's ``statement()``.

    Scope values are checked against what exists: an order scoped to a typo ("USA", "dae")
    would hold nothing and look as if it held everything. An empty scope matches every
    request, so it is taken only with ``everything`` (``Scope.require_explicit``).
    """
    session = tx.session
    lookup.authority(session, authority_id)
    if effect not in set(Effect):
        raise ValidationError(
            f"unknown effect '{effect}'", field="effect", hint=suggest(effect, list(Effect))
        )
    scope.require_explicit(everything=everything)
    _check_scope(tx, scope)
    requires = requires or Requirement()
    exempts = exempts or []
    if effect == Effect.REQUIRE:
        if not requires.prohibits and not requires.protections:
            raise ValidationError(
                "a require order must name the clauses it requires",
                field="requires",
                hint="for example --require-prohibits lethal-force "
                "--require-protections protection-of-life",
            )
        tx.vocabulary.check("purposes", requires.prohibits, field_name="requires.prohibits")
        tx.vocabulary.check("protections", requires.protections, field_name="requires.protections")
    elif requires.prohibits or requires.protections:
        raise ValidationError("only a require order takes required clauses", field="requires")
    if effect == Effect.EXEMPT:
        if not exempts:
            raise ValidationError(
                "an exempt order must name the orders it exempts from", field="exempts"
            )
        for target in exempts:
            target_row = lookup.order(session, target, field="exempts")
            if target_row.effect == Effect.EXEMPT:
                raise ValidationError(
                    f"order '{target}' is itself an exemption; exempt from the order it "
                    "exempts instead",
                    field="exempts",
                )
    elif exempts:
        raise ValidationError("only an exempt order names orders to exempt", field="exempts")
    if while_condition is not None:
        lookup.condition(session, while_condition, field="while_condition")
    start = valid_from or tx.now
    if valid_until is not None and valid_until <= start:
        raise ValidationError("valid_until must be after valid_from", field="valid_until")
    if not reason.strip():
        raise ValidationError(
            "an order must give its reason", field="reason", hint="quote the instruction"
        )
    sequence = orders.next_sequence(session)
    order_id = order_id or f"order-{sequence}"
    lookup.slug(order_id, field="id")
    if orders.get(session, order_id) is not None:
        raise AlreadyExists(f"order '{order_id}' already exists", field="id")
    return Order(
        id=order_id,
        authority_id=authority_id,
        effect=effect,
        scope=scope,
        valid_from=start,
        valid_until=valid_until,
        while_condition=while_condition,
        exempts=frozenset(exempts),
        requires=requires,
        reason=reason.strip(),
        version=1,
        sequence=sequence,
    )


def _check_scope(tx: Reading, scope: Scope) -> None:
    session = tx.session
    for agency_id in sorted(scope.agencies):
        lookup.agency(session, agency_id, field="scope.agencies")
    countries = agencies.countries(session)
    for country in sorted(scope.countries):
        lookup.country(country, field="scope.countries")
        if country not in countries:
            raise ValidationError(
                f"no registered agency is in country '{country}'",
                field="scope.countries",
                hint=suggest(country, countries),
            )
    tx.vocabulary.check("categories", scope.categories, field_name="scope.categories")
    tx.vocabulary.check("regions", scope.regions, field_name="scope.regions")


def reach(tx: Reading, scope: Scope) -> Reach:
    """How many partners, and agencies in all, ``scope`` reaches now."""
    places = agencies.places(tx.session)
    reached = [
        domestic
        for agency_id, country, domestic in places
        if scope.reaches(agency=agency_id, country=country)
    ]
    return Reach(
        partners=sum(not domestic for domestic in reached),
        of_partners=sum(not domestic for _, _, domestic in places),
        agencies=len(reached),
        of_agencies=len(places),
    )


def issue_order(
    tx: Transaction, *, order: Order, signature: bytes | None, assertion: Assertion | None = None
) -> tuple[OrderRow, Redecided]:
    session = tx.session
    authority = lookup.authority(session, order.authority_id)
    statement = order.statement()
    check_signed(
        session,
        signer=order.authority_id,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
        assertion=assertion,
    )
    if orders.get(session, order.id) is not None:
        raise AlreadyExists(
            f"order '{order.id}' already exists: another order took its id after it was drafted",
            field="id",
            hint="draft the order again (or give it an id of its own) and sign the new statement",
        )
    # The sequence is not signed: it is the order's place in issue order, so it is taken here,
    # under the writer lock, not from the draft (two authorities drafting at once would both
    # have drawn the same one). Replay numbers orders the same way, by their place in the log.
    order = replace(order, sequence=orders.next_sequence(session))
    row = orders.add(session, order, at=tx.now)
    _record_version(tx, order.id, 1, "issue", order.authority_id, statement, signature, assertion)
    tx.audit(OrderIssued(statement=statement, signature=_encoded(signature), assertion=assertion))
    flush(session)
    redecided = redecide(tx, trigger=f"order {order.id} issued", affects=_affected_by([order]))
    return row, redecided


def draft_amendment(
    tx: Reading,
    *,
    order_id: str,
    authority_id: str,
    effect: str | None = None,
    scope: Scope | None = None,
    everything: bool = False,
    requires: Requirement | None = None,
    exempts: list[str] | None = None,
    valid_until: datetime | None = None,
    while_condition: str | None = None,
    clear_condition: bool = False,
    reason: str | None = None,
) -> Order:
    """The next version of an order, with only the given terms changed.

    A new scope follows the rule of a new order (``Scope.require_explicit``): one that clears
    every dimension is taken only with ``everything``, which alone clears them all.
    """
    session = tx.session
    row = lookup.order(session, order_id)
    if row.lifted_at is not None:
        raise InvalidState(f"order '{order_id}' was lifted; issue a new order instead", field="id")
    current = convert.order(row)
    lookup.authority(session, authority_id)
    answerable(tx, order_id, row.authority_id, authority_id, act="amend")
    if everything and scope is None:
        scope = Scope()
    if scope is not None:
        scope.require_explicit(everything=everything)
    new_effect = effect or current.effect
    new_requires = requires if requires is not None else current.requires
    if new_effect != Effect.REQUIRE:
        if requires is not None and (requires.prohibits or requires.protections):
            raise ValidationError("only a require order takes required clauses", field="requires")
        new_requires = Requirement()
    amended = replace(
        current,
        effect=new_effect,
        scope=scope if scope is not None else current.scope,
        requires=new_requires,
        exempts=frozenset(exempts) if exempts is not None else current.exempts,
        valid_until=valid_until if valid_until is not None else current.valid_until,
        while_condition=None if clear_condition else (while_condition or current.while_condition),
        reason=(reason or "").strip() or current.reason,
        version=current.version + 1,
    )
    if new_effect not in set(Effect):
        raise ValidationError(
            f"unknown effect '{new_effect}'", field="effect", hint=suggest(new_effect, list(Effect))
        )
    _check_scope(tx, amended.scope)
    if amended.effect == Effect.REQUIRE:
        if not amended.requires.prohibits and not amended.requires.protections:
            raise ValidationError(
                "a require order must name the clauses it requires", field="requires"
            )
        tx.vocabulary.check("purposes", amended.requires.prohibits, field_name="requires.prohibits")
        tx.vocabulary.check(
            "protections", amended.requires.protections, field_name="requires.protections"
        )
    if amended.effect == Effect.EXEMPT and not amended.exempts:
        raise ValidationError("an exempt order must name the orders it exempts", field="exempts")
    if amended.effect != Effect.EXEMPT and amended.exempts:
        raise ValidationError("only an exempt order names orders to exempt", field="exempts")
    for target in sorted(amended.exempts):
        lookup.order(session, target, field="exempts")
    if amended.while_condition is not None:
        lookup.condition(session, amended.while_condition, field="while_condition")
    if amended.valid_until is not None and amended.valid_until <= amended.valid_from:
        raise ValidationError("valid_until must be after valid_from", field="valid_until")
    return amended


def amend_order(
    tx: Transaction,
    *,
    amended: Order,
    authority_id: str,
    signature: bytes | None,
    assertion: Assertion | None = None,
) -> tuple[OrderRow, Redecided]:
    session = tx.session
    row = lookup.order(session, amended.id)
    if row.version + 1 != amended.version:
        raise InvalidState(
            f"order '{amended.id}' is at version {row.version}; amend that version",
            field="version",
        )
    before = convert.order(row)
    authority = lookup.authority(session, authority_id)
    acting = answerable(tx, amended.id, row.authority_id, authority_id, act="amend")
    statement = {**amended.statement(), "amended_by": authority_id}
    check_signed(
        session,
        signer=authority_id,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
        assertion=assertion,
    )
    row.effect = amended.effect
    row.scope = amended.scope.to_dict()
    row.requires = amended.requires.to_dict()
    row.exempts = sorted(amended.exempts)
    row.valid_until = amended.valid_until
    row.while_condition = amended.while_condition
    row.reason = amended.reason
    row.version = amended.version
    row.amended_at = tx.now
    _record_version(
        tx, amended.id, amended.version, "amend", authority_id, statement, signature, assertion
    )
    tx.audit(
        OrderAmended(
            statement=statement,
            signature=_encoded(signature),
            acting_as=acting,
            assertion=assertion,
        )
    )
    flush(session)
    redecided = redecide(
        tx,
        trigger=f"order {amended.id} amended to version {amended.version}",
        affects=_affected_by([before, amended]),
    )
    return row, redecided


def answerable(tx: Reading, order_id: str, issuer: str, authority_id: str, *, act: str) -> Acting:
    """An order answers to the authority that issued it, or to one the operator configured as
    superior to that authority (``registry.set_superior``) when it acts; in which right it acts.

    DESIGN.md, "Who may do what". The system authority's orders come only from the breach rule;
    any authority lifts them (signed), and none amends them, a superior neither.
    """
    if authority_id == issuer:
        return Acting.ISSUER
    if issuer == SYSTEM_AUTHORITY:
        if act == "lift":
            return Acting.ANY
        raise NotEntitled(
            f"order '{order_id}' was issued by Garante's breach rule; '{authority_id}' may not "
            f"{act} it",
            field="authority",
            hint="lift it and issue a new order instead",
        )
    superiors = authorities.superiors(tx.session, issuer)
    if authority_id in superiors:
        return Acting.SUPERIOR
    above = ", ".join(sorted(superiors))
    raise NotEntitled(
        f"order '{order_id}' was issued by authority '{issuer}'; '{authority_id}' may not {act} it",
        field="authority",
        hint=(
            f"{issuer} may {act} it"
            + (f", or an authority superior to it ({above})" if above else "")
            + "; or issue an order of your own (an exemption)"
        ),
    )


def lift_draft(
    tx: Reading, *, order_id: str, reason: str, authority_id: str | None = None
) -> dict[str, Json]:
    """What lifting ``order_id`` states; ``authority_id``, if given, must be entitled to it."""
    row = lookup.order(tx.session, order_id)
    if row.lifted_at is not None:
        raise InvalidState(f"order '{order_id}' was already lifted", field="id")
    if authority_id is not None:
        answerable(tx, order_id, row.authority_id, authority_id, act="lift")
    if not reason.strip():
        raise ValidationError("say why the order is lifted", field="reason")
    return lift_statement(order_id, row.version + 1, reason.strip())


def lift_order(
    tx: Transaction,
    *,
    order_id: str,
    authority_id: str,
    reason: str,
    signature: bytes | None,
    assertion: Assertion | None = None,
) -> tuple[OrderRow, Redecided]:
    session = tx.session
    statement = {
        **lift_draft(tx, order_id=order_id, reason=reason, authority_id=authority_id),
        "lifted_by": authority_id,
    }
    row = lookup.order(session, order_id)
    authority = lookup.authority(session, authority_id)
    acting = answerable(tx, order_id, row.authority_id, authority_id, act="lift")
    check_signed(
        session,
        signer=authority_id,
        public_key=authority.public_key,
        statement=statement,
        signature=signature,
        assertion=assertion,
    )
    before = convert.order(row)
    row.lifted_at = tx.now
    row.lift_reason = reason.strip()
    row.version += 1
    _record_version(
        tx, order_id, row.version, "lift", authority_id, statement, signature, assertion
    )
    tx.audit(
        OrderLifted(
            statement=statement,
            signature=_encoded(signature),
            acting_as=acting,
            assertion=assertion,
        )
    )
    flush(session)
    redecided = redecide(tx, trigger=f"order {order_id} lifted", affects=_affected_by([before]))
    return row, redecided


def _record_version(
    tx: Transaction,
    order_id: str,
    version: int,
    action: str,
    signed_by: str,
    statement: JsonObject,
    signature: bytes | None,
    assertion: Assertion | None = None,
) -> None:
    orders.add_version(
        tx.session,
        order_id=order_id,
        version=version,
        action=action,
        signed_by=signed_by,
        statement=canonical(statement).decode(),
        signature=signature,
        at=tx.now,
        assertion=assertion_text(assertion),
    )


def _encoded(signature: bytes | None) -> str | None:
    return encode_signature(signature) if signature else None


def _affected_by(changed: list[Order]) -> Affects:
    """An exemption's effect lands on requests inside its own scope, so scopes suffice."""
    return in_scopes([order.scope for order in changed])
