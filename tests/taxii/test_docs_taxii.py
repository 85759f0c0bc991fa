"""docs/taxii.md, checked by machine: a partner who copies its programs gets what it shows.

The page's setup is followed as it says: the demo replayed with ``--no-serve``, a partner token
for the DEA, ``garante serve``. Then every ``$ `` line of its text blocks runs in document order
in one working directory: ``python partner.py``, ``python resume.py`` and ``python
writeback.py`` run the page's three Python programs (its ```python blocks, in order) with the
real ``taxii2-client``; ``garante`` and ``curl`` lines run with bash. Trace tokens are random
(the page says so), so they are masked on both sides; the page's address stands for the test
server's. For ``curl
-si``, the status line and the body must match, and every header the page shows must be sent
(the page leaves out ``date``, ``server`` and ``content-length``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.scenarios.keys import write_demo_keys
from tests.support.docblocks import Command, fenced_blocks, text_commands
from tests.support.servers import Server, running_server
from tests.support.stores import GARANTE

DOC = Path(__file__).resolve().parents[2] / "docs" / "taxii.md"
PAGE_URL = "http://127.0.0.1:8000"
TRACE = re.compile(r"\btrace [0-9a-f]{32}\b")
PROGRAMS = ("partner.py", "resume.py", "writeback.py")  # the page's ```python blocks, in order


def _masked(line: str, url: str) -> str:
    return TRACE.sub("trace <token>", line.replace(url, PAGE_URL)).rstrip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, Path]]:
    """The demo served as the page sets it up, a DEA partner token, and a working directory."""
    directory = tmp_path_factory.mktemp("partner")
    with running_server(directory / "garante-demo.db", demo=True) as server:
        # The page's `garante demo` writes the signers' demo keys beside the store; the
        # replay here runs it with --json, which does not, so the DEA's is written as it would.
        write_demo_keys(directory / "garante-demo.db.keys", ["dea"])
        yield server, server.token("partner", agency="dea"), directory


def _run(command: Command, server: Server, token: str, directory: Path) -> list[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(GARANTE).parent}{os.pathsep}{os.environ['PATH']}",
        "GARANTE_TAXII": f"{server.url}/taxii2/",
        "GARANTE_AGENCY": "dea",
        "GARANTE_TOKEN": token,
        "TOKEN": token,
    }
    program = command.shell.removeprefix("python ")
    if program in PROGRAMS:
        argv = [sys.executable, program]
    else:
        shell = command.shell.replace(PAGE_URL, server.url)
        shell = shell.replace("garante-demo.db", server.db)
        argv = ["bash", "-c", shell]
    ran = subprocess.run(
        argv, cwd=directory, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == 0 or command.shell.startswith("curl"), (
        f"docs/taxii.md line {command.line}: $ {command.shell} exited {ran.returncode}\n"
        f"{ran.stdout}{ran.stderr}"
    )
    return (ran.stdout + ran.stderr).replace("\r\n", "\n").rstrip("\n").splitlines()


def _check_http(command: Command, printed: list[str], url: str) -> None:
    """Status line and body as shown; every header shown is among those sent."""
    where = f"docs/taxii.md line {command.line}: $ {command.shell}"
    blank = printed.index("")
    status, headers, body = printed[0], printed[1:blank], printed[blank + 1 :]
    shown = command.expected
    shown_blank = shown.index("")
    assert status.rstrip() == shown[0], f"{where}\nstatus: {status}"
    sent = {line.lower().rstrip() for line in headers}
    for header in shown[1:shown_blank]:
        assert header.lower() in sent, f"{where}\nnot sent: {header}\nsent: {sorted(sent)}"
    assert [_masked(line, url) for line in body] == shown[shown_blank + 1 :], where


def test_every_example_of_the_page_runs_as_printed(served: tuple[Server, str, Path]) -> None:
    server, token, directory = served
    programs = [block for block in fenced_blocks(DOC) if block.language == "python"]
    assert len(programs) == len(PROGRAMS), "docs/taxii.md's programs were not found"
    for name, block in zip(PROGRAMS, programs, strict=True):
        (directory / name).write_text("\n".join(block.lines) + "\n")
    tour = text_commands(DOC)
    assert len(tour) >= 6, "docs/taxii.md's examples were not found"
    for command in tour:
        printed = _run(command, server, token, directory)
        if command.shell.startswith("curl -si"):
            _check_http(command, printed, server.url)
            continue
        assert [_masked(line, server.url) for line in printed] == [
            TRACE.sub("trace <token>", line) for line in command.expected
        ], f"docs/taxii.md line {command.line}: $ {command.shell}\nprinted:\n" + "\n".join(printed)
