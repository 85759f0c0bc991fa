"""``kill -9`` of PostgreSQL's postmaster while a server appends to the log.

A cluster of its own, with fsync and synchronous commit on (``Cluster(durable=True)``): what
a crashed PostgreSQL keeps is what its WAL made durable, and a commit is acknowledged only
once its WAL is flushed. Each run loads the server as the server-crash tests do, kills the
postmaster with SIGKILL after a delay drawn from a fixed-seed generator, lets the clients meet
the dead database, kills the server, starts PostgreSQL again (crash recovery), starts a new
server and checks the same properties against what the clients were acknowledged.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.crash.harness import Crashes, ForkedServer, Zygote, crash_runs, prepare
from tests.support import postgres
from tests.support.postgres import Cluster
from tests.support.stores import Store
from tests.support.unavailable import unavailable

RUNS = int(os.environ.get("CRASH_POSTMASTER_RUNS", "4"))
SEED = 90
DELAY = (0.1, 1.5)


def restart(cluster: Cluster) -> None:
    """``pg_ctl start`` once the dead postmaster's backends have exited and freed its memory.

    A backend notices its postmaster's death at its next wait and exits; until the last one
    has, the old shared memory is still attached and a new postmaster refuses to start.
    """
    deadline = time.monotonic() + 60
    while True:
        try:
            cluster.pg_ctl("start")
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


@pytest.fixture(scope="module")
def durable_cluster() -> Iterator[Cluster]:
    if not postgres.available():
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = Cluster(durable=True).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def crashes(
    durable_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, zygote: Zygote
) -> Crashes:
    directory = tmp_path_factory.mktemp("crash-postmaster")
    prepared = prepare(Store.postgresql(durable_cluster, directory))

    def crash(server: ForkedServer) -> None:
        postmaster = durable_cluster.postmaster_pid()
        os.kill(postmaster, signal.SIGKILL)
        time.sleep(0.3)  # the clients meet a dead database, the server answers 500
        server.kill()
        restart(durable_cluster)
        assert durable_cluster.postmaster_pid() != postmaster

    return crash_runs(prepared, zygote, directory, runs=RUNS, seed=SEED, delay=DELAY, crash=crash)


def test_a_server_restarts_after_a_postmaster_crash_and_takes_writes(crashes: Crashes) -> None:
    assert crashes.restart_failures == []
    assert crashes.runs == RUNS
    assert crashes.refused_first_writes == []


def test_a_postmaster_killed_mid_append_loses_no_acknowledged_write(crashes: Crashes) -> None:
    assert crashes.record.counts["release.requested"] >= RUNS, crashes.record.counts
    assert crashes.findings.by_property["acknowledged"] == []


def test_a_postmaster_killed_mid_append_leaves_no_half_written_change(crashes: Crashes) -> None:
    assert crashes.findings.by_property["whole"] == []


def test_a_postmaster_crash_keeps_the_log_consistent_with_every_published_checkpoint(
    crashes: Crashes,
) -> None:
    assert crashes.record.checkpoints, crashes.record.counts
    assert crashes.findings.by_property["log"] == []


def test_a_postmaster_crash_keeps_the_held_queue(crashes: Crashes) -> None:
    assert crashes.findings.by_property["held"] == []
