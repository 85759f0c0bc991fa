"""``garante sources`` for MISP and folders from the command line: a feed added by its
directory, MISP JSON events read from stdin, a malformed one refused with its field."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from garante.cli.main import app
from garante.service.app import Garante
from tests.support import reach
from tests.support.misp_feed import WHEN, feed_json, misp_event, write_feed

runner = CliRunner()


def cli(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        ["--db", url, *args],
        input=stdin,
        env={"COLUMNS": "200", **reach.environ()},  # the feeds: under the temp dir
    )
    return result.exit_code, result.stdout, result.stderr


def add_feed(url: str, directory: Path) -> tuple[int, str, str]:
    return cli(
        url,
        "sources",
        "add",
        "misp",
        "--kind",
        "misp-feed",
        "--url",
        str(directory),
        "--category",
        "maritime-interdiction",
        "--region",
        "caribbean",
        "--tlp",
        "red",
        "--originator",
        "dipol",
    )


def test_a_feed_directory_is_added_and_pulled(world: Garante, db_url: str, tmp_path: Path) -> None:
    write_feed(tmp_path / "feed", [misp_event(tags=("tlp:green",))])

    code, out, err = add_feed(db_url, tmp_path / "feed")
    assert code == 0, err
    assert f"Added misp-feed source misp: {tmp_path / 'feed'} (no authentication)" in out
    code, out, err = cli(db_url, "sources", "pull", "misp")

    assert code == 0, err
    assert "1 objects; 1 new items (0 held for review)" in out


def test_misp_events_are_read_from_stdin(world: Garante, db_url: str, tmp_path: Path) -> None:
    add_feed(db_url, write_feed(tmp_path / "feed", []))
    events = json.dumps([feed_json(misp_event(tags=("tlp:amber",)))])

    code, out, err = cli(db_url, "sources", "ingest-misp", "misp", "-", stdin=events)

    assert code == 0, err
    assert "Took 1 MISP events through misp: 1 new items (0 held for review)" in out


def test_a_malformed_event_is_refused_with_its_field_and_nothing_taken(
    world: Garante, db_url: str, tmp_path: Path
) -> None:
    add_feed(db_url, write_feed(tmp_path / "feed", []))
    event = feed_json(misp_event())
    event["Event"]["published"] = "perhaps"

    code, _out, err = cli(db_url, "sources", "ingest-misp", "misp", "-", stdin=json.dumps(event))

    assert code != 0
    assert "published 'perhaps', not true or false" in err and "Event.published" in err
    assert world.items() == []


def test_an_item_s_history_is_listed_as_json_version_by_version(
    world: Garante, db_url: str, tmp_path: Path
) -> None:
    add_feed(db_url, write_feed(tmp_path / "feed", []))
    event = misp_event(tags=("tlp:green",))
    later = misp_event(tags=("tlp:amber",), event_uuid=event.uuid, timestamp=WHEN + HOUR)
    for taken in (event, later):
        cli(db_url, "sources", "ingest-misp", "misp", "-", stdin=json.dumps(feed_json(taken)))
    (item,) = [i.id for i in world.items()]

    code, out, err = cli(db_url, "--json", "items", "history", item)

    assert code == 0, err
    assert [(v["version"], v["status"], v["tlp"]) for v in json.loads(out)] == [
        (1, "item", "green"),
        (2, "revised", "amber"),
    ]


HOUR = timedelta(hours=1)
