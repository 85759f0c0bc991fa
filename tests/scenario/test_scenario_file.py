"""A scenario file is read and checked whole before anything is replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from garante.scenarios import NOVEMBER_2025
from garante.scenarios.spec import load


def test_the_november_2025_file_reads_as_a_scenario() -> None:
    scenario = load(NOVEMBER_2025)
    assert scenario.steps and scenario.agencies and scenario.items
    assert {step.action for step in scenario.steps} >= {"request", "order", "amend", "outcome"}


def test_a_misspelt_key_is_refused_naming_it(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace("expect_moved", "expect_moves", 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValueError, match="expect_moves"):
        load(broken)


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace('action = "amend"', 'action = "ammend"', 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValueError, match="action"):
        load(broken)
