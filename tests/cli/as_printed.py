"""Running a page's ``$ `` commands beside ``garante demo`` (``tests.support.servers``) as
printed: shared by the tests that run the README's tour and docs/audit.md.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support.docblocks import Command
from tests.support.stores import GARANTE


def run_as_printed(
    page: Path,
    command: Command,
    directory: Path,
    *,
    masked: Callable[[str], str] = lambda line: line,
    columns: int = 80,
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
