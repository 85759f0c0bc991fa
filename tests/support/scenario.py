"""The November 2025 scenario as tests use it: when it starts, and its items' STIX bundles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from garante.scenarios.runner import SCENARIOS

START = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def scenario_bundle(item_id: str = "co-2025-0417") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIOS / "bundles" / f"{item_id}.json").read_text())
    return data
