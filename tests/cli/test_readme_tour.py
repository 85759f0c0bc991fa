"""README.md's five-minute tour, checked by machine, so that the first page a reader opens stays
true.

The tour's story is: ``make demo`` replays the scenario and serves it; in another terminal the
reader runs the commands the README shows. So the test runs ``garante demo`` as a real server
process (on a free port, in a temporary directory that stands for the checkout), checks the
lines the README quotes from its output, waits for its first checkpoint, and then, while it
still serves, runs every ``$ `` line of the tour's text blocks with bash, in document order,
comparing what each prints with the lines the README shows under it. Then it runs, on the
store the tour leaves, the examples of the pages that follow on from it (docs/outcomes.md).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.server import GARANTE, stop
from tests.docblocks import Command, Fenced, fenced_blocks

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Pages whose examples follow on from the tour, on the store it leaves.
FOLLOWING = (ROOT / "docs" / "outcomes.md",)
DEMO_DB = "garante-demo.db"


def text_blocks(page: Path = README) -> list[Fenced]:
    return [block for block in fenced_blocks(page) if block.language == "text"]


def commands(page: Path) -> list[tuple[Path, Command]]:
    """Every ``$ `` line of the page's text blocks, with the output lines shown below it."""
    return [(page, command) for block in text_blocks(page) for command in block.commands]


def demo_output_block() -> list[str]:
    """The block quoting what the demo prints: the first text block with no command in it."""
    return next(block.lines for block in text_blocks() if not block.commands)


@dataclass
class Demo:
    url: str
    printed: list[str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Demo]]:
    """``garante demo`` serving from a fresh directory, as ``make demo`` leaves it."""
    checkout = tmp_path_factory.mktemp("checkout")
    process = subprocess.Popen(
        [GARANTE, "--db", DEMO_DB, "demo", "--port", "0"],
        cwd=checkout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed: list[str] = []
    url = None
    deadline = time.monotonic() + 240
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        printed.append(line.rstrip("\n"))
        if match := re.search(r"Garante API on (\S+)/api/v1", line):
            url = match.group(1)
    if url is None:
        stop(process)
        pytest.fail("garante demo did not start serving:\n" + "\n".join(printed))
    drain = threading.Thread(
        target=lambda: printed.extend(s.rstrip("\n") for s in iter(process.stdout.readline, ""))
    )
    drain.start()
    try:
        yield checkout, Demo(url=url, printed=printed)
    finally:
        stop(process)
        drain.join(timeout=10)
        process.stdout.close()


def _published_everything(url: str, db: Path) -> bool:
    """Whether the serving demo's latest checkpoint covers every entry (its tokens' too)."""
    checkpoint = httpx.get(f"{url}/api/v1/audit/checkpoint", timeout=5)
    with sqlite3.connect(db) as connection:
        (last,) = connection.execute("SELECT max(idx) FROM ledger_entries").fetchone()
    connection.close()
    return checkpoint.status_code == 200 and checkpoint.json()["size"] == last + 1


def test_the_demo_prints_the_lines_the_readme_quotes_in_order(demo: tuple[Path, Demo]) -> None:
    _, served = demo
    printed = iter(served.printed)
    for quoted in demo_output_block():
        if quoted == "...":
            continue
        assert any(line == quoted for line in printed), f"the demo did not print: {quoted!r}"


def test_the_demo_names_where_the_console_and_the_api_are(demo: tuple[Path, Demo]) -> None:
    _, served = demo
    assert f"Web console on {served.url}/ (sign in with a token above); " in "\n".join(
        served.printed
    )
    assert httpx.get(f"{served.url}/", timeout=5).status_code in (200, 303)


def test_every_command_of_the_tour_and_the_pages_after_it_prints_what_they_show(
    demo: tuple[Path, Demo],
) -> None:
    checkout, served = demo
    deadline = time.monotonic() + 30
    # The server signs its tokens' entries within a second; the tour's export counts on it.
    while not _published_everything(served.url, checkout / DEMO_DB):
        assert time.monotonic() < deadline, "the demo server published no checkpoint"
        time.sleep(0.2)
    env = {
        **os.environ,
        "PATH": f"{Path(GARANTE).parent}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "100",  # the pages' tables were captured on a terminal this wide
    }
    tour = commands(README)
    assert len(tour) >= 6, "the tour's commands were not found in README.md"
    for page in FOLLOWING:
        tour += commands(page)
    for page, command in tour:
        ran = subprocess.run(
            ["bash", "-c", command.shell],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        printed = (ran.stdout + ran.stderr).rstrip("\n").splitlines()
        assert [line.rstrip() for line in printed] == command.expected, (
            f"{page.relative_to(ROOT)} line {command.line}: $ {command.shell}\n"
            f"printed:\n{ran.stdout}{ran.stderr}"
        )
