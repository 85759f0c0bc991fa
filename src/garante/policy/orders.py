"""What an order is at one instant, read the same way by ``decide`` and by ``standing``.

``decide`` judges one request, so it knows the item's category and region; ``standing`` judges
an agency, so it reads the agency half of a scope (``Scope.reaches``) and names the part an
order is limited to. Both agree here on when an order's condition holds and when an
undertaking meets a require order's clauses. What to do with a condition the state does not
know is each caller's to say, and each fails closed: ``decide`` holds the request; ``standing``
counts an order as in force and an exemption as not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from garante.domain.order import Order, Requirement
from garante.domain.undertaking import Undertaking


def condition_holds(order: Order, conditions: Mapping[str, bool]) -> bool | None:
    """Whether the order's ``while_condition`` is active; ``None`` if the state does not know it.

    An order without a condition holds whenever it is in its window.
    """
    if order.while_condition is None:
        return True
    return conditions.get(order.while_condition)


def in_force(
    order: Order, conditions: Mapping[str, bool], at: datetime, *, if_unknown: bool
) -> bool:
    """In its window at ``at`` and its condition active; ``if_unknown`` for an unknown one."""
    if not order.in_window(at):
        return False
    holds = condition_holds(order, conditions)
    return if_unknown if holds is None else holds


def meets(undertaking: Undertaking, requirement: Requirement) -> bool:
    """The undertaking has every clause the require order asks for."""
    return requirement.prohibits <= undertaking.prohibits and (
        requirement.protections <= undertaking.protections
    )
