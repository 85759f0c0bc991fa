"""How long an authority waits for an order that withholds many releases, at two store sizes.

Run ``python bench/orders.py`` (``--quick`` for smaller stores, as ``make test`` does). A hub
releases thousands of items a day; until its partners fetch them, those releases sit
undelivered in their feeds, and a ``hold`` order covering a partner must withhold every one of
them in the transaction that issues it (``service.releases.redecide``): the order and what it
stops commit together, or neither does. Its issuing request answers only after that, so its
wait is the authority's, and the policy lock it holds exclusively meanwhile is every release's.

For each size, on its own copy of the replayed November 2025 store (SQLite), a real
``garante serve`` (tests/support/servers.py) takes that many release requests to one partner
in batches (``POST /api/v1/releases/batch``, not timed), then an authority issues a signed
``hold`` order covering the partner through ``GaranteClient`` and lifts it, ``--rounds`` times.
Printed per size: the issuing request's median wall time and that time per withheld release,
and the lifting request's per release made available again (absolute figures, this machine:
what each release adds to the time the policy lock is held exclusively).

The baseline is the smaller store, in the same run: the cost per withheld release should not
grow with how many there are. Target: at the larger size, the per-release time within 1.5x
of the smaller size's (each withholding writes its own audit entry, so the order's time grows
with the releases it stops; what must not grow is the cost of each). It was not: every
withheld release made SQLAlchemy test every object the session held (hiding a release's
objects in ``store.feed``), and 8,000 undelivered releases took an order 20-27 s here. Then each
withheld release still cost two statements of its own (about 0.45 ms here); they are hidden
and restored together now (``service.feed.enforce_many``). Nothing is asserted; ``--check``
turns a missed target into exit status 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from garante.client import GaranteClient, Scope
from garante.scenarios.keys import demo_key
from tests.support.servers import running_server
from tests.support.stores import Store

TARGET_GROWTH = 1.5  # the larger store's time per withheld release over the smaller's
AUTHORITY = "presidency"
PARTNER = "nca"
ITEM = "co-2025-0417"
BATCH = 5_000  # releases per POST /releases/batch while filling the store


def prepare(directory: Path) -> tuple[Store, dict[str, str]]:
    """The replayed scenario, its clock unpinned, and an analyst's and an authority's tokens."""
    store = Store.sqlite(directory / "template.db")
    store.replay_demo(timeout=300)
    with store.service("bench") as garante:
        garante.pin_clock(None)
        tokens = {
            "analyst": garante.create_token(role="analyst", agency_id="dipol")[1],
            "authority": garante.create_token(role="authority", authority_id=AUTHORITY)[1],
        }
    return store, tokens


def fill(url: str, token: str, releases: int) -> None:
    """``releases`` release requests of the item to the partner, none of them fetched."""
    with httpx.Client(timeout=600) as http:
        for start in range(0, releases, BATCH):
            count = min(BATCH, releases - start)
            answer = http.post(
                f"{url}/api/v1/releases/batch",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "releases": [{"item": ITEM, "recipient": PARTNER, "purpose": "seizure"}] * count
                },
            )
            if answer.status_code != 201:
                raise SystemExit(f"filling the store failed: {answer.status_code} {answer.text}")


def issue_and_lift(url: str, token: str, rounds: int) -> tuple[float, float, int]:
    """The median seconds an issuing request took, the median a lifting one took, and how
    many releases each order withheld."""
    key = demo_key(AUTHORITY)
    times: list[float] = []
    lifts: list[float] = []
    withheld = 0
    with GaranteClient(url, token) as authority:
        for number in range(rounds):
            began = time.perf_counter()
            issued = authority.issue_order(
                "hold", reason=f"bench {number}", scope=Scope(agencies=[PARTNER]), key=key
            )
            times.append(time.perf_counter() - began)
            withheld = len(issued.withheld)
            began = time.perf_counter()
            authority.lift_order(issued.order.id, reason="bench round", key=key)
            lifts.append(time.perf_counter() - began)
    return statistics.median(times), statistics.median(lifts), withheld


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="500 and 4,000 releases")
    parser.add_argument("--rounds", type=int, default=3, help="orders issued and lifted per size")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    arguments = parser.parse_args()
    sizes = (500, 4_000) if arguments.quick else (1_000, 10_000)
    print(
        f"An order withholding undelivered releases, {arguments.rounds} rounds per size "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, SQLite)"
    )
    per_release: list[float] = []
    with tempfile.TemporaryDirectory(prefix="garante-orders-") as scratch:
        root = Path(scratch)
        template, tokens = prepare(root)
        for size in sizes:
            directory = root / f"size-{size}"
            directory.mkdir()
            with running_server(template.copy(directory)) as server:
                fill(server.url, tokens["analyst"], size)
                seconds, lifted, withheld = issue_and_lift(
                    server.url, tokens["authority"], arguments.rounds
                )
            if withheld < size:
                raise SystemExit(f"the order withheld {withheld} releases of {size}")
            per_release.append(seconds / withheld)
            print(
                f"  {withheld:>7,} undelivered releases: the order answers in {seconds * 1000:8.0f}"
                f" ms, {per_release[-1] * 1000:.3f} ms per withheld release; lifting it"
                f" {lifted * 1000:8.0f} ms, {lifted * 1000 / withheld:.3f} ms per release"
            )
    growth = per_release[1] / per_release[0]
    met = growth <= TARGET_GROWTH
    print(
        f"target: time per withheld release at {sizes[1]:,} within {TARGET_GROWTH}x of that at "
        f"{sizes[0]:,} (the baseline, same run); result: {growth:.2f}x "
        f"({'met' if met else 'MISSED'})"
    )
    return 1 if arguments.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
