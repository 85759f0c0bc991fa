"""A server killed while it creates its log key starts again.

The first start of a SQLite store creates the key file beside it. The process is killed with
SIGKILL at the worst moment: the key file's descriptor is open and nothing is written yet
(``os.fdopen`` kills the process, in that process only). The next start must succeed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.support.stores import Store

KILLED_AT_FDOPEN = """
import os, signal, sys
os.fdopen = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
from garante.service.app import Garante
Garante.open(sys.argv[1])
"""


def test_a_server_killed_while_creating_its_log_key_starts_again(tmp_path: Path) -> None:
    db = tmp_path / "garante.db"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AT_FDOPEN, str(db)], capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = Store.sqlite(db).cli("--json", "held")
    assert again.returncode == 0, again.stderr
    assert Path(f"{db}.log-key").read_text().strip()
