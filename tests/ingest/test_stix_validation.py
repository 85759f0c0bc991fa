"""Upstream STIX is checked with the OASIS stix2-validator before it is taken: an invalid
object makes a "not taken" line naming it and the validator's message, and nothing of the
item it belongs to is taken."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from garante.service.app import Garante
from tests.ingest.conftest import ANALYST, indicator


def broken(n: int) -> dict[str, Any]:
    """An indicator whose pattern is not a STIX pattern (a bracket missing)."""
    obj = indicator(n)
    obj["pattern"] = f"[ipv4-addr:value = '198.51.100.{n}'"
    return obj


def folder_with(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    bundle = {"type": "bundle", "id": f"bundle--{uuid.UUID(int=77, version=4)}", "objects": objects}
    (folder / "a.json").write_text(json.dumps(bundle))
    return folder


def add(world: Garante, folder: Path, grouping: str) -> Garante:
    analyst = world.acting_as(ANALYST)
    analyst.add_source(
        "drop",
        kind="folder",
        url=str(folder),
        collection=None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        grouping=grouping,
    )
    return analyst


def test_an_invalid_object_is_not_taken_and_says_the_validators_message(
    world: Garante, tmp_path: Path
) -> None:
    analyst = add(world, folder_with(tmp_path, indicator(1), broken(2)), "per-object")

    pulled = analyst.pull_source("drop").value

    assert len(pulled.items) == 1
    (line,) = pulled.rejected
    assert broken(2)["id"] in line
    assert f"a.json: {broken(2)['id']}: not valid STIX 2.1: Pattern failed to validate" in line


def test_an_item_with_an_invalid_object_is_not_taken_in_part(
    world: Garante, tmp_path: Path
) -> None:
    analyst = add(world, folder_with(tmp_path, indicator(1), broken(2)), "per-bundle")

    pulled = analyst.pull_source("drop").value

    assert pulled.items == ()
    assert world.items() == []
    assert "not valid STIX 2.1" in pulled.rejected[0]
    assert "not taken" in (world.source("drop").last_error or "")
