"""``garante demo`` serving as ``make demo`` leaves it, and running a page's commands beside it.

Shared by the tests that run the README's tour and docs/audit.md as printed.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.server import GARANTE, stop
from tests.docblocks import Command

DEMO_DB = "garante-demo.db"


@dataclass
class Demo:
    checkout: Path  # the directory ``make demo`` ran in
    url: str
    printed: list[str]

    @property
    def db(self) -> Path:
        return self.checkout / DEMO_DB

    def wait_until_published(self, seconds: float = 30) -> None:
        """Until the server has signed every entry (its tokens' entries come after the replay)."""
        deadline = time.monotonic() + seconds
        while not self._published_everything():
            assert time.monotonic() < deadline, "the demo server published no checkpoint"
            time.sleep(0.2)

    def _published_everything(self) -> bool:
        checkpoint = httpx.get(f"{self.url}/api/v1/audit/checkpoint", timeout=5)
        with sqlite3.connect(self.db) as connection:
            (last,) = connection.execute("SELECT max(idx) FROM ledger_entries").fetchone()
        connection.close()
        return checkpoint.status_code == 200 and checkpoint.json()["size"] == last + 1


@contextmanager
def serving_demo(checkout: Path) -> Iterator[Demo]:
    """``garante demo`` on a free port in ``checkout``, stopped on leaving."""
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
    stream = process.stdout
    drain = threading.Thread(
        target=lambda: printed.extend(s.rstrip("\n") for s in iter(stream.readline, ""))
    )
    drain.start()
    try:
        yield Demo(checkout=checkout, url=url, printed=printed)
    finally:
        stop(process)
        drain.join(timeout=10)
        stream.close()


def run_as_printed(
    page: Path,
    command: Command,
    directory: Path,
    *,
    masked: Callable[[str], str] = lambda line: line,
    columns: int = 100,
) -> None:
    """Run one ``$ `` line with bash in ``directory``; it must print the lines shown under it.

    ``masked`` is applied to both sides, for what differs from store to store (keys,
    signatures). In a shown line, ``...`` stands for anything.
    """
    env = {
        **os.environ,
        "PATH": f"{Path(GARANTE).parent}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": str(columns),  # the pages' tables were captured on a terminal this wide
    }
    ran = subprocess.run(
        ["bash", "-c", command.shell],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    printed = [
        masked(line.rstrip()) for line in (ran.stdout + ran.stderr).rstrip("\n").splitlines()
    ]
    shown = [masked(line) for line in command.expected]
    where = (
        f"{page.name} line {command.line}: $ {command.shell}\nprinted:\n{ran.stdout}{ran.stderr}"
    )
    assert len(printed) == len(shown), where
    for got, want in zip(printed, shown, strict=True):
        pattern = ".*".join(re.escape(part) for part in want.split("..."))
        assert re.fullmatch(pattern, got), f"{where}\nline: {got}\nshown: {want}"
