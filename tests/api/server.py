"""A real ``garante serve`` process on a free port, for end-to-end tests.

The server binds port 0 and prints its URL; the test reads it rather than guessing a free
port (a race). If the server dies, its output is shown with the failure.

A server runs on a ``Store``: a SQLite file (its log key beside it) or a PostgreSQL database
(its log key in a file named by ``GARANTE_LOG_KEY_FILE``, as a deployment keeps it).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from garante.service.app import Garante
from tests.postgres import Cluster

GARANTE = str(Path(sys.executable).parent / "garante")


@dataclass(frozen=True)
class Store:
    """Where a server's data is: the ``--db`` argument and the environment its key needs."""

    db: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return "postgresql" if self.db.startswith("postgresql") else "sqlite"

    @classmethod
    def sqlite(cls, path: Path) -> Store:
        return cls(db=str(path))

    @classmethod
    def postgresql(cls, cluster: Cluster, key_dir: Path) -> Store:
        """A fresh migrated database of ``cluster``, its log key file in ``key_dir``."""
        return cls(
            db=cluster.new_database(), env={"GARANTE_LOG_KEY_FILE": str(key_dir / "log-key")}
        )

    def environ(self) -> dict[str, str]:
        return {**os.environ, "GARANTE_DEBUG": "", **self.env}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the CLI on this store (another process, the same database)."""
        return subprocess.run(
            [GARANTE, "--db", self.db, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=self.environ(),
        )

    def replay_demo(self, *, timeout: float = 180) -> None:
        """Replay the November 2025 scenario into this store, as ``garante demo`` does."""
        replay = self.cli("--json", "demo", "--no-serve", timeout=timeout)
        if replay.returncode != 0:
            raise RuntimeError(f"demo replay failed:\n{replay.stderr}")

    @contextmanager
    def service(self, actor: str) -> Iterator[Garante]:
        """The service on this store, in this process, with the environment its key needs."""
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            garante = Garante.open(self.db, actor=actor)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        try:
            yield garante
        finally:
            garante.close()

    def copy(self, directory: Path, cluster_of: Callable[[], Cluster]) -> Store:
        """A copy of this store (no one may be writing to it): its file and log key beside
        it for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL (same key file)."""
        if self.backend == "postgresql":
            return Store(db=cluster_of().copy_database(self.db), env=dict(self.env))
        source, target = Path(self.db), directory / "garante.db"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        key = Path(f"{target}.log-key")
        key.write_bytes(Path(f"{source}.log-key").read_bytes())
        key.chmod(0o600)
        return Store.sqlite(target)


def store_for(
    backend: str, directory: Path, cluster_of: Callable[[], Cluster] | None = None
) -> Store:
    """A new empty store of ``backend``; ``cluster_of`` gives the PostgreSQL cluster."""
    if backend == "sqlite":
        return Store.sqlite(directory / "garante.db")
    assert cluster_of is not None, "a PostgreSQL store needs the cluster"
    return Store.postgresql(cluster_of(), directory)


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
        return f"{self.url}/api/v1"

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


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(
    db: Path | Store, *, demo: bool = False, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """Start ``garante serve`` (after replaying the demo scenario, if asked) and stop it after."""
    store = db if isinstance(db, Store) else Store.sqlite(db)
    env = store.environ()
    if demo:
        store.replay_demo()
    process = subprocess.Popen(
        [GARANTE, "--db", store.db, "serve", "--port", "0", "--checkpoint-interval", "0.2", *extra],
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
        yield Server(url=url, store=store, process=process)
    finally:
        stop(process)
        drain.join(timeout=10)
        process.stdout.close()
        if process.returncode not in (0, -15):
            sys.stderr.write("garante serve output:\n" + "".join(seen))
