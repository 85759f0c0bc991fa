"""Rule (2), onward sharing: an item taken from a Garante upstream is released onward only when
its upstream release was for onward sharing or a consent granted upstream is held for this
recipient and purpose; without one it is held, a refused consent denies it."""

from __future__ import annotations

from dataclasses import replace

from garante.domain import Decision, Outcome
from garante.domain.consent import ConsentKey, Onward
from garante.policy.decide import decide
from tests.policy.policy_builders import request, rule_ids, state, undertaking

UPSTREAM = "garante.example/upstream"
TAKEN = Onward(origin=UPSTREAM, request=12, purpose="seizure")
DEA_UNDERTAKING = [undertaking()]


def _decide(onward: Onward, consents: dict[ConsentKey, str] | None = None) -> Decision:
    snapshot = replace(
        state(undertakings=DEA_UNDERTAKING),
        released_under={"intel-1": onward},
        consents=consents or {},
    )
    return decide(request(), snapshot)


def test_item_released_upstream_for_another_purpose_is_held_until_consent() -> None:
    decision = _decide(TAKEN)
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["2.onward-consent-awaited"]


def test_held_onward_release_says_how_to_ask_for_consent() -> None:
    decision = _decide(TAKEN)
    assert "garante consents request intel-1 --to dea --purpose seizure" in (decision.explanation)


def test_item_released_upstream_for_onward_sharing_needs_no_consent() -> None:
    decision = _decide(replace(TAKEN, purpose="onward-sharing"))
    assert decision.outcome == Outcome.RELEASED


def test_consent_granted_for_recipient_and_purpose_releases() -> None:
    decision = _decide(TAKEN, {(UPSTREAM, 12, "dea", "seizure"): "granted"})
    assert decision.outcome == Outcome.RELEASED


def test_consent_refused_denies() -> None:
    decision = _decide(TAKEN, {(UPSTREAM, 12, "dea", "seizure"): "refused"})
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.onward-consent-refused"]


def test_consent_for_another_purpose_does_not_release() -> None:
    decision = _decide(TAKEN, {(UPSTREAM, 12, "dea", "analysis"): "granted"})
    assert decision.outcome == Outcome.HELD


def test_consent_for_another_upstream_release_does_not_release() -> None:
    decision = _decide(TAKEN, {(UPSTREAM, 13, "dea", "seizure"): "granted"})
    assert decision.outcome == Outcome.HELD


def test_item_added_locally_needs_no_consent() -> None:
    decision = decide(request(), state(undertakings=DEA_UNDERTAKING))
    assert decision.outcome == Outcome.RELEASED
