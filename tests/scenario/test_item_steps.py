"""An item step checks what the standing agreements started when its item was added: exactly
the requests it lists, each with the outcome it expects."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from garante.scenarios import NOVEMBER_2025, runner
from garante.service.app import Garante
from garante.service.clock import FixedClock

STARTED_0417 = (
    'started = [{ label = "dea-0417-seizure", to = "dea", purpose = "seizure", '
    'expect = "released" }]'
)


def _replayed(tmp_path: Path, old: str, new: str) -> runner.ScenarioRun:
    """The November 2025 story with ``old`` replaced by ``new``, replayed on a SQLite file."""
    shutil.copytree(NOVEMBER_2025.parent / "bundles", tmp_path / "bundles")
    text = NOVEMBER_2025.read_text()
    assert text.count(old) == 1
    path = tmp_path / "story.toml"
    path.write_text(text.replace(old, new))
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    garante = Garante.open(f"sqlite:///{tmp_path / 'story.db'}", clock=clock, actor="scenario")
    try:
        return runner.replay(garante, clock, path)
    finally:
        garante.close()


def test_a_started_request_decided_otherwise_than_expected_is_a_mismatch(tmp_path: Path) -> None:
    run = _replayed(tmp_path, STARTED_0417, STARTED_0417.replace('"released"', '"held"'))
    assert run.mismatches == ["dea-0417-seizure: expected held, got released"]


def test_a_request_an_agreement_started_that_the_step_does_not_list_is_a_mismatch(
    tmp_path: Path,
) -> None:
    run = _replayed(tmp_path, STARTED_0417, "started = []")
    assert run.mismatches[0] == (
        "co-2025-0417: an agreement started a request to dea for seizure, "
        "which the step does not expect"
    )


def test_a_listed_request_no_agreement_started_is_a_mismatch(tmp_path: Path) -> None:
    extra = (
        'started = [{ label = "dea-0417-seizure", to = "dea", purpose = "seizure", '
        'expect = "released" }, { label = "nca-0417-seizure-standing", to = "nca", '
        'purpose = "seizure", expect = "released" }]'
    )
    run = _replayed(tmp_path, STARTED_0417, extra)
    assert run.mismatches == [
        "nca-0417-seizure-standing: expected nca for seizure to be started, got nothing"
    ]
