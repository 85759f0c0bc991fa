"""Where a server's data is: a SQLite file (its log key beside it) or a PostgreSQL database
(its log key in a file named by ``GARANTE_LOG_KEY_FILE``, as a deployment keeps it).

Suites that must hold on both stores run over ``BACKENDS``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from garante.service.app import Garante
from tests.support.postgres import Cluster

if TYPE_CHECKING:
    import pytest

GARANTE = str(Path(sys.executable).parent / "garante")
BACKENDS = ["sqlite", "postgresql"]


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

    def copy(self, directory: Path, cluster_of: Callable[[], Cluster] | None = None) -> Store:
        """A copy of this store (no one may be writing to it): its file and log key beside
        it for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL (same key file)."""
        if self.backend == "postgresql":
            assert cluster_of is not None, "a PostgreSQL store is copied in its cluster"
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


def new_store(request: pytest.FixtureRequest, backend: str, name: str) -> Store:
    """A new store of ``backend`` in a directory of its own, named ``name`` for the logs."""
    directory = request.getfixturevalue("tmp_path_factory").mktemp(name)
    return store_for(backend, directory, lambda: request.getfixturevalue("pg_cluster"))
