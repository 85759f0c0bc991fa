"""Rule (4): a foreign recipient (or one that ``requires_undertaking``) needs an active
undertaking that permits the purpose, covers the category and does not prohibit the purpose.
"""

from __future__ import annotations

from garante.domain import Outcome
from garante.policy import decide
from tests.policy.policy_builders import (
    AT,
    cited,
    days,
    decide_for,
    domestic,
    foreign,
    request,
    rule_ids,
    state,
    undertaking,
)


def test_foreign_agency_without_undertaking_is_denied() -> None:
    decision = decide_for("dea")
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]
    assert cited(decision) == ["agency:dea"]
    assert decision.undertaking_id is None


def test_foreign_agency_with_undertaking_permitting_the_purpose_is_released_under_it() -> None:
    decision = decide_for("dea", undertakings=[undertaking("dea-ut-1")])
    assert decision.outcome == Outcome.RELEASED
    assert decision.undertaking_id == "dea-ut-1"
    assert rule_ids(decision) == ["4.undertaking", "5.release"]
    assert cited(decision) == ["undertaking:dea-ut-1", "item:intel-1"]
    assert decision.explanation == "Released to dea for seizure under undertaking dea-ut-1."


def test_undertaking_that_does_not_permit_the_purpose_counts_as_none() -> None:
    decision = decide_for("dea", "prosecution", undertakings=[undertaking(permits=["seizure"])])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_undertaking_that_prohibits_the_purpose_denies_citing_it() -> None:
    decision = decide_for("dea", "lethal-force", undertakings=[undertaking("dea-ut-1")])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.undertaking-prohibits"]
    assert cited(decision) == ["undertaking:dea-ut-1"]


def test_undertaking_that_both_permits_and_prohibits_a_purpose_prohibits_it() -> None:
    contradictory = undertaking(permits=["seizure"], prohibits=["seizure"])
    decision = decide_for("dea", "seizure", undertakings=[contradictory])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.undertaking-prohibits"]


def test_prohibition_in_one_undertaking_does_not_void_another_that_permits() -> None:
    prohibits = undertaking("dea-ut-1", permits=["arrest"], prohibits=["seizure"])
    permits = undertaking("dea-ut-2", permits=["seizure"], prohibits=())
    decision = decide_for("dea", "seizure", undertakings=[prohibits, permits])
    assert decision.outcome == Outcome.RELEASED
    assert decision.undertaking_id == "dea-ut-2"


def test_undertaking_scoped_to_another_category_does_not_cover_the_item() -> None:
    decision = decide_for("dea", undertakings=[undertaking(categories=["money-laundering"])])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_undertaking_scoped_to_the_item_category_covers_it() -> None:
    scoped = undertaking(categories=["drug-trafficking", "money-laundering"])
    assert decide_for("dea", undertakings=[scoped]).outcome == Outcome.RELEASED


def test_prohibiting_undertaking_for_another_category_is_not_cited() -> None:
    elsewhere = undertaking(prohibits=["seizure"], categories=["terrorism"])
    decision = decide_for("dea", undertakings=[elsewhere])
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_expired_undertaking_is_not_active() -> None:
    decision = decide_for("dea", undertakings=[undertaking(valid_until=AT)])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_undertaking_valid_until_later_is_active() -> None:
    assert decide_for("dea", undertakings=[undertaking(valid_until=days(1))]).outcome == (
        Outcome.RELEASED
    )


def test_undertaking_not_yet_valid_is_not_active() -> None:
    decision = decide_for("dea", undertakings=[undertaking(valid_from=days(1))])
    assert decision.outcome == Outcome.DENIED


def test_undertaking_is_active_from_its_valid_from() -> None:
    assert decide_for("dea", undertakings=[undertaking(valid_from=AT)]).outcome == (
        Outcome.RELEASED
    )


def test_revoked_undertaking_is_not_active() -> None:
    decision = decide_for("dea", undertakings=[undertaking(revoked_at=AT)])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_undertaking_revoked_only_later_is_still_active() -> None:
    decision = decide_for("dea", undertakings=[undertaking(revoked_at=days(1))])
    assert decision.outcome == Outcome.RELEASED


