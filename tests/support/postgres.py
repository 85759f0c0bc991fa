"""A throwaway PostgreSQL cluster for tests and benchmarks: ``initdb`` + ``pg_ctl``, no Docker.

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port and on a Unix
socket inside that directory, and trusts local connections (it is reachable only from this
machine, and only for the life of the test run). Running as root, PostgreSQL refuses to start,
so every server command then runs as the ``postgres`` user, which Debian's package creates.

Each test gets its own database. Migrating a new database costs hundreds of milliseconds, so
the schema is migrated once into a template, and ``CREATE DATABASE ... TEMPLATE`` copies it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's versioned directory first, then PATH."""
    for candidate in sorted(glob.glob(DEBIAN_BINDIRS), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def available() -> bool:
    return bindir() is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """One PostgreSQL server in a temporary directory; ``stop()`` removes it all."""

    def __init__(self, *, durable: bool = False, max_connections: int = 200) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError(
                "PostgreSQL is not installed: apt-get install postgresql (Debian) puts initdb "
                "in /usr/lib/postgresql/<version>/bin"
            )
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="garante-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.durable = durable
        self.max_connections = max_connections
        self._as_postgres = os.geteuid() == 0
        self._lock = threading.Lock()
        self._count = 0
        self._template: str | None = None

    # -- the server ------------------------------------------------------------------------

    def _run(self, args: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            command, capture_output=True, text=True, check=False, **kwargs
        )

    def start(self) -> Cluster:
        if self._as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        made = self._run(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-instructions",
                "--locale=C",
            ]
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": str(self.max_connections),
            "shared_buffers": "'128MB'",
            "log_min_messages": "warning",
        }
        if not self.durable:
            # Tests never survive a machine crash; the crash tests ask for a durable cluster.
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.pg_ctl("start")
        return self

    def pg_ctl(self, action: str, *extra: str) -> None:
        log = self.root / "server.log"
        result = self._run(
            ["pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", action, *extra]
        )
        if result.returncode != 0 and action != "stop":
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl {action} failed:\n{result.stdout}{result.stderr}{tail}")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases -------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database's URL: a copy of the migrated template, or an empty one."""
        with self._lock:
            self._count += 1
            name = f"garante_{self._count}"
            template = self._migrated_template() if migrated else "template0"
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def copy_database(self, source_url: str) -> str:
        """A copy of another database of this cluster (no one may be connected to it)."""
        source = source_url.rsplit("/", 1)[1]
        with self._lock:
            self._count += 1
            name = f"garante_{self._count}"
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self.url(name)

    def _migrated_template(self) -> str:
        if self._template is None:
            from garante.store.database import create_store_engine, upgrade

            self.execute('CREATE DATABASE "garante_template" TEMPLATE template0')
            engine = create_store_engine(self.url("garante_template"))
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            self._template = "garante_template"
        return self._template


# -- advisory locks, as pg_locks shows them -------------------------------------------------------


def advisory_locks(engine: Engine, key: int) -> list[tuple[str, bool]]:
    """Who holds or waits for the advisory lock ``key``: (mode, granted) for each transaction,
    ``ShareLock`` for a shared holder, ``ExclusiveLock`` for an exclusive one. A 64-bit key is
    shown split in two, its high half as ``classid`` and its low half as ``objid``. Read on a
    reader connection of ``engine``, which takes no lock itself."""
    from garante.store.database import reader

    with reader(engine).connect() as connection:
        rows = connection.execute(
            text(
                "SELECT mode, granted FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :high AND objid = :low AND objsubid = 1 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY granted DESC, mode"
            ),
            {"high": key >> 32, "low": key & 0xFFFF_FFFF},
        ).all()
    return [(str(mode), bool(granted)) for mode, granted in rows]


def await_waiter(engine: Engine, key: int, *, seconds: float = 60) -> list[tuple[str, bool]]:
    """The advisory lock ``key``'s holders and waiters, once some transaction waits for it (a
    barrier: a waiter shows in pg_locks as soon as it asks). Fails after ``seconds`` with what
    pg_locks showed, if none ever waited."""
    deadline = time.monotonic() + seconds
    while True:
        found = advisory_locks(engine, key)
        if any(not granted for _, granted in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"nobody waited for advisory lock {key:#x}: {found}")
        time.sleep(0.01)
