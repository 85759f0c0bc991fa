"""``kill -9`` of a ``garante serve`` process while clients write as fast as they can.

One store per backend; RUNS times over it, a server is started, two analysts request releases,
an authority holds and releases a partner's queue with signed orders and records events, the
partner pulls its TAXII feed (deliveries) and a watcher fetches every signed checkpoint the
server publishes (every 0.1 s); after a delay drawn from a fixed-seed generator the server is
killed with SIGKILL, mid-transaction or mid-append as it happens, and restarted on the same
store. After every restart the store is compared with what the clients were acknowledged
(tests/crash/harness.py says how); each test below asserts one property over every run.
"""

from __future__ import annotations

import os

import pytest

from tests.crash.harness import Crashes, ForkedServer, Zygote, crash_runs, prepare
from tests.support.postgres import Cluster
from tests.support.stores import BACKENDS, store_for

RUNS = int(os.environ.get("CRASH_RUNS", "20"))
SEED = 9  # issue 9
DELAY = (0.1, 1.5)  # seconds of load before the kill, after the first write


@pytest.fixture(scope="module", params=BACKENDS)
def crashes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, zygote: Zygote
) -> Crashes:
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"crash-{backend}")

    def cluster() -> Cluster:
        found: Cluster = request.getfixturevalue("pg_cluster")
        return found

    prepared = prepare(store_for(backend, directory, cluster))
    return crash_runs(
        prepared, zygote, directory, runs=RUNS, seed=SEED, delay=DELAY, crash=ForkedServer.kill
    )


def test_a_killed_server_restarts_on_its_store_and_takes_writes(crashes: Crashes) -> None:
    assert crashes.restart_failures == []
    assert crashes.runs == RUNS
    assert crashes.refused_first_writes == []


def test_a_server_killed_mid_release_loses_no_acknowledged_write(crashes: Crashes) -> None:
    # The load did what it is for: every kind of write was acknowledged.
    counts = crashes.record.counts
    assert counts["release.requested"] >= RUNS, counts
    for what in ("order.issued", "order.lifted", "event.recorded"):
        assert counts[what] >= 1, counts
    assert crashes.record.received, "the partner's feed delivered nothing"
    assert crashes.findings.by_property["acknowledged"] == []


def test_a_server_killed_mid_append_leaves_no_half_written_change(crashes: Crashes) -> None:
    assert crashes.findings.by_property["whole"] == []


def test_a_killed_servers_log_verifies_and_extends_every_checkpoint_it_published(
    crashes: Crashes,
) -> None:
    assert crashes.record.checkpoints, crashes.record.counts
    assert crashes.findings.by_property["log"] == []


def test_a_killed_server_keeps_its_held_queue(crashes: Crashes) -> None:
    held = [d for d in crashes.record.decisions if d[1] == "held"]
    assert held, "no client saw a request held"
    assert crashes.findings.by_property["held"] == []
