"""Pulling a MISP feed made by PyMISP, from its directory and over HTTP: one event one item,
marked by its tags, taken once, resumed from the manifest's timestamps, a changed event
the item's next version, and MISP JSON events taken from a file through the same path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from garante.domain.errors import InvalidState, UpstreamFailed, ValidationError
from garante.ledger.note import VerifierKey
from garante.records import Pulled
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.service.sources import item_id
from garante.upstream.taxii import Retry
from tests.ingest.conftest import ANALYST
from tests.support.misp_feed import WHEN, feed_json, misp_event, served, write_feed

FAST = Retry(attempts=2, backoff=0.01)
IDENTITY = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--5f1a2b3c-0000-4000-8000-0000000000aa",
    "created": "2025-01-01T00:00:00.000Z",
    "modified": "2025-01-01T00:00:00.000Z",
    "name": "DIPOL",
}
UUIDS = [f"5f1a2b3c-0000-4000-8000-00000000000{n}" for n in range(4)]


def events(count: int = 3) -> list[Any]:
    """``count`` events, a minute apart, the first TLP:GREEN, the rest TLP:AMBER."""
    return [
        misp_event(
            f"Go-fast boat {n}",
            tags=("tlp:green",) if n == 0 else ("tlp:amber",),
            timestamp=WHEN + timedelta(minutes=n),
            event_uuid=UUIDS[n],
        )
        for n in range(count)
    ]


def kinds(garante: Garante, kind: str) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == kind]


def add_feed(garante: Garante, url: str, **terms: Any) -> Garante:
    analyst = garante.acting_as(ANALYST)
    analyst.add_source(
        "misp",
        kind="misp-feed",
        url=url,
        collection=None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="red",
        **terms,
    )
    return analyst


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    return write_feed(tmp_path / "feed", events())


def test_each_event_of_a_feed_directory_becomes_one_item_marked_by_its_tags(
    world: Garante, feed: Path
) -> None:
    analyst = add_feed(world, str(feed))

    pulled = analyst.pull_source("misp").value

    assert (pulled.objects, len(pulled.items), pulled.rejected) == (3, 3, ())
    ingested = kinds(world, "item.ingested")
    assert [e["upstream_id"] for e in ingested] == UUIDS[:3]  # oldest first
    assert [e["upstream_version"] for e in ingested] == [
        str(int((WHEN + timedelta(minutes=n)).timestamp())) for n in range(3)
    ]
    added = kinds(world, "item.added")
    assert [a["tlp"] for a in added] == ["green", "amber", "amber"]
    assert sorted(i.title for i in analyst.items()) == [f"Go-fast boat {n}" for n in range(3)]


def test_a_second_pull_converts_nothing_again_and_takes_only_newer_events(
    world: Garante, tmp_path: Path
) -> None:
    directory = write_feed(tmp_path / "feed", events(2))
    analyst = add_feed(world, str(directory))
    analyst.pull_source("misp")

    write_feed(directory, events(3))
    again = analyst.pull_source("misp").value

    assert len(again.items) == 1 and again.rejected == ()
    assert again.duplicates == 1  # the event of the position's second, found taken
    assert len(kinds(world, "item.ingested")) == 3
    assert analyst.source("misp").position == str(int((WHEN + timedelta(minutes=2)).timestamp()))


class Stop(Exception):
    """The process stopping between two events."""


def test_a_pull_stopped_after_an_event_takes_the_rest_after_a_restart_and_nothing_twice(
    world: Garante, feed: Path
) -> None:
    analyst = add_feed(world, str(feed))

    def stop_after_two(now: Pulled) -> None:
        if len(now.items) == 2:
            raise Stop

    with pytest.raises(Stop):
        analyst.pull_source("misp", progress=stop_after_two)
    rest = analyst.pull_source("misp").value

    assert len(rest.items) == 1
    assert sorted(e["upstream_id"] for e in kinds(world, "item.ingested")) == UUIDS[:3]


def test_a_pull_stopped_inside_a_batch_records_the_position_it_took_and_resumes_without_doubles(
    world: Garante, served_feed: str
) -> None:
    """The three events, over HTTP, share a batch; stopped after the second, the two taken
    are committed with the position at the second's timestamp, in the same transaction. The
    next pull reads the second again (the position's second), finds it taken and takes the
    third: nothing is taken twice and nothing is missed."""
    analyst = add_feed(world, served_feed)

    def stop_after_two(now: Pulled) -> None:
        if len(now.items) == 2:
            raise Stop

    with pytest.raises(Stop):
        analyst.pull_source("misp", retry=FAST, progress=stop_after_two)
    assert len(kinds(world, "item.ingested")) == 2
    assert analyst.source("misp").position == str(int((WHEN + timedelta(minutes=1)).timestamp()))
    rest = analyst.pull_source("misp", retry=FAST).value

    assert (rest.objects, len(rest.items), rest.duplicates) == (2, 1, 1)
    assert [e["upstream_id"] for e in kinds(world, "item.ingested")] == UUIDS[:3]


def test_an_event_whose_timestamp_moved_is_the_item_s_next_version(
    world: Garante, tmp_path: Path
) -> None:
    directory = write_feed(tmp_path / "feed", events(1))
    analyst = add_feed(world, str(directory))
    analyst.pull_source("misp")
    changed = misp_event(
        "Go-fast boat 0, corrected",
        tags=("tlp:green",),
        timestamp=WHEN + timedelta(hours=1),
        event_uuid=UUIDS[0],
    )

    write_feed(directory, [changed])
    again = analyst.pull_source("misp").value

    assert (again.items, len(again.revised), again.versions_seen) == ((), 1, 0)
    revised = kinds(world, "item.revised")
    assert [(r["upstream_id"], r["version"]) for r in revised] == [(UUIDS[0], 2)]


def test_a_malformed_event_is_refused_with_why_and_the_others_are_taken(
    world: Garante, feed: Path
) -> None:
    (feed / f"{UUIDS[1]}.json").write_text('{"Event": {"uuid": "not-a-uuid"}}')
    analyst = add_feed(world, str(feed))

    pulled = analyst.pull_source("misp").value

    assert len(pulled.items) == 2
    assert len(pulled.rejected) == 1 and UUIDS[1] in pulled.rejected[0]
    assert "not a UUID" in (analyst.source("misp").last_error or "")


def test_an_event_refused_while_taken_is_rolled_back_alone_and_the_log_replays(
    world: Garante, feed: Path
) -> None:
    """The events of a batch share a transaction, each in its own savepoint: the second
    event's item id is taken already (an analyst used it), so taking it is refused; the
    events before and after it in the same transaction are taken, and the log holds exactly
    their entries, dense, and replays with no disagreement."""
    analyst = add_feed(world, str(feed))
    clash = item_id("misp", UUIDS[1])
    analyst.add_item(
        clash,
        title="Typed by hand",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=json.dumps({"type": "bundle", "id": f"bundle--{UUIDS[3]}", "objects": [IDENTITY]}),
    )

    pulled = analyst.pull_source("misp").value

    assert len(pulled.items) == 2 and clash not in pulled.items
    assert len(pulled.rejected) == 1 and "already exists" in pulled.rejected[0]
    ingested = kinds(world, "item.ingested")
    assert [e["upstream_id"] for e in ingested] == [UUIDS[0], UUIDS[2]]
    assert analyst.item(clash).title == "Typed by hand"
    world.publish_checkpoint()
    report = check_store(world.engine, log_key=VerifierKey.parse(world.log_verifier_key()))
    assert report.failed == []


def test_a_feed_whose_manifest_is_not_json_fails_the_pull_and_says_why(
    world: Garante, feed: Path
) -> None:
    (feed / "manifest.json").write_text("<html>")
    analyst = add_feed(world, str(feed))

    with pytest.raises(UpstreamFailed, match=r"manifest\.json is not JSON"):
        analyst.pull_source("misp")

    assert "manifest.json" in (analyst.source("misp").last_error or "")
    assert analyst.items() == []


@pytest.fixture
def served_feed(feed: Path) -> Iterator[str]:
    with served(feed) as url:
        yield url


def test_a_feed_over_http_is_pulled_as_from_its_directory(world: Garante, served_feed: str) -> None:
    analyst = add_feed(world, served_feed)

    pulled = analyst.pull_source("misp", retry=FAST).value

    assert len(pulled.items) == 3


def test_a_feed_url_that_answers_404_is_recorded_as_the_sources_error(
    world: Garante, served_feed: str
) -> None:
    analyst = add_feed(world, served_feed + "/nowhere")

    with pytest.raises(UpstreamFailed, match="HTTP 404"):
        analyst.pull_source("misp", retry=FAST)

    assert "HTTP 404" in (analyst.source("misp").last_error or "")


# -- MISP JSON events, from a file ----------------------------------------------------------------


def test_misp_json_events_are_taken_as_items_through_the_source(
    world: Garante, tmp_path: Path
) -> None:
    analyst = add_feed(world, str(write_feed(tmp_path / "empty", [])))
    export = json.dumps({"response": [feed_json(e) for e in events(2)]})

    taken = analyst.ingest_misp("misp", export).value

    assert (taken.objects, len(taken.items)) == (2, 2)
    assert [e["upstream_id"] for e in kinds(world, "item.ingested")] == UUIDS[:2]
    assert analyst.ingest_misp("misp", export).value.duplicates == 2


def test_a_malformed_event_among_several_takes_none_of_them(world: Garante, tmp_path: Path) -> None:
    analyst = add_feed(world, str(write_feed(tmp_path / "empty", [])))
    good = feed_json(events(1)[0])
    bad = {"Event": {**good["Event"], "timestamp": "yesterday"}}

    with pytest.raises(ValidationError, match="not seconds since the epoch"):
        analyst.ingest_misp("misp", json.dumps([good, bad]))

    assert analyst.items() == []


def test_events_that_are_not_json_are_refused_with_why(world: Garante, tmp_path: Path) -> None:
    analyst = add_feed(world, str(write_feed(tmp_path / "empty", [])))

    with pytest.raises(ValidationError, match="not JSON"):
        analyst.ingest_misp("misp", "{not json")


def test_misp_events_go_to_a_misp_feed_source_only(world: Garante, tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    analyst = world.acting_as(ANALYST)
    analyst.add_source(
        "folder",
        kind="folder",
        url=str(folder),
        collection=None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="red",
    )

    with pytest.raises(InvalidState, match="not a MISP feed"):
        analyst.ingest_misp("folder", json.dumps(feed_json(events(1)[0])))


def test_an_events_galaxy_and_tags_map_its_category_and_region(
    world: Garante, tmp_path: Path
) -> None:
    clan = 'misp-galaxy:threat-actor="Clan del Golfo"'
    event = misp_event(tags=("tlp:green", clan, "region:pacific"), event_uuid=UUIDS[0])
    analyst = add_feed(
        world,
        str(write_feed(tmp_path / "feed", [event])),
        mapping={
            "rules": [
                {
                    "on": "misp-galaxy",
                    "pattern": "*Clan del Golfo*",
                    "category": "drug-trafficking",
                },
                {"on": "misp-tag", "pattern": "region:pacific", "region": "pacific"},
            ]
        },
    )

    analyst.pull_source("misp")

    (item,) = analyst.items()
    assert (item.category, item.region, item.tlp) == ("drug-trafficking", "pacific", "green")


def test_an_event_marked_deleted_revokes_its_item(world: Garante, tmp_path: Path) -> None:
    directory = write_feed(tmp_path / "feed", events(1))
    analyst = add_feed(world, str(directory))
    analyst.pull_source("misp")
    later = misp_event("Go-fast boat 0", tags=("tlp:green",), timestamp=WHEN + timedelta(hours=2))
    later.uuid = UUIDS[0]
    write_feed(directory, [later])
    event_file = directory / f"{UUIDS[0]}.json"
    event = json.loads(event_file.read_text())
    event["Event"]["deleted"] = True  # as MISP marks a deleted event (PyMISP's feed leaves it out)
    event_file.write_text(json.dumps(event))

    again = analyst.pull_source("misp").value

    assert (again.items, len(again.revoked), again.versions_seen) == ((), 1, 0)
    assert [r["upstream_id"] for r in kinds(world, "item.revoked")] == [UUIDS[0]]
    assert len(analyst.items()) == 1
