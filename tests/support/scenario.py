"""The November 2025 scenario as tests use it: when it starts, and its items' STIX bundles."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from garante.scenarios.runner import SCENARIOS

START = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def scenario_bundle(item_id: str = "co-2025-0417") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIOS / "bundles" / f"{item_id}.json").read_text())
    return data


_IDS = re.compile(
    r"\b[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)
_NAMESPACE = uuid.UUID("6b1f4c2e-0d1a-5e8f-9c3b-62656e636866")


def own_bundle(item_id: str, source: str = "co-2025-0417") -> dict[str, Any]:
    """A scenario bundle whose STIX ids are this item's own (uuid5 of the item and the
    original id, references rewritten): items made with it share no object, as distinct
    reports do."""
    text = json.dumps(scenario_bundle(source))
    for found in sorted(set(_IDS.findall(text))):
        kind = found.split("--", 1)[0]
        text = text.replace(found, f"{kind}--{uuid.uuid5(_NAMESPACE, item_id + found)}")
    copy: dict[str, Any] = json.loads(text)
    return copy
