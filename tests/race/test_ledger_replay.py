"""The log replay used by the race test finds what it is meant to find.

It is run on the November 2025 scenario, whose log holds every kind of decision (orders that
hold, require and are amended, conditions, a breach), then on copies with one entry altered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from garante.scenarios import runner
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.signatures import canonical
from tests.race.ledger_replay import replay

Entries = list[tuple[int, bytes]]


@pytest.fixture(scope="module")
def scenario_log(tmp_path_factory: pytest.TempPathFactory) -> Entries:
    path: Path = tmp_path_factory.mktemp("replay") / "november.db"
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    garante = Garante.open(f"sqlite:///{path}", clock=clock)
    try:
        runner.replay(garante, clock)
        with garante.engine.connect() as connection:
            rows = connection.execute(text("SELECT idx, entry FROM ledger_entries ORDER BY idx"))
            return [(int(idx), bytes(entry)) for idx, entry in rows]
    finally:
        garante.close()


def _edit(entries: Entries, index: int, change: dict[str, object]) -> Entries:
    entry = json.loads(entries[index][1])
    entry["data"] = {**entry["data"], **change}
    return [*entries[:index], (index, canonical(entry)), *entries[index + 1 :]]


def _first(entries: Entries, kind: str, **data: object) -> int:
    for idx, raw in entries:
        entry = json.loads(raw)
        if entry["kind"] == kind and all(entry["data"].get(k) == v for k, v in data.items()):
            return idx
    raise LookupError(kind)


def test_the_november_2025_log_replays_without_a_finding(scenario_log: Entries) -> None:
    report = replay(scenario_log)
    assert report.findings == []
    assert report.decisions > 10


def test_a_stored_outcome_that_decide_would_not_give_is_found(scenario_log: Entries) -> None:
    index = _first(scenario_log, "release.redecided", outcome="released")
    report = replay(_edit(scenario_log, index, {"outcome": "held"}))
    assert [f.index for f in report.findings] == [index]


def test_a_decision_citing_another_state_version_is_found(scenario_log: Entries) -> None:
    index = _first(scenario_log, "release.redecided", outcome="released")
    version = json.loads(scenario_log[index][1])["data"]["state_version"]
    order = _first(scenario_log, "order.issued")
    assert order < version
    report = replay(_edit(scenario_log, index, {"state_version": order}))
    assert [f.index for f in report.findings] == [index]


def test_a_delivery_while_an_order_holds_the_release_is_found(scenario_log: Entries) -> None:
    last: dict[int, str] = {}
    for _, raw in scenario_log:
        entry = json.loads(raw)
        if entry["kind"] in ("release.decided", "release.redecided"):
            last[entry["data"]["request"]] = entry["data"]["outcome"]
    request = next(r for r, outcome in last.items() if outcome == "held")
    final = json.loads(scenario_log[-1][1])
    delivery = {**final, "kind": "release.delivered"}
    delivery["data"] = {"request": request, "partner": "hsi", "trace": "doctored"}
    index = len(scenario_log)
    report = replay([*scenario_log, (index, canonical(delivery))])
    assert [f.index for f in report.findings] == [index]
    assert "while decide says held" in report.findings[0].problem


def test_a_gap_in_the_indexes_is_found(scenario_log: Entries) -> None:
    report = replay([*scenario_log[:5], *scenario_log[6:]])
    assert [f.index for f in report.findings] == [6]
