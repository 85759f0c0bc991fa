"""Compliance of an outcome with the undertaking its release was made under."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from garante.domain.outcome import OutcomeReport
from garante.domain.undertaking import Undertaking
from garante.policy.compliance import judge

AT = datetime(2025, 11, 12, tzinfo=UTC)


def _undertaking(**terms: frozenset[str]) -> Undertaking:
    return Undertaking(
        id="u1",
        agency_id="dea",
        permits=terms.get("permits", frozenset({"seizure", "arrest"})),
        prohibits=terms.get("prohibits", frozenset()),
        protections=terms.get("protections", frozenset()),
        valid_from=AT,
    )


def _outcome(kind: str, casualties: int = 0) -> OutcomeReport:
    return OutcomeReport(
        request_id=1, agency_id="dea", kind=kind, occurred_at=AT, casualties=casualties
    )


def test_a_permitted_use_is_compliant() -> None:
    assert judge(_outcome("seizure"), _undertaking()).breach is False


def test_a_prohibited_use_is_a_breach() -> None:
    verdict = judge(
        _outcome("lethal-force"),
        _undertaking(permits=frozenset({"seizure"}), prohibits=frozenset({"lethal-force"})),
    )
    assert verdict.breach is True
    assert verdict.reasons == ("undertaking u1 prohibits lethal-force",)


def test_a_use_the_undertaking_never_permitted_is_a_breach() -> None:
    verdict = judge(_outcome("interdiction"), _undertaking())
    assert verdict.reasons == ("undertaking u1 does not permit interdiction",)


def test_casualties_under_protection_of_life_are_a_breach() -> None:
    verdict = judge(
        _outcome("arrest", casualties=2),
        _undertaking(protections=frozenset({"protection-of-life"})),
    )
    assert verdict.breach is True
    assert "2 casualties" in verdict.reasons[0]


def test_casualties_without_a_promise_of_protection_are_not_a_breach_by_themselves() -> None:
    assert judge(_outcome("arrest", casualties=2), _undertaking()).breach is False


@pytest.mark.parametrize("kind", ["no-action", "other"])
def test_outcomes_that_are_no_use_are_compliant(kind: str) -> None:
    assert judge(_outcome(kind), _undertaking()).breach is False


def test_an_unknown_outcome_kind_fails_closed_as_a_breach() -> None:
    assert judge(_outcome("drone-strike"), _undertaking()).breach is True


def test_a_release_without_an_undertaking_promised_nothing() -> None:
    assert judge(_outcome("arrest", casualties=1), None).breach is False
