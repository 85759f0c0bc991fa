"""The November 2025 story, told step by step through the service, on a replayed clock.

Colombia's president suspends intelligence sharing with US agencies while strikes on
alleged drug vessels persist (11 November), lets them receive again under guarantees
(12 November), and his interior minister confirms joint casework goes on (13 November).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from garante.records import Decided
from garante.scenarios import runner
from garante.service.app import Garante
from garante.service.clock import FixedClock
from tests.support.stores import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Garante, runner.ScenarioRun]]:
    """The story replayed once on a SQLite file and once on a PostgreSQL database."""
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    directory = tmp_path_factory.mktemp("scenario")
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_cluster").new_database()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GARANTE_LOG_KEY_FILE", str(directory / "log-key"))
            garante = Garante.open(url, clock=clock, actor="scenario")
    else:
        url = f"sqlite:///{directory / 'november.db'}"
        garante = Garante.open(url, clock=clock, actor="scenario")
    run = runner.replay(garante, clock)
    yield garante, run
    garante.close()


def _step(run: runner.ScenarioRun, day: str, fragment: str) -> runner.StepResult:
    return next(
        s for s in run.steps if s.at.strftime("%Y-%m-%d") == day and fragment in s.narrative
    )


def _rules(decided: Decided) -> list[str]:
    return [hit.rule for hit in decided.rules]


def test_every_step_decides_as_the_story_says(story: tuple[Garante, runner.ScenarioRun]) -> None:
    _, run = story
    assert run.mismatches == []


def test_both_standing_agreements_are_made_at_setup_and_countersigned(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, _ = story
    made = {a.id: (a.partner, a.status, a.countersigned) for a in garante.agreements()}
    assert made == {
        "dea-maritime": ("dea", "active", True),
        "nca-pacific": ("nca", "active", True),
    }


def test_before_the_order_dea_receives_a_seizure_lead(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    step = _step(story[1], "2025-11-03", "go-fast")
    assert step.action == "item"
    [decided] = step.decisions
    assert decided.request == story[1].requests["dea-0417-seizure"]
    assert (decided.recipient, decided.purpose) == ("dea", "seizure")
    assert decided.outcome == "released"
    assert decided.undertaking == "dea-2025-01"
    assert _rules(decided) == ["4.undertaking", "5.release"]


def test_lethal_force_is_never_a_permitted_purpose(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    [decided] = _step(story[1], "2025-11-05", "lethal force").decisions
    assert decided.outcome == "denied"
    assert _rules(decided) == ["4.no-undertaking"]


def test_tlp_red_source_reporting_stays_with_its_originator(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    [decided] = _step(story[1], "2025-11-06", "TLP:RED").decisions
    assert decided.outcome == "denied"
    assert _rules(decided) == ["2.tlp-red"]


def test_items_not_releasable_to_the_us_are_denied(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    [decided] = _step(story[1], "2025-11-07", "not releasable").decisions
    assert _rules(decided) == ["2.releasable-to"]


def test_on_11_november_us_requests_are_held_while_strikes_persist(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    run = story[1]
    held = [
        d
        for s in run.steps
        if s.at.strftime("%Y-%m-%d") == "2025-11-11"
        for d in s.decisions
        if d.recipient in {"dea", "fbi", "hsi"}
    ]
    assert len(held) == 4
    assert all(d.outcome == "held" for d in held)
    assert all(d.rules[0].cites == "order:co-us-suspension" for d in held)
    assert all("while condition caribbean-vessel-strikes is active" in d.explanation for d in held)


def test_the_uk_is_untouched_by_the_us_order(story: tuple[Garante, runner.ScenarioRun]) -> None:
    [decided] = _step(story[1], "2025-11-11", "the NCA still receives").decisions
    assert decided.recipient == "nca"
    assert decided.outcome == "released"


def test_a_pacific_lead_added_after_the_order_is_held_for_the_dea_and_released_to_the_nca(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    run = story[1]
    step = _step(run, "2025-11-11", "Pacific agreement")
    assert step.action == "item"
    decided = {d.recipient: d for d in step.decisions}
    assert set(decided) == {"dea", "nca"}
    assert decided["dea"].request == run.requests["dea-0422-seizure"]
    assert decided["dea"].outcome == "held"
    assert decided["dea"].rules[0].cites == "order:co-us-suspension"
    assert decided["nca"].request == run.requests["nca-0422-seizure"]
    assert decided["nca"].outcome == "released"
    assert decided["nca"].undertaking == "nca-2025-01"


def test_on_12_november_the_amendment_keeps_us_requests_held_until_guarantees(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    step = _step(story[1], "2025-11-12", "amends the order")
    assert step.summary == "order co-us-suspension amended to version 2: require"
    assert {d.recipient for d in step.decisions} == {"dea", "fbi", "hsi"}
    assert all(_rules(d) == ["3.order-require-unmet"] for d in step.decisions)


def test_dea_signs_the_guarantees_and_its_held_seizure_is_released(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, run = story
    [moved] = _step(run, "2025-11-12", "DEA signs").decisions
    assert moved.request == run.requests["dea-0422-seizure"]
    assert (moved.previous, moved.outcome) == ("held", "released")
    assert moved.undertaking == "dea-2025-11"
    assert _rules(moved) == ["3.order-require-met", "4.undertaking", "5.release"]
    dea = garante.undertakings("dea")
    assert [u.signed for u in dea] == [True, True]


def test_fbi_without_guarantees_stays_held(story: tuple[Garante, runner.ScenarioRun]) -> None:
    garante, run = story
    held = {r.id for r in garante.held_queue()}
    assert run.requests["fbi-0431-arrest"] in held
    assert run.requests["fbi-0431-arrest-2"] in held
    assert run.requests["hsi-0417-interdiction"] in held


def test_on_13_november_joint_casework_with_the_fbi_resumes(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    _garante, run = story
    [moved] = _step(run, "2025-11-13", "joint in-country casework").decisions
    assert moved.request == run.requests["fbi-0440-arrest"]
    assert moved.outcome == "released"
    assert "3.order-exempted" in _rules(moved)
    assert moved.rules[0].cites == "order:joint-casework-exemption"


def test_every_decision_cites_the_state_version_it_read(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, run = story
    versions = [d.state_version for s in run.steps for d in s.decisions]
    assert versions == sorted(versions)
    assert max(versions) < garante.ledger_size()


def test_the_store_keeps_the_scenario_clock_after_the_replay(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, _ = story
    again = Garante(garante.engine)
    assert again.clock.now() == datetime(2025, 11, 13, 23, 0, tzinfo=UTC)


def test_dea_reports_a_seizure_that_keeps_its_undertaking(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, _run = story
    [seizure] = [o for o in garante.outcomes("dea")]
    assert seizure.kind == "seizure"
    assert seizure.undertaking == "dea-2025-11"
    assert seizure.breach is False
    assert seizure.signed is True


def test_a_strike_with_casualties_linked_to_hsi_suspends_hsi_automatically(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, run = story
    [breach] = garante.outcomes("hsi")
    assert breach.breach is True
    assert any("protection of life" in reason for reason in breach.breach_reasons)
    assert breach.order is not None
    order = garante.order(breach.order)
    assert order.authority == "garante-system"
    assert order.effect == "hold"
    assert order.scope["agencies"] == ["hsi"]
    assert f"release {run.requests['hsi-0417-interdiction-early']}" in order.reason
    assert "hsi-2025-01" in order.reason


def test_hsis_pending_requests_are_held_by_the_automatic_order(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, run = story
    [held] = [r for r in garante.held_queue() if r.recipient == "hsi"]
    assert held.id == run.requests["hsi-0417-interdiction"]
    assert held.reason.startswith("Held: order breach-hsi-")


def test_the_automatic_suspension_stays_until_an_authority_lifts_it(
    story: tuple[Garante, runner.ScenarioRun],
) -> None:
    garante, _ = story
    [breach] = garante.outcomes("hsi")
    assert breach.order is not None
    assert garante.order(breach.order).lifted_at is None
