"""A command's connections to the store end with the command, not with the process.

The CLI also runs inside other programs (tests drive it in-process, a node's scripts may too):
connections left to the garbage collector stay open on the database server meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from typer.testing import CliRunner

from garante.cli.main import app
from tests.support.postgres import Cluster

runner = CliRunner()


def _connections_to(cluster: Cluster, url: str) -> int:
    """Sessions the PostgreSQL server has open on ``url``'s database, ours excluded."""
    watcher = create_engine(cluster.url())
    try:
        with watcher.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": make_url(url).database},
                ).scalar_one()
            )
    finally:
        watcher.dispose()


@pytest.mark.parametrize("command", [["audit", "key"], ["db", "check"], ["audit", "checkpoint"]])
def test_a_command_leaves_no_connection_open_on_postgresql(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("GARANTE_LOG_KEY_FILE", str(tmp_path / "log-key"))
    url = pg_cluster.new_database()
    made = runner.invoke(app, ["--db", url, "init"])
    assert made.exit_code == 0, made.output

    result = runner.invoke(app, ["--db", url, *command])

    assert result.exit_code == 0, result.output
    assert _connections_to(pg_cluster, url) == 0
