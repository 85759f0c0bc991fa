"""``garante demo --nodes 2``: the DEA's own Garante served beside Colombia's, as its partner node.

The demo is run as a reader runs it, a real process on free ports; the DEA's node is a second
real server, which pulls Colombia's releases to the DEA over HTTP, verified against Colombia's
log, and fans them out to the NCA under its own agreement.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from tests.support.servers import started
from tests.support.stores import GARANTE

API = "/api/v1"
runner = CliRunner()


def _after(printed: list[str], label: str) -> str:
    """The first word after ``label`` in what the demo printed."""
    text = "\n".join(printed)
    found = re.search(re.escape(label) + r"\s+(\S+)", text)
    assert found, text
    return found.group(1)


def _until(what: str, check: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.5)


def test_the_dea_node_takes_colombias_releases_verified_and_shares_them_with_the_nca(
    tmp_path: Path,
) -> None:
    command = [GARANTE, "--db", "garante-demo.db", "demo", "--nodes", "2", "--port", "0"]
    with started(
        "garante demo --nodes 2", command, ready="Garante API on ", cwd=tmp_path, timeout=300
    ) as demo:
        demo.wait_for("partner   nca", seconds=60)
        node = _after(demo.output, "The DEA's node on").rstrip("/")
        analyst = _after(demo.output, "analyst   dea")
        headers = {"Authorization": f"Bearer {analyst}"}

        def pulled() -> dict[str, Any] | None:
            try:
                source = httpx.get(
                    f"{node}{API}/sources/from-colombia", headers=headers, timeout=10
                )
            except httpx.TransportError:
                return None  # the node is still starting
            shown: dict[str, Any] = source.json()
            return shown if source.status_code == 200 and shown["items"] > 0 else None

        source = _until("the node took an item from Colombia", pulled)
        assert source["kind"] == "garante" and source["last_error"] is None
        items = httpx.get(f"{node}{API}/items", headers=headers, timeout=10).json()
        taken = [i["id"] for i in items["items"] if i["id"].startswith("from-colombia-")]
        assert taken
        for item in taken:
            shown = httpx.get(f"{node}{API}/items/{item}", headers=headers, timeout=10).json()
            assert shown["released_under"]["released_to"] == "dea", shown
        requests = httpx.get(f"{node}{API}/releases", headers=headers, timeout=10).json()
        onward = {r["recipient"] for r in requests["items"]}
        assert onward == {"nca"}
    assert (tmp_path / "garante-demo-dea.db").exists()
    assert (tmp_path / "garante-demo-dea.db.keys" / "usdoj.key").exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{node}{API}/health", timeout=2)  # the node ended with the demo


def test_more_nodes_than_colombias_and_the_deas_are_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "d.db"), "demo", "--nodes", "3"])
    assert result.exit_code != 0
    assert "--nodes 3" in result.output and "give --nodes 1 or --nodes 2" in result.output
    assert not (tmp_path / "d.db").exists()


def test_two_nodes_need_a_store_file_to_put_the_deas_beside(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/garante"
    result = runner.invoke(app, ["--db", url, "demo", "--nodes", "2", "--no-serve"])
    assert result.exit_code != 0
    assert "store file" in result.output
