"""The integrator killed mid-batch: the tree it leaves is whole, and the next one goes on.

An integrator stores a batch's subtree nodes and the new integrated size in one transaction
(``service.integrator``). Killed with SIGKILL at a random instant while a backlog is being
integrated, it must leave the integrated size at a batch it committed, every node up to that
size and none past it, and a next integrator must finish the tree so that the log verifies
against a checkpoint signed at the end, and ``garante db check`` agrees with the store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.store import ledger
from garante.store.schema import LedgerSubtreeRow
from tests.support.stores import BACKENDS

BACKLOG = 1500
BATCH = 7

INTEGRATE = """
import sys
from garante.service.app import Garante
service = Garante.open(sys.argv[1], actor="integrator")
service.context.settings.integrate_batch = int(sys.argv[2])
print("ready", flush=True)
service.context.integrate()
"""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def _integrated(garante: Garante) -> int:
    with garante.context.readers() as session:
        return ledger.integrated_size(session)


def _node_count(garante: Garante) -> int:
    with garante.context.readers() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerSubtreeRow)) or 0)


def _nodes_of_a_tree_of(size: int) -> int:
    """How many nodes a tree of ``size`` leaves stores: each leaf, and one node per trailing
    one bit of its index (``ledger.merkle.subtrees_completed_by_leaf_hash``), 2n - popcount(n)."""
    return 2 * size - bin(size).count("1")


def _kill_mid_backlog(db_url: str, garante: Garante, start: int) -> int:
    """Start an integrator on the backlog, SIGKILL it once it has committed a batch and
    before it is done; the integrated size it left."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", INTEGRATE, db_url, str(BATCH)],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60
        while _integrated(garante) == start:
            assert time.monotonic() < deadline, "the integrator never committed a batch"
            time.sleep(0.002)
        time.sleep(random.uniform(0, 0.02))
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()
    return _integrated(garante)


def test_an_integrator_killed_mid_backlog_leaves_a_whole_tree_the_next_one_finishes(
    db_url: str, garante: Garante
) -> None:
    garante.context.settings.checkpoint_every = 10**9  # nothing integrates but the integrator
    garante.context.integrate()
    start = _integrated(garante)
    for n in range(BACKLOG):
        garante.register_agency(f"a{n}", name=f"Agency {n}", country="CO", domestic=True)
    size = garante.ledger_size()

    left = _kill_mid_backlog(db_url, garante, start)

    assert start < left < size, "killed after it finished: make the backlog longer"
    assert (left - start) % BATCH == 0, "the integrated size is not at a committed batch"
    assert _node_count(garante) == _nodes_of_a_tree_of(left)  # each node up to it, none past
    assert garante.context.integrate() == size
    assert _node_count(garante) == _nodes_of_a_tree_of(size)
    garante.publish_checkpoint()
    assert garante.verify_log().ok
    assert check_store(garante.context.engine).ok
