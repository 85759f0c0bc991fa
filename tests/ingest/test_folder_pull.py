"""Pulling a folder of STIX 2.1 bundle files: each new or changed file taken once (its SHA-256
is the position), by the source's grouping rule, and a bad file said in the source's state
and skipped while the rest go on."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from garante.domain.errors import UpstreamFailed, ValidationError
from garante.records import Pulled
from garante.service.app import Garante
from garante.service.sources import item_id
from tests.ingest.conftest import ANALYST, indicator
from tests.replay.conftest import Log


def bundle(n: int, *objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.UUID(int=500 + n, version=4)}",
        "objects": list(objects),
    }


def write(folder: Path, name: str, content: dict[str, Any] | str) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(text)


def add_folder(garante: Garante, folder: Path, grouping: str = "per-object") -> Garante:
    analyst = garante.acting_as(ANALYST)
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


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    write(path, "a.json", bundle(1, indicator(1), indicator(2)))
    write(path, "b.json", bundle(2, indicator(3)))
    return path


def test_each_object_of_each_bundle_file_becomes_an_item(world: Garante, folder: Path) -> None:
    analyst = add_folder(world, folder)

    pulled = analyst.pull_source("drop").value

    assert (pulled.pages, pulled.objects, len(pulled.items)) == (2, 3, 3)
    assert analyst.source("drop").position == "2 files"


def test_per_bundle_makes_one_item_of_each_file_named_by_its_bundle_id(
    world: Garante, folder: Path
) -> None:
    analyst = add_folder(world, folder, grouping="per-bundle")

    pulled = analyst.pull_source("drop").value

    assert len(pulled.items) == 2
    ids = sorted(i["upstream_id"] for i in _ingested(world))
    assert ids == sorted([bundle(1)["id"], bundle(2)["id"]])


def test_a_file_is_read_once_until_it_changes(world: Garante, folder: Path) -> None:
    analyst = add_folder(world, folder)
    analyst.pull_source("drop")

    unchanged = analyst.pull_source("drop").value
    write(folder, "b.json", bundle(2, indicator(3), indicator(4)))
    changed = analyst.pull_source("drop").value

    assert (unchanged.pages, unchanged.items) == (0, ())
    assert (changed.pages, len(changed.items), changed.duplicates) == (1, 1, 1)


def test_a_bad_file_is_said_in_the_state_and_skipped_and_the_rest_go_on(
    world: Garante, folder: Path
) -> None:
    write(folder, "0-broken.json", "{not json")
    write(folder, "1-not-a-bundle.json", {"type": "indicator"})
    analyst = add_folder(world, folder)

    pulled = analyst.pull_source("drop").value

    assert len(pulled.items) == 3
    assert [r.split(":")[0] for r in pulled.rejected] == ["0-broken.json", "1-not-a-bundle.json"]
    state = analyst.source("drop").last_error or ""
    assert "0-broken.json: not JSON" in state and "(and 1 more)" in state


def test_a_bad_file_is_reported_again_until_it_is_mended_and_then_taken(
    world: Garante, folder: Path
) -> None:
    write(folder, "c.json", "{not json")
    analyst = add_folder(world, folder)
    analyst.pull_source("drop")

    again = analyst.pull_source("drop").value
    write(folder, "c.json", bundle(3, indicator(5)))
    mended = analyst.pull_source("drop").value

    assert [r.split(":")[0] for r in again.rejected] == ["c.json"]
    assert (len(mended.items), mended.rejected) == (1, ())
    assert analyst.source("drop").last_error is None


def test_a_folder_that_is_gone_fails_the_pull_and_says_why(world: Garante, folder: Path) -> None:
    analyst = add_folder(world, folder)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()

    with pytest.raises(UpstreamFailed, match="cannot read the folder"):
        analyst.pull_source("drop")


def test_a_folder_source_names_an_existing_directory_by_its_absolute_path(
    world: Garante, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="not an absolute path"):
        add_folder(world, Path("relative/drop"))
    with pytest.raises(ValidationError, match="is not a directory"):
        add_folder(world, tmp_path / "nowhere")


def test_a_due_folder_is_pulled_on_its_schedule_like_the_other_sources(
    world: Garante, folder: Path
) -> None:
    add_folder(world, folder)

    done = world.pull_due_sources()

    assert [(p.source, len(p.items)) for p in done] == [("drop", 3)]
    assert world.pull_due_sources() == []  # not again until its interval passes


def _ingested(garante: Garante) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == "item.ingested"]


def typed_by_hand(analyst: Garante, item: str) -> None:
    """An item an analyst added under the id an upstream object would make, so that taking
    the object is refused (its id exists) inside the pull's batch."""
    analyst.add_item(
        item,
        title="Typed by hand",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=json.dumps(bundle(9, indicator(9))),
    )


def test_an_object_refused_inside_a_batch_is_rolled_back_alone_and_its_file_read_again(
    world: Garante, folder: Path
) -> None:
    """The three objects of the two files are taken in one transaction, each in its own
    savepoint: the second is refused as it is taken, and only it is rolled back, with its
    log entries; its file is not recorded seen, so the next pull reads it again."""
    analyst = add_folder(world, folder)
    clash = item_id("drop", indicator(2)["id"])
    typed_by_hand(analyst, clash)

    pulled = analyst.pull_source("drop").value

    assert len(pulled.items) == 2 and clash not in pulled.items
    assert len(pulled.rejected) == 1 and "already exists" in pulled.rejected[0]
    ingested = [e["upstream_id"] for e in _ingested(world)]
    assert ingested == [indicator(1)["id"], indicator(3)["id"]]
    assert analyst.source("drop").position == "1 files"  # b.json only
    again = analyst.pull_source("drop").value
    assert (again.pages, again.duplicates, len(again.rejected)) == (1, 1, 1)


class Stop(Exception):
    """The process stopping between two items of a batch."""


def test_a_pull_stopped_inside_a_batch_keeps_what_it_took_and_resumes_without_doubles(
    world: Garante, folder: Path
) -> None:
    """a.json's items and b.json's first are committed with a.json recorded seen; b.json is
    read again, its first item found taken and its second taken."""
    write(folder, "b.json", bundle(2, indicator(3), indicator(4)))
    analyst = add_folder(world, folder)

    def stop_after_three(now: Pulled) -> None:
        if len(now.items) == 3:
            raise Stop

    with pytest.raises(Stop):
        analyst.pull_source("drop", progress=stop_after_three)
    assert len(_ingested(world)) == 3
    assert analyst.source("drop").position == "1 files"
    rest = analyst.pull_source("drop").value

    assert (rest.pages, len(rest.items), rest.duplicates) == (1, 1, 1)
    ingested = sorted(e["upstream_id"] for e in _ingested(world))
    assert ingested == sorted(indicator(n)["id"] for n in range(1, 5))


def test_a_log_of_batched_folder_pulls_with_a_refusal_replays_with_no_disagreement(
    world: Garante, folder: Path, log_key_file: Path
) -> None:
    analyst = add_folder(world, folder)
    typed_by_hand(analyst, item_id("drop", indicator(2)["id"]))
    analyst.pull_source("drop")
    write(folder, "c.json", bundle(3, indicator(5), indicator(6)))
    analyst.pull_source("drop")

    replayed = Log.of(world, log_key_file).replayed()

    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]
    assert len(replayed.replayer.state.ingests) == 4
