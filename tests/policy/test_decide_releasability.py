"""Rule (2): an item held for review is held first; ``releasable_to``, TLP:RED and deactivated
recipients deny before any order; an embargo holds, an expiry denies."""

from __future__ import annotations

import pytest

from garante.domain import Item, Outcome
from tests.policy.policy_builders import (
    AT,
    cited,
    days,
    decide_for,
    domestic,
    foreign,
    item,
    order,
    rule_ids,
    undertaking,
)

#: DEA has signed an undertaking for seizures, so only rule (2) stands between it and a release.
DEA_UNDERTAKING = [undertaking()]
AGENCIES = [domestic("dipol"), domestic("dijin"), foreign("dea"), foreign("fbi")]


def releasable(*targets: str) -> list[Item]:
    return [item(releasable_to=targets)]


def test_empty_releasable_to_means_no_restriction() -> None:
    decision = decide_for("dea", items=releasable(), undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_releasable_to_country_admits_an_agency_of_that_country() -> None:
    decision = decide_for("dea", items=releasable("US"), undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_releasable_to_country_denies_an_agency_of_another_country() -> None:
    decision = decide_for("dea", items=releasable("GB", "CO"), undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.releasable-to"]
    assert cited(decision) == ["item:intel-1"]


def test_releasable_to_agency_id_admits_that_agency() -> None:
    decision = decide_for("dea", items=releasable("dea"), undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_releasable_to_agency_id_denies_another_agency_of_the_same_country() -> None:
    decision = decide_for(
        "fbi",
        agencies=AGENCIES,
        items=releasable("dea"),
        undertakings=[undertaking("fbi-ut-1", agency_id="fbi")],
    )
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.releasable-to"]


def test_releasable_to_also_restricts_domestic_agencies() -> None:
    decision = decide_for("dipol", items=releasable("dea"))
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.releasable-to"]


def test_releasable_to_denial_explains_who_may_receive() -> None:
    decision = decide_for("dea", items=releasable("GB"), undertakings=DEA_UNDERTAKING)
    assert decision.explanation.startswith("Denied:")
    assert "GB" in decision.explanation


def test_tlp_red_is_denied_to_a_foreign_non_originator() -> None:
    decision = decide_for(
        "dea", items=[item(tlp="red", originator="dipol")], undertakings=DEA_UNDERTAKING
    )
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.tlp-red"]
    assert cited(decision) == ["item:intel-1"]


def test_tlp_red_is_denied_to_a_domestic_non_originator() -> None:
    decision = decide_for("dijin", agencies=AGENCIES, items=[item(tlp="red", originator="dipol")])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.tlp-red"]


def test_tlp_red_is_released_to_its_domestic_originator() -> None:
    decision = decide_for("dipol", items=[item(tlp="red", originator="dipol")])
    assert decision.outcome == Outcome.RELEASED
    assert rule_ids(decision) == ["4.domestic", "5.release"]
    assert decision.undertaking_id is None


@pytest.mark.parametrize("tlp", ["clear", "green", "amber"])
def test_tlp_below_red_does_not_restrict_the_recipient(tlp: str) -> None:
    decision = decide_for("dea", items=[item(tlp=tlp)], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_deactivated_agency_is_denied() -> None:
    decision = decide_for(
        "dea",
        agencies=[domestic(), foreign("dea", active=False)],
        undertakings=DEA_UNDERTAKING,
    )
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.recipient-inactive"]
    assert cited(decision) == ["agency:dea"]


def test_deactivated_domestic_agency_is_denied() -> None:
    decision = decide_for("dipol", agencies=[domestic(active=False)])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.recipient-inactive"]


def test_releasability_denies_before_any_order_speaks() -> None:
    decision = decide_for(
        "dea",
        items=releasable("GB"),
        undertakings=DEA_UNDERTAKING,
        orders=[order("o-hold", effect="hold")],
    )
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.releasable-to"]


# -- embargo and expiry (step 2) ---------------------------------------------------------------


def test_an_item_under_embargo_is_held_saying_until_when() -> None:
    decision = decide_for(items=[item(embargo_until=days(1))], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["2.embargo"]
    assert "under embargo until 2025-11-14T12:00:00Z" in decision.explanation


def test_an_embargo_ends_at_its_instant() -> None:
    decision = decide_for(items=[item(embargo_until=AT)], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_an_expired_item_is_denied() -> None:
    decision = decide_for(items=[item(expires_at=AT)], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.expired"]
    assert "expired at 2025-11-13T12:00:00Z" in decision.explanation


def test_an_item_that_expires_later_is_released_now() -> None:
    decision = decide_for(items=[item(expires_at=days(1))], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.RELEASED


def test_releasability_is_judged_before_an_embargo() -> None:
    embargoed = item(embargo_until=days(1), releasable_to=["GB"])
    decision = decide_for(items=[embargoed], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["2.releasable-to"]


def test_an_embargo_is_judged_before_a_deny_order() -> None:
    embargoed = item(embargo_until=days(1))
    decision = decide_for(items=[embargoed], orders=[order("o-deny", effect="deny")])
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["2.embargo"]


# -- held for review (step 2, first) -----------------------------------------------------------


def test_an_item_held_for_review_is_held_with_the_reasons() -> None:
    held = item(review=("marking-definition--x is not a marking Garante knows",))
    decision = decide_for(items=[held], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["2.review"]
    assert cited(decision) == ["item:intel-1"]
    assert "is not a marking Garante knows" in decision.explanation


def test_a_review_is_judged_before_releasability_so_it_can_be_decided_again() -> None:
    held = item(review=("contradictory TLP markings",), releasable_to=["GB"])
    decision = decide_for(items=[held], undertakings=DEA_UNDERTAKING)
    assert decision.outcome == Outcome.HELD
    assert rule_ids(decision) == ["2.review"]
