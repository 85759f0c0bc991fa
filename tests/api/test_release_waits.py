"""A release request waiting for its transaction holds no thread of the server's pool.

The server runs its ``def`` routes and dependencies in a pool of 40 threads. Release requests
that wait for the group commit wait on the event loop instead, so however many queue behind
a long write, reads still find a thread."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import Server, running_server
from tests.support.stores import Store

ITEM = "co-2025-0417"
POOL_THREADS = 40  # anyio's default, which uvicorn's Starlette routes run in
WAITING = POOL_THREADS + 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = Store.sqlite(tmp_path_factory.mktemp("waits") / "garante.db")
    with running_server(store, demo=True) as running:
        yield running


def held_writer(db: str) -> sqlite3.Connection:
    """Another process's long write, as far as the server can tell: SQLite's one writer,
    taken and held until the connection rolls back."""
    connection = sqlite3.connect(db, isolation_level=None, timeout=30)
    connection.execute("BEGIN IMMEDIATE")
    return connection


async def releases_behind_a_held_writer(server: Server, token: str) -> tuple[int, list[int]]:
    """``WAITING`` release requests sent while the writer is held, then a read; the read's
    status, answered while they still wait, and theirs once the writer is let go."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=WAITING + 1)
    async with httpx.AsyncClient(base_url=server.api, headers=headers, limits=limits) as client:
        writer = held_writer(server.db)
        try:
            posts = [
                asyncio.create_task(
                    client.post(
                        "/releases",
                        json={"item": ITEM, "recipient": "dea", "purpose": "seizure"},
                        timeout=60,
                    )
                )
                for _ in range(WAITING)
            ]
            await asyncio.sleep(1.0)  # each has passed its role check and queued
            assert not any(post.done() for post in posts), "a release did not wait"
            read = await client.get("/releases", params={"limit": 1}, timeout=10)
            assert not any(post.done() for post in posts), "the writer was let go early"
        finally:
            writer.rollback()
            writer.close()
        answered = await asyncio.gather(*posts)
    return read.status_code, [response.status_code for response in answered]


def test_a_read_is_answered_while_more_releases_wait_than_the_pool_has_threads(
    server: Server,
) -> None:
    token = server.token("analyst", agency="dipol")
    read, releases = asyncio.run(releases_behind_a_held_writer(server, token))
    assert read == 200
    assert releases == [201] * WAITING


def test_releases_that_waited_together_are_each_decided_and_logged_once(
    server: Server, tmp_path: Path
) -> None:
    token = server.token("analyst", agency="dipol")
    before = httpx.get(f"{server.api}/health").json()["ledger_size"]
    _, releases = asyncio.run(releases_behind_a_held_writer(server, token))
    assert releases == [201] * WAITING
    listed = httpx.get(
        f"{server.api}/releases",
        params={"item": ITEM, "limit": 500},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert len({r["id"] for r in listed["items"]}) >= 2 * WAITING
    after = httpx.get(f"{server.api}/health").json()["ledger_size"]
    assert after - before >= 2 * WAITING  # each logs its request and decision at least
    key = tmp_path / "garante.vkey"
    key.write_text(server.cli("audit", "key").stdout)
    assert server.cli("audit", "checkpoint").returncode == 0
    check = server.cli("--json", "db", "check", "--log-key", f"@{key}")
    assert check.returncode == 0, check.stdout + check.stderr
