"""Who may do what: each use case names the roles that may call it, once, where it is defined.

A use case is declared with ``@entitled(Role.ANALYST, ...)``; calling it for a principal of
another role raises ``Forbidden`` before anything is read or written. The operator, who holds
the store itself (the CLI, the demo, the server's loops), may call every use case. The API reads
the same declaration (``roles_of``) for the dependency each route declares, so the roles a route
admits and the roles the service admits cannot drift apart. What a principal may *see* among
what it may read is ``service.visibility``'s to decide.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, Literal, ParamSpec, Protocol, TypeVar

from garante.domain.errors import NotEntitled, ValidationError
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.roles import Principal, Role
from garante.service.tokens import Forbidden

P = ParamSpec("P")
R = TypeVar("R")

INTERNAL = (Role.ANALYST, Role.LIAISON, Role.AUTHORITY, Role.OVERSEER)
"""The originator's own roles, which may read every internal view."""

_ROLES = "__garante_roles__"


class Acting(Protocol):
    """Anything that acts for a principal: the service."""

    @property
    def principal(self) -> Principal: ...


S = TypeVar("S", bound=Acting)


def entitled(
    *roles: Role,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Admit ``roles`` (and the operator) to the decorated use case; refuse every other."""
    allowed = frozenset(roles)

    def declare(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def checked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check(self.principal, allowed)
            return method(self, *args, **kwargs)

        setattr(checked, _ROLES, allowed)
        return checked

    return declare


def check(who: Principal, allowed: frozenset[Role]) -> None:
    if who.role == Role.OPERATOR or who.role in allowed:
        return
    names = ", ".join(sorted(role.value for role in allowed)) or "the operator only"
    raise Forbidden(f"a {who.role.value} token may not do this", hint=f"allowed roles: {names}")


def acts_as(who: Principal, authority_id: str) -> None:
    """An authority's token signs for its own authority only; the operator names any."""
    if who.role == Role.AUTHORITY and who.authority_id != authority_id:
        raise NotEntitled(
            f"this token acts for authority '{who.authority_id}', not '{authority_id}'",
            field="authority",
        )


_AS_THE_SYSTEM = {
    "issue": ("issue an order", "issue the order as an authority of your own, signed"),
    "amend": (
        "amend an order",
        "the breach rule's holds are amended by none: lift it as an authority of your own, "
        "signed, and issue a new order instead",
    ),
    "lift": ("lift an order", "lift it as an authority of your own, signed"),
    "set": ("set a condition", "set it as an authority of your own, signed"),
}


def not_as_the_system(authority_id: str, *, act: Literal["issue", "amend", "lift", "set"]) -> None:
    """No one issues, amends or lifts an order, or sets a condition, as the system authority,
    the operator included (DESIGN.md, "Who may do what"): its orders come only from the
    breach rule, which issues them below the use cases (``outcomes``, ``recalldeadlines``),
    and any authority lifts them, signed as itself. The system authority has no key, so a
    statement "signed" as it would be taken unsigned."""
    if authority_id == SYSTEM_AUTHORITY:
        what, hint = _AS_THE_SYSTEM[act]
        raise NotEntitled(
            f"no one may {what} as '{SYSTEM_AUTHORITY}': that authority is Garante's "
            "breach rule, which alone acts as it",
            field="authority",
            hint=hint,
        )


def reporting_agency(who: Principal, agency_id: str | None) -> str:
    """The agency an event is reported for: an analyst's own, unless it names another
    (refused); an authority or the operator must name one."""
    if who.role == Role.ANALYST:
        if who.agency_id is None:  # an analyst token always names its agency; fail closed
            raise Forbidden("this analyst token names no agency", hint="create a new one")
        if agency_id is not None and agency_id != who.agency_id:
            raise NotEntitled(
                f"this token reports events for agency '{who.agency_id}', not '{agency_id}'",
                field="agency",
            )
        return who.agency_id
    if agency_id is None:
        raise ValidationError(
            "name the agency that reports the event",
            field="agency",
            hint="give the id of a registered agency (--agency ID)",
        )
    return agency_id


def roles_of(use_case: Callable[..., object]) -> frozenset[Role]:
    """The roles a use case admits besides the operator, as declared with ``entitled``."""
    roles = getattr(use_case, _ROLES, None)
    if not isinstance(roles, frozenset):
        raise TypeError(f"{use_case.__qualname__} declares no roles: decorate it with @entitled")
    return roles
