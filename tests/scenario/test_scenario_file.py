"""A scenario file is read and checked whole before anything is replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from garante.domain.errors import ValidationError
from garante.scenarios import NOVEMBER_2025
from garante.scenarios.spec import load


def test_the_november_2025_file_reads_as_a_scenario() -> None:
    scenario = load(NOVEMBER_2025)
    assert scenario.steps and scenario.agencies and scenario.items
    assert {step.action for step in scenario.steps} >= {
        "request",
        "item",
        "order",
        "amend",
        "outcome",
    }
    assert {agreement.id for agreement in scenario.agreements} == {"dea-maritime", "nca-pacific"}


def test_items_an_item_step_adds_are_not_added_at_setup() -> None:
    scenario = load(NOVEMBER_2025)
    assert scenario.added_later == {"co-2025-0417", "co-2025-0422"}


def test_a_misspelt_key_is_refused_naming_it(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace("expect_moved", "expect_moves", 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValidationError, match="expect_moves"):
        load(broken)


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace('action = "amend"', 'action = "ammend"', 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValidationError, match="action"):
        load(broken)


def test_an_item_step_naming_no_item_of_the_file_is_refused(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace(
        'action = "item"\nitem = "co-2025-0417"', 'action = "item"\nitem = "co-2025-9999"', 1
    )
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValidationError, match="co-2025-9999"):
        load(broken)


def test_a_started_request_without_its_expectation_is_refused(tmp_path: Path) -> None:
    text = NOVEMBER_2025.read_text().replace(', expect = "released" }]', " }]", 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ValidationError, match="expect"):
        load(broken)
