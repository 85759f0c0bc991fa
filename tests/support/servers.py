"""Real server processes for end-to-end tests and benchmarks: start one, wait for its port.

A server binds port 0 and prints its URL; the caller reads it rather than guessing a free port
(a race). What the server prints is kept (``Running.output``) and read on in a thread, so a
full pipe never blocks it; if it fails to start, or exits badly, that output is shown.

``started`` is the one way to start such a process: ``running_server`` (``garante serve`` on a
``Store``), ``serving_demo`` (``garante demo`` as ``make demo`` leaves it), the crash tests'
``garante serve`` and the benchmarks' servers (``bench/api.py``, ``bench/taxii.py``,
``bench/scale.py``, which put the repository root on ``sys.path`` to import this module).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.stores import GARANTE, Store

API = "/api/v1"


class ServerDidNotStart(RuntimeError):
    pass


def stop(process: subprocess.Popen[str], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Running:
    """A started server: its base URL (without ``/api/v1``) and every line it printed."""

    name: str
    url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # lines, without their newline
    _drain: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def printed(self) -> str:
        return "".join(f"{line}\n" for line in self.output)

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time of the server process (all its threads), from /proc."""
        try:
            text = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = text.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_for(self, text: str, seconds: float = 30) -> None:
        """Until a line holding ``text`` has been read (lines after the ready one come later)."""
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.output):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise ServerDidNotStart(f"{self.name} never printed {text!r}:\n" + self.printed())
            time.sleep(0.02)

    def stop(self, grace: float = 10) -> None:
        """SIGTERM (SIGKILL after ``grace`` seconds); then the last of its output is read."""
        stop(self.process, grace)
        self._close()

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is rolled back, no connection is closed."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._close()

    def _close(self) -> None:
        if self._drain is not None:
            self._drain.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def launch(
    name: str,
    command: Sequence[str],
    *,
    ready: str = "listening on ",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    new_session: bool = False,
) -> Running:
    """Start ``command`` and read what it prints until a line holds ``<ready>http://host:port``.

    The URL is the first word after ``ready``, less ``/api/v1``. If no such line comes within
    ``timeout`` seconds, or the process ends first, it is killed and ``ServerDidNotStart``
    raised with what it printed. Stop it with ``Running.stop`` or ``Running.kill``.
    """
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=new_session,
    )
    stream = process.stdout
    assert stream is not None
    running = Running(name=name, url="", process=process)
    deadline = time.monotonic() + timeout
    while not running.url and time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        running.output.append(line.rstrip("\n"))
        if ready in line:
            running.url = line.split(ready, 1)[1].split()[0].removesuffix(API)
    if not running.url:
        running.kill()
        raise ServerDidNotStart(f"{name} did not start:\n" + running.printed())
    # Keep reading what the server prints, so a full pipe never blocks it.
    running._drain = threading.Thread(
        target=lambda: running.output.extend(s.rstrip("\n") for s in iter(stream.readline, ""))
    )
    running._drain.start()
    return running


@contextmanager
def started(
    name: str,
    command: Sequence[str],
    *,
    ready: str = "listening on ",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    new_session: bool = False,
    grace: float = 10,
) -> Iterator[Running]:
    """``launch``, and stop the process on leaving, whatever happened; if it then exits with
    neither 0 nor SIGTERM's code, what it printed goes to stderr."""
    running = launch(
        name, command, ready=ready, env=env, cwd=cwd, timeout=timeout, new_session=new_session
    )
    try:
        yield running
    finally:
        running.stop(grace)
        if running.process.returncode not in (0, -signal.SIGTERM):
            sys.stderr.write(
                f"{name} exited with {running.process.returncode}:\n" + running.printed()
            )


def await_health(url: str, *, tries: int = 100, timeout: float = 2) -> bool:
    """Until ``GET /api/v1/health`` answers 200; False if it never did in ``tries`` tries."""
    for _ in range(tries):
        try:
            if httpx.get(f"{url}{API}/health", timeout=timeout).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.05)
    return False


# -- garante serve on a store -----------------------------------------------------------------


@dataclass
class Server:
    url: str
    store: Store
    process: subprocess.Popen[str]

    @property
    def db(self) -> str:
        return self.store.db

    @property
    def api(self) -> str:
        return f"{self.url}{API}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI against the server's store (another process, the same database)."""
        return self.store.cli(*args)

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


def serve_command(store: Store, *extra: str) -> list[str]:
    return [GARANTE, "--db", store.db, "serve", "--init", "--port", "0", *extra]


@contextmanager
def running_server(
    db: Path | Store, *, demo: bool = False, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """Start ``garante serve`` (after replaying the demo scenario, if asked) and stop it after."""
    store = db if isinstance(db, Store) else Store.sqlite(db)
    if demo:
        store.replay_demo()
    command = serve_command(store, "--checkpoint-interval", "0.2", *extra)
    with started("garante serve", command, env=store.environ()) as running:
        await_health(running.url)
        yield Server(url=running.url, store=store, process=running.process)


# -- garante demo, as make demo leaves it ----------------------------------------------------

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
        checkpoint = httpx.get(f"{self.url}{API}/audit/checkpoint", timeout=5)
        with sqlite3.connect(self.db) as connection:
            (last,) = connection.execute("SELECT max(idx) FROM ledger_entries").fetchone()
        connection.close()
        return checkpoint.status_code == 200 and checkpoint.json()["size"] == last + 1


@contextmanager
def serving_demo(checkout: Path) -> Iterator[Demo]:
    """``garante demo`` on a free port in ``checkout``, stopped on leaving."""
    command = [GARANTE, "--db", DEMO_DB, "demo", "--port", "0"]
    with started("garante demo", command, ready="Garante API on ", cwd=checkout, timeout=240) as (
        running
    ):
        # The banner goes on after the API's URL; a test reads all of it.
        running.wait_for("(Ctrl-C to stop)")
        yield Demo(checkout=checkout, url=running.url, printed=running.output)
