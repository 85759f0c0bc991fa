"""Orders as the service tests issue them: unsigned, from the presidency, US-scoped."""

from __future__ import annotations

from typing import Any

from garante import records
from garante.domain.order import Requirement, Scope
from garante.service.app import Change, Garante


def issue(garante: Garante, effect: str = "hold", **options: Any) -> Change[records.Order]:
    """Issue an unsigned order from the presidency, US-scoped unless told otherwise."""
    scope = options.pop("scope", Scope(countries=frozenset({"US"})))
    requires = options.pop("requires", None)
    if isinstance(requires, dict):
        requires = Requirement(
            prohibits=frozenset(requires.get("prohibits", ())),
            protections=frozenset(requires.get("protections", ())),
        )
    order = garante.draft_order(
        authority_id=options.pop("authority_id", "presidency"),
        effect=effect,
        scope=scope,
        requires=requires,
        reason=options.pop("reason", "test order"),
        **options,
    ).order
    return garante.issue_order(order, signature=None)