def test_expired_undertaking_that_prohibits_the_purpose_is_not_cited() -> None:
    expired = undertaking(permits=["arrest"], prohibits=["seizure"], valid_until=days(-1))
    decision = decide_for("dea", undertakings=[expired])
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_another_agencys_undertaking_does_not_count() -> None:
    decision = decide_for(
        "dea",
        agencies=[domestic(), foreign("dea"), foreign("fbi")],
        undertakings=[undertaking("fbi-ut-1", agency_id="fbi")],
    )
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_domestic_agency_is_released_without_an_undertaking() -> None:
    decision = decide_for("dipol")
    assert decision.outcome == Outcome.RELEASED
    assert rule_ids(decision) == ["4.domestic", "5.release"]
    assert cited(decision)[0] == "agency:dipol"
    assert decision.undertaking_id is None


def test_domestic_agency_is_released_for_a_purpose_no_undertaking_permits() -> None:
    decision = decide_for("dipol", "prosecution")
    assert decision.outcome == Outcome.RELEASED


def test_domestic_agency_requiring_an_undertaking_is_denied_without_one() -> None:
    decision = decide_for("dijin", agencies=[domestic("dijin", requires_undertaking=True)])
    assert decision.outcome == Outcome.DENIED
    assert rule_ids(decision) == ["4.no-undertaking"]


def test_domestic_agency_requiring_an_undertaking_is_released_under_one() -> None:
    decision = decide_for(
        "dijin",
        agencies=[domestic("dijin", requires_undertaking=True)],
        undertakings=[undertaking("dijin-ut-1", agency_id="dijin")],
    )
    assert decision.outcome == Outcome.RELEASED
    assert decision.undertaking_id == "dijin-ut-1"
    assert rule_ids(decision) == ["4.undertaking", "5.release"]


def test_newest_qualifying_undertaking_is_bound() -> None:
    older = undertaking("dea-ut-1", valid_from=days(-60))
    newer = undertaking("dea-ut-2", valid_from=days(-2))
    decision = decide_for("dea", undertakings=[newer, older])
    assert decision.undertaking_id == "dea-ut-2"


def test_newest_undertaking_is_bound_whatever_order_they_are_stored_in() -> None:
    older = undertaking("dea-ut-1", valid_from=days(-60))
    newer = undertaking("dea-ut-2", valid_from=days(-2))
    assert decide_for("dea", undertakings=[older, newer]).undertaking_id == "dea-ut-2"
    assert decide_for("dea", undertakings=[newer, older]).undertaking_id == "dea-ut-2"


def test_newer_undertaking_that_does_not_qualify_is_passed_over() -> None:
    older = undertaking("dea-ut-1", valid_from=days(-60))
    newer_other_purpose = undertaking("dea-ut-2", permits=["analysis"], valid_from=days(-2))
    decision = decide_for("dea", undertakings=[older, newer_other_purpose])
    assert decision.undertaking_id == "dea-ut-1"


def test_newer_undertaking_that_is_not_yet_valid_is_passed_over() -> None:
    current = undertaking("dea-ut-1", valid_from=days(-60))
    future = undertaking("dea-ut-2", valid_from=days(2))
    assert decide_for("dea", undertakings=[current, future]).undertaking_id == "dea-ut-1"


def test_prohibiting_undertaking_cited_does_not_depend_on_storage_order() -> None:
    first = undertaking("dea-ut-1", permits=["arrest"], prohibits=["seizure"])
    second = undertaking("dea-ut-2", permits=["arrest"], prohibits=["seizure"])
    one_way = decide(request(), state(undertakings=[first, second]))
    other_way = decide(request(), state(undertakings=[second, first]))
    assert one_way == other_way


def test_newest_prohibiting_undertaking_is_cited() -> None:
    older = undertaking("dea-ut-1", permits=["arrest"], prohibits=["seizure"], valid_from=days(-9))
    newer = undertaking("dea-ut-2", permits=["arrest"], prohibits=["seizure"], valid_from=days(-1))
    decision = decide_for("dea", undertakings=[older, newer])
    assert cited(decision) == ["undertaking:dea-ut-2"]
