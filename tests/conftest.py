"""Shared fixtures: a real store per test (a SQLite file, or a PostgreSQL database), a clock.

Suites that must hold on both stores override ``backend`` with ``params=BACKENDS`` (see
tests/service/conftest.py); every other test runs on SQLite. The PostgreSQL cluster is started
once per session, on first use, by ``tests/support/postgres.py``. Without PostgreSQL installed,
its tests are skipped on a developer's machine and fail under CI, which must run them.

Helpers shared by more than one suite are in ``tests/support/``; conftest files hold fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.replay import LoggedEntry, Replayer
from garante.service.app import Garante
from garante.service.clock import FixedClock
from tests.support import postgres
from tests.support.scenario import START
from tests.support.unavailable import unavailable


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    if not postgres.available():
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = postgres.Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database()
    return f"sqlite:///{tmp_path / 'garante.db'}"


@pytest.fixture
def log_key_file(backend: str, tmp_path: Path) -> Path:
    """Where the store's log key is: beside a SQLite file, or where GARANTE_LOG_KEY_FILE says."""
    return tmp_path / ("garante.db.log-key" if backend == "sqlite" else "log-key")


@pytest.fixture
def garante(
    db_url: str,
    clock: FixedClock,
    log_key_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[Garante]:
    """A store on the test's backend. When the test is done, its log must replay with no
    disagreement (``garante audit replay``): every act it wrote was signed and entitled, and
    every decision is what ``decide`` gives. Tests that damage the log on purpose say so with
    ``@pytest.mark.tampers``."""
    if not db_url.startswith("sqlite"):
        # A PostgreSQL store keeps its log key outside the database, as a deployment would.
        monkeypatch.setenv("GARANTE_LOG_KEY_FILE", str(log_key_file))
    service = Garante.open(db_url, clock=clock, actor="test")
    yield service
    try:
        if request.node.get_closest_marker("tampers") is None:
            rows = service.entries(0, service.ledger_size())
            report = Replayer().replay(LoggedEntry.read(r.index, r.entry) for r in rows)
            assert report.disagreements == [], [str(d) for d in report.disagreements[:5]]
    finally:
        service.close()
