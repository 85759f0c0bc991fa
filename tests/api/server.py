"""A real ``garante serve`` process on a free port, for end-to-end tests.

The server binds port 0 and prints its URL; the test reads it rather than guessing a free
port (a race). If the server dies, its output is shown with the failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

GARANTE = str(Path(sys.executable).parent / "garante")


@dataclass
class Server:
    url: str
    db: Path
    process: subprocess.Popen[str]

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI against the server's store (another process, the same database)."""
        return subprocess.run(
            [GARANTE, "--db", str(self.db), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def token(self, role: str, *, agency: str | None = None, authority: str | None = None) -> str:
        args = ["--json", "tokens", "create", "--role", role]
        if agency:
            args += ["--agency", agency]
        if authority:
            args += ["--authority", authority]
        result = self.cli(*args)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return str(json.loads(result.stdout)["token"])


@contextmanager
def running_server(db: Path, *, demo: bool = False) -> Iterator[Server]:
    """Start ``garante serve`` (after replaying the demo scenario, if asked) and stop it after."""
    env = {**os.environ, "GARANTE_DEBUG": ""}
    if demo:
        replay = subprocess.run(
            [GARANTE, "--db", str(db), "--json", "demo", "--no-serve"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env=env,
        )
        if replay.returncode != 0:
            raise RuntimeError(f"demo replay failed:\n{replay.stderr}")
    process = subprocess.Popen(
        [GARANTE, "--db", str(db), "serve", "--port", "0", "--checkpoint-interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    url = None
    deadline = time.monotonic() + 60
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].strip().removesuffix("/api/v1")
            break
    if url is None:
        process.kill()
        process.wait()
        process.stdout.close()
        raise RuntimeError("garante serve did not start:\n" + "".join(seen))
    # Keep reading what the server prints, so a full pipe never blocks it.
    drain = threading.Thread(target=lambda: seen.extend(iter(process.stdout.readline, "")))
    drain.start()
    for _ in range(100):
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield Server(url=url, db=db, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drain.join(timeout=10)
        process.stdout.close()
        if process.returncode not in (0, -15):
            sys.stderr.write("garante serve output:\n" + "".join(seen))
