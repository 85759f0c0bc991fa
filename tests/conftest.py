"""Shared fixtures: a real SQLite file per test, and a clock the test moves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from garante.scenarios.runner import SCENARIOS
from garante.service.app import Garante
from garante.service.clock import FixedClock

START = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'garante.db'}"


@pytest.fixture
def garante(db_url: str, clock: FixedClock) -> Iterator[Garante]:
    service = Garante.open(db_url, clock=clock, actor="test")
    yield service
    service.close()


def scenario_bundle(item_id: str = "co-2025-0417") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIOS / "bundles" / f"{item_id}.json").read_text())
    return data
