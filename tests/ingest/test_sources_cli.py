"""``garante sources``: added, listed, shown, pulled, paused, resumed and removed from the
command line, against a real medallion; the secret is read from the environment and never
printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from garante.cli.main import app
from garante.service.app import Garante
from garante.store.feed import FeedQuery
from tests.ingest.conftest import MAIN, PASSWORD, USER
from tests.support import peers, reach
from tests.support.agreements import make_agreement

runner = CliRunner()


def cli(url: str, *args: str, json_out: bool = False) -> tuple[int, str, str]:
    flags = ["--json"] if json_out else []
    result = runner.invoke(
        app,
        [*flags, "--db", url, *args],
        env={
            "UPSTREAM_SECRET": PASSWORD,
            "COLUMNS": "200",
            **reach.environ(),
        },  # medallion: loopback
    )
    return result.exit_code, result.stdout, result.stderr


def add(url: str, api_root: str) -> tuple[int, str, str]:
    return cli(
        url,
        "sources",
        "add",
        "upstream",
        "--url",
        api_root,
        "--collection",
        MAIN,
        "--category",
        "maritime-interdiction",
        "--region",
        "caribbean",
        "--tlp",
        "amber",
        "--originator",
        "dipol",
        "--auth",
        "basic",
        "--username",
        USER,
        "--secret-env",
        "UPSTREAM_SECRET",
    )


def test_a_source_added_and_pulled_from_the_command_line(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    code, out, err = add(db_url, medallion.api_root)
    assert code == 0, err
    assert "Added taxii source upstream" in out

    code, out, err = cli(db_url, "sources", "pull", "upstream")

    assert code == 0, err
    assert "Pulled upstream: 1 pages, 5 objects; 5 new items (0 held for review)" in out


def test_list_shows_each_source_with_its_health_and_lag(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    add(db_url, medallion.api_root)
    cli(db_url, "sources", "pull", "upstream")

    code, out, _ = cli(db_url, "sources", "list")

    assert code == 0
    line = next(row for row in out.splitlines() if "upstream" in row)
    assert "ok" in line and "5" in line and "0 s" in line


def test_show_and_list_never_print_the_secret(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    add(db_url, medallion.api_root)

    shown = [
        cli(db_url, "sources", "show", "upstream"),
        cli(db_url, "sources", "show", "upstream", json_out=True),
        cli(db_url, "sources", "list", json_out=True),
    ]

    for code, out, _ in shown:
        assert code == 0
        assert PASSWORD not in out and USER not in out
    listed: list[dict[str, Any]] = json.loads(shown[2][1])
    assert listed[0]["auth"] == "basic"


def test_a_paused_source_is_not_pulled_until_resumed(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    add(db_url, medallion.api_root)
    assert cli(db_url, "sources", "pause", "upstream", "--reason", "maintenance")[0] == 0

    code, _, err = cli(db_url, "sources", "pull", "upstream")
    assert code == 4 and "is paused" in err and "garante sources resume upstream" in err

    assert cli(db_url, "sources", "resume", "upstream", "--reason", "back")[0] == 0
    assert cli(db_url, "sources", "pull", "upstream")[0] == 0


def test_a_failing_pull_exits_with_the_upstream_error_and_list_shows_it(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    add(db_url, medallion.api_root.replace("/root/", "/nowhere/"))

    code, _, err = cli(db_url, "sources", "pull", "upstream")

    assert code == 11 and "HTTP 404" in err
    _, out, _ = cli(db_url, "sources", "list")
    assert "failing" in out


def test_a_removed_source_is_listed_only_when_asked(
    world: Garante, medallion: peers.Medallion, db_url: str
) -> None:
    add(db_url, medallion.api_root)

    assert cli(db_url, "sources", "remove", "upstream", "--reason", "replaced")[0] == 0

    assert "upstream" not in cli(db_url, "sources", "list")[1]
    assert "removed" in cli(db_url, "sources", "list", "--removed")[1]


def test_trace_names_the_source_and_upstream_object_of_a_leaked_copy(
    world: Garante, medallion: peers.Medallion, db_url: str, tmp_path: Path
) -> None:
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    add(db_url, medallion.api_root)
    cli(db_url, "sources", "pull", "upstream")
    rows, _more = world.feed_page(FeedQuery(partner_id="dea"))
    leaked = next(json.loads(r.body) for r in rows if r.object_type == "indicator")
    copy = tmp_path / "leaked.json"
    copy.write_text(json.dumps(leaked))

    code, out, err = cli(db_url, "trace", str(copy))

    assert code == 0, err
    assert f"came from source upstream (upstream {leaked['id']})" in out
