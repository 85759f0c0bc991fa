"""Hand-kept conditions as the service tests set them: on the ministry's signed word."""

from __future__ import annotations

from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import sign_statement


def set_signed(
    garante: Garante,
    condition_id: str,
    *,
    active: bool,
    evidence: str,
    authority_id: str = "mininterior",
) -> dict[str, str | bool]:
    """Set ``condition_id`` as ``authority_id`` (a demo authority with a key) signs it; the
    statement it signed, for tests that check what the log kept of it."""
    statement = garante.condition_statement(
        condition_id, active=active, evidence=evidence, authority_id=authority_id
    )
    garante.set_condition(
        condition_id,
        active=active,
        evidence=evidence,
        authority_id=authority_id,
        signature=sign_statement(demo_key(authority_id), statement),
    )
    return statement
