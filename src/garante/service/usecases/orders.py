"""Orders: drafted, issued, amended and lifted by their authority; periods, simulations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from garante import records
from garante.domain.errors import ValidationError
from garante.domain.events import Json
from garante.domain.order import Order, Requirement, Scope
from garante.domain.passkeys import Assertion
from garante.domain.roles import Role
from garante.domain.timeutil import iso
from garante.service import (
    lookup,
    orders,
    periods,
    simulate,
    views,
    visibility,
)
from garante.service.access import INTERNAL, acts_as, entitled, not_as_the_system
from garante.service.releases import Redecided
from garante.service.results import Change, Draft, Page
from garante.service.usecases.base import UseCases
from garante.store import convert
from garante.store import orders as store_orders
from garante.store.schema import OrderRow


class Orders(UseCases):
    """Orders: drafted, issued, amended and lifted by their authority; periods, simulations."""

    @entitled(Role.AUTHORITY)
    def draft_order(
        self,
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
    ) -> Draft:
        """A validated order, nothing stored: the authority signs ``draft.order.statement()``.

        An empty scope matches every request: it is taken only with ``everything``.
        """
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="issue")
        with self.context.reads() as tx:
            order = orders.draft_order(
                tx,
                authority_id=authority_id,
                effect=effect,
                scope=scope,
                everything=everything,
                order_id=order_id,
                requires=requires,
                exempts=exempts,
                valid_from=valid_from,
                valid_until=valid_until,
                while_condition=while_condition,
                reason=reason,
            )
            return Draft(order=order, reach=orders.reach(tx, order.scope))

    @entitled(Role.AUTHORITY)
    def issue_order(
        self, order: Order, *, signature: bytes | None, assertion: Assertion | None = None
    ) -> Change[records.Order]:
        """Issue a drafted order, signed with the authority's Ed25519 key (``signature``) or
        one of its passkeys (``assertion`` over SHA-256 of the statement)."""
        acts_as(self.principal, order.authority_id)
        not_as_the_system(order.authority_id, act="issue")
        with self._tx() as tx:
            row, redecided = orders.issue_order(
                tx, order=order, signature=signature, assertion=assertion
            )
            return self._changed(row, redecided)

    def _changed(self, row: OrderRow, redecided: Redecided) -> Change[records.Order]:
        """An order write's result, built in its transaction: the held requests it moved and
        the undelivered releases it withheld or made available again."""
        who = self.principal
        return Change(
            value=views.order(row),
            moved=visibility.moved(who, redecided.moved),
            withheld=visibility.enforced(who, redecided.enforced, withheld=True),
            available=visibility.enforced(who, redecided.enforced, withheld=False),
        )

    @entitled(Role.AUTHORITY)
    def draft_amendment(self, order_id: str, /, *, authority_id: str, **changes: Any) -> Draft:
        """The next version of an order; the amending authority signs its statement with
        ``amended_by``. A scope that clears every dimension needs ``everything=True``."""
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="amend")
        with self.context.reads() as tx:
            amended = orders.draft_amendment(
                tx, order_id=order_id, authority_id=authority_id, **changes
            )
            return Draft(order=amended, reach=orders.reach(tx, amended.scope))

    @entitled(Role.AUTHORITY)
    def amend_order(
        self,
        amended: Order,
        *,
        authority_id: str,
        signature: bytes | None,
        assertion: Assertion | None = None,
    ) -> Change[records.Order]:
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="amend")
        with self._tx() as tx:
            row, redecided = orders.amend_order(
                tx,
                amended=amended,
                authority_id=authority_id,
                signature=signature,
                assertion=assertion,
            )
            return self._changed(row, redecided)

    @entitled(Role.AUTHORITY)
    def lift_statement(self, order_id: str, *, authority_id: str, reason: str) -> dict[str, Json]:
        """What ``authority_id`` must sign to lift the order now."""
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="lift")
        with self.context.reads() as tx:
            lookup.authority(tx.session, authority_id)
            statement = orders.lift_draft(
                tx, order_id=order_id, reason=reason, authority_id=authority_id
            )
            return {**statement, "lifted_by": authority_id}

    @entitled(Role.AUTHORITY)
    def lift_order(
        self,
        order_id: str,
        *,
        authority_id: str,
        reason: str,
        signature: bytes | None,
        assertion: Assertion | None = None,
    ) -> Change[records.Order]:
        acts_as(self.principal, authority_id)
        not_as_the_system(authority_id, act="lift")
        with self._tx() as tx:
            row, redecided = orders.lift_order(
                tx,
                order_id=order_id,
                authority_id=authority_id,
                reason=reason,
                signature=signature,
                assertion=assertion,
            )
            return self._changed(row, redecided)

    @entitled()
    def apply_order_periods(self) -> Change[tuple[records.Boundary, ...]]:
        """Move what orders starting or ending by the clock now change (see ``periods``).

        Which boundaries have passed is read first without the writer lock: a server runs this
        every second, and most seconds nothing is due.
        """
        with self._read() as session:
            if not periods.due(session, self.clock.now()):
                return Change(value=())
        with self._tx() as tx:
            boundaries, moved = periods.apply_order_periods(tx)
            return Change(
                value=tuple(
                    records.Boundary(order=b.order_id, at=iso(b.at), began=b.began)
                    for b in boundaries
                ),
                moved=visibility.moved(self.principal, moved),
            )

    @entitled(*INTERNAL)
    def orders(
        self, *, include_lifted: bool = True, page: Page | None = None
    ) -> list[records.Order]:
        with self._read() as session:
            rows = store_orders.page(session, page, include_lifted=include_lifted)
            return [views.order(r) for r in rows]

    @entitled(*INTERNAL)
    def order(self, order_id: str) -> records.Order:
        with self._read() as session:
            return views.order(lookup.order(session, order_id))

    @entitled(Role.AUTHORITY)
    def simulate_order(self, order: Order, *, start: datetime, end: datetime) -> records.Simulation:
        """What issuing ``order`` would change for the requests of [start, end); stores nothing."""
        with self._read() as session:
            return simulate.simulate(session, self.clock.now(), start=start, end=end, add=order)

    @entitled(Role.AUTHORITY)
    def simulate_amendment(
        self, order_id: str, amended: Order, *, start: datetime, end: datetime
    ) -> records.Simulation:
        """What amending ``order_id`` to ``amended`` (``draft_amendment``) would change for the
        requests of [start, end): each decided with the order as it stands and with the amended
        version. Stores nothing."""
        with self._read() as session:
            current = convert.order(lookup.order(session, order_id))
            if amended.id != current.id:
                raise ValidationError(
                    f"the amendment is of order '{amended.id}', not '{order_id}'", field="id"
                )
            return simulate.simulate(
                session, self.clock.now(), start=start, end=end, add=amended, lift=current
            )

    @entitled(Role.AUTHORITY)
    def simulate_lift(self, order_id: str, *, start: datetime, end: datetime) -> records.Simulation:
        """What lifting an order would change for the requests of [start, end)."""
        with self._read() as session:
            order = convert.order(lookup.order(session, order_id))
            return simulate.simulate(session, self.clock.now(), start=start, end=end, lift=order)
