"""Shared fixtures: a real store per test (a SQLite file, or a PostgreSQL database), a clock.

Suites that must hold on both stores override ``backend`` with ``params=BACKENDS`` (see
tests/service/conftest.py); every other test runs on SQLite. The PostgreSQL cluster is started
once per session, on first use, by ``tests/support/postgres.py``. Without PostgreSQL installed,
its tests are skipped on a developer's machine and fail under CI, which must run them.

Helpers shared by more than one suite are in ``tests/support/``; conftest files hold fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.replay import LoggedEntry, Replayer
from garante.service.app import Garante
from garante.service.clock import FixedClock
from tests.support import postgres
from tests.support.scenario import START
from tests.support.unavailable import unavailable

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment. The CLI's Rich
# console, made when ``garante.cli.output`` is first imported, keeps a width it finds there for
# good, so a test that invokes the CLI with ``env={"COLUMNS": ...}`` would get 80 columns or
# not depending on which test imported it first. Without them, the console reads the width
# each time it prints, as it does in a one-process run on CI.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


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


# The files whose set-up alone runs for a minute or more (several servers, nodes, a crash
# cycle), then the directories whose tests start servers, browsers and subprocesses: ``make
# unit`` runs the suite in two worker processes handing out whole files in this order
# (``--dist loadfile --no-loadscope-reorder``), so a long file never starts last while the
# other worker sits idle. Order within a file is kept; the rest follows in its usual order.
LONGEST_FIRST = (
    "tests/taxii/test_cascade.py",
    "tests/taxii/test_docs_three_nodes.py",
    "tests/crash/test_server_crash.py",
    "tests/taxii/test_three_nodes.py",
    "tests/taxii/test_partner_node.py",
    "tests/taxii/test_cross_witness.py",
    "tests/taxii/test_upstream_ack_order.py",
    "tests/api/test_generated_isolation.py",
    "tests/api/test_partner_isolation.py",
    "tests/ingest/test_docs_sources.py",
    "tests/cli/test_readme_tour.py",
)
SLOW_DIRECTORIES = ("taxii", "crash", "race", "console", "ingest", "api", "sources", "cli")


def _weight(path: str) -> tuple[int, int]:
    if path in LONGEST_FIRST:
        return (0, LONGEST_FIRST.index(path))
    parts = path.split("/")
    directory = parts[1] if len(parts) > 2 else ""
    if directory in SLOW_DIRECTORIES:
        return (1, SLOW_DIRECTORIES.index(directory))
    return (2, 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _weight(item.nodeid.split("::", 1)[0]))
