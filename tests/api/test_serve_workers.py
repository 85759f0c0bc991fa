"""``garante serve --workers N``: N forked processes serving one port, supervised by the server.

Everything here is real processes: the server and its workers are found through /proc (the
children of the server's pid), and which worker answered a connection through the kernel's
socket table (/proc/net/tcp: the connection's inode, held open by exactly one worker).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from garante.api.workers import (
    PER_CPU,
    _Supervisor,
    _Worker,
    check_count,
    most_workers,
    supervise,
    usable_cpus,
)
from garante.cli.main import app
from garante.client import GaranteClient, Scope
from garante.domain.errors import ValidationError
from garante.scenarios.keys import demo_key
from tests.support.postgres import Cluster
from tests.support.servers import API, Running, Server, launch, running_server, serve_command
from tests.support.stores import GARANTE, Store

WORKERS = 2
ITEM = "co-2025-0417"
AUTHORITY = "presidency"


def children(pid: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return raw[raw.rindex(")") + 2] != "Z"


def until(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def serving_pid(server_port: int, client: socket.socket, workers: set[int]) -> int:
    """Which worker holds the server's end of ``client``'s connection."""
    client_port = client.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":")[1], fields[2].split(":")[1]
        if int(local, 16) == server_port and int(remote, 16) == client_port:
            inode = fields[9]
    assert inode is not None, "the server's end of the connection is not in /proc/net/tcp"
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no worker holds the connection")


def health_over(client: socket.socket) -> bytes:
    client.sendall(f"GET {API}/health HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return client.recv(65536)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The November 2025 scenario on SQLite, its clock unpinned, served by two workers."""
    store = Store.sqlite(tmp_path_factory.mktemp("workers") / "garante.db")
    store.replay_demo()
    with store.service("workers-setup") as garante:
        garante.pin_clock(None)
    with running_server(store, extra=("--workers", str(WORKERS))) as server:
        yield server


def start_empty(tmp_path: Path, *extra: str) -> Running:
    store = Store.sqlite(tmp_path / "garante.db")
    command = serve_command(store, "--workers", str(WORKERS), *extra)
    running = launch("garante serve --workers", command, env=store.environ())
    until(lambda: len(children(running.process.pid)) == WORKERS)
    return running


def test_the_server_runs_as_many_worker_processes_as_asked(two_workers: Server) -> None:
    assert len(children(two_workers.process.pid)) == WORKERS


def test_every_worker_answers_connections(two_workers: Server) -> None:
    workers = children(two_workers.process.pid)
    port = int(two_workers.url.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    served: set[int] = set()
    try:
        for _ in range(200):
            client = socket.create_connection(("127.0.0.1", port))
            held.append(client)  # kept open: each new one is accepted by whichever worker
            assert health_over(client).startswith(b"HTTP/1.1 200")
            served.add(serving_pid(port, client, workers))
            if served == workers:
                break
    finally:
        for client in held:
            client.close()
    assert served == workers


def test_connections_opened_together_are_spread_among_the_workers(two_workers: Server) -> None:
    """A proxy opens its keep-alive connections at once: each worker must get some (with one
    socket for all, the first worker to wake accepted every one waiting). 16 connections all
    on one of two workers by chance: about 3 in 100,000."""
    workers = children(two_workers.process.pid)
    port = int(two_workers.url.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    try:
        served = set()
        for client in held:
            assert health_over(client).startswith(b"HTTP/1.1 200")
            served.add(serving_pid(port, client, workers))
    finally:
        for client in held:
            client.close()
    assert served == workers


def test_releases_on_every_worker_are_in_the_one_log(two_workers: Server, tmp_path: Path) -> None:
    token = two_workers.token("analyst", agency="dipol")
    before = httpx.get(f"{two_workers.api}/health").json()["ledger_size"]
    for number in range(40):  # fresh connections, so both workers take some
        response = httpx.post(
            f"{two_workers.api}/releases",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "item": ITEM,
                "recipient": ("dea", "nca", "fbi")[number % 3],
                "purpose": "seizure",
            },
        )
        assert response.status_code == 201, response.text
    after = httpx.get(f"{two_workers.api}/health").json()["ledger_size"]
    assert after - before >= 40
    key = tmp_path / "garante.vkey"
    key.write_text(two_workers.cli("audit", "key").stdout)
    assert two_workers.cli("audit", "checkpoint").returncode == 0
    check = two_workers.cli("--json", "db", "check", "--log-key", f"@{key}")
    assert check.returncode == 0, check.stdout + check.stderr


def test_an_order_holds_at_once_on_every_worker(two_workers: Server) -> None:
    analyst = two_workers.token("analyst", agency="dipol")
    authority = two_workers.token("authority", authority=AUTHORITY)
    with GaranteClient(two_workers.url, authority) as client:
        issued = client.issue_order(
            "hold", reason="workers", scope=Scope(agencies=["nca"]), key=demo_key(AUTHORITY)
        )
        try:
            outcomes = [
                httpx.post(  # a fresh connection each: accepted by either worker
                    f"{two_workers.api}/releases",
                    headers={"Authorization": f"Bearer {analyst}"},
                    json={"item": ITEM, "recipient": "nca", "purpose": "seizure"},
                ).json()["outcome"]
                for _ in range(20)
            ]
        finally:
            client.lift_order(issued.order.id, reason="workers done", key=demo_key(AUTHORITY))
    assert outcomes == ["held"] * 20


def test_sigterm_to_the_server_stops_every_worker(tmp_path: Path) -> None:
    running = start_empty(tmp_path)
    workers = children(running.process.pid)
    running.stop()
    assert running.process.returncode == 0, running.printed()
    assert not [pid for pid in workers if alive(pid)]


def test_a_killed_worker_is_replaced_and_the_server_keeps_answering(tmp_path: Path) -> None:
    running = start_empty(tmp_path)
    try:
        victim = min(children(running.process.pid))
        os.kill(victim, signal.SIGKILL)
        until(lambda: len(children(running.process.pid) - {victim}) == WORKERS)
        running.wait_for(f"worker {victim} exited with status -9; started worker")
        for _ in range(10):
            assert httpx.get(f"{running.url}{API}/health").status_code == 200
    finally:
        running.stop()
    assert running.process.returncode == 0, running.printed()


def test_workers_that_keep_dying_as_they_start_stop_the_server(tmp_path: Path) -> None:
    running = start_empty(tmp_path)
    killed: set[int] = set()
    deadline = time.monotonic() + 30
    try:
        # Eight deaths, none of a worker ready for a second: more than a crash loop's five,
        # and no more, so a server that tolerates more goes on running.
        while running.process.poll() is None and time.monotonic() < deadline:
            for pid in sorted(children(running.process.pid) - killed)[: 8 - len(killed)]:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            time.sleep(0.01)
    finally:
        running.stop()
    assert running.process.returncode == 1, running.printed()
    assert "workers in a row died" in running.printed()


def test_workers_end_with_a_server_killed_outright(tmp_path: Path) -> None:
    running = start_empty(tmp_path)
    workers = children(running.process.pid)
    try:
        os.kill(running.process.pid, signal.SIGKILL)  # no handler runs, nothing is passed on
        running.process.wait()
        until(lambda: not [pid for pid in workers if alive(pid)])
    finally:
        for pid in workers:  # orphans would hold the output pipe open
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        running.kill()


def test_a_worker_that_cannot_start_stops_the_server_with_its_error(tmp_path: Path) -> None:
    store = Store.sqlite(tmp_path / "garante.db")
    uri = "pkcs11:token=absent;object=log?module-path=/nonexistent/libpkcs11.so&pin-value=1"
    command = serve_command(store, "--workers", str(WORKERS), "--log-key-uri", uri)
    result = store.cli(*command[3:], timeout=60)  # the store's own CLI, without --db twice
    assert result.returncode not in (0, 1), result.stdout + result.stderr
    assert "listening on" not in result.stdout
    assert "before the server was ready" in result.stderr


def test_two_workers_serve_releases_on_postgresql(pg_cluster: Cluster, tmp_path: Path) -> None:
    store = Store.postgresql(pg_cluster, tmp_path)
    store.replay_demo()
    with store.service("workers-setup") as garante:
        garante.pin_clock(None)
    with running_server(store, extra=("--workers", str(WORKERS))) as server:
        assert len(children(server.process.pid)) == WORKERS
        token = server.token("analyst", agency="dipol")
        for number in range(20):
            response = httpx.post(
                f"{server.api}/releases",
                headers={"Authorization": f"Bearer {token}"},
                json={"item": ITEM, "recipient": ("dea", "nca")[number % 2], "purpose": "seizure"},
            )
            assert response.status_code == 201, response.text
        assert server.cli("audit", "checkpoint").returncode == 0
        check = server.cli("db", "check")
        assert check.returncode == 0, check.stdout + check.stderr


def test_workers_need_at_least_one() -> None:
    result = subprocess.run(
        [GARANTE, "serve", "--workers", "0"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_more_workers_than_the_bound_are_refused_before_anything_starts(tmp_path: Path) -> None:
    """One over the bound: refused at once with the typed error, no store made, no port held."""
    db = tmp_path / "garante.db"
    too_many = most_workers() + 1
    started = time.monotonic()
    command = [GARANTE, "--db", str(db), "--json", "serve", "--init", "--port", "0"]
    result = subprocess.run(
        [*command, "--workers", str(too_many)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert time.monotonic() - started < 30
    assert result.stdout == ""  # nothing listening
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "validation.invalid"
    assert error["field"] == "workers"
    assert f"--workers {too_many}" in error["message"]
    assert f"1 to {too_many - 1}" in error["message"]
    assert not db.exists()  # refused before --init made the store


@pytest.mark.parametrize("how", ["option", "environment"])
def test_more_workers_than_the_bound_fork_nothing(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process, with fork made to fail the test: the count is refused before it."""

    def fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", fork)
    too_many = str(most_workers() + 1)
    args = ["--db", str(tmp_path / "garante.db"), "serve", "--init", "--port", "0"]
    if how == "option":
        result = CliRunner().invoke(app, [*args, "--workers", too_many])
    else:
        result = CliRunner().invoke(app, args, env={"GARANTE_WORKERS": too_many})
    assert result.exit_code == 2, result.output
    assert "validation.invalid" in result.stderr
    assert not (tmp_path / "garante.db").exists()


def test_the_bound_is_eight_workers_per_cpu_and_takes_its_own_value() -> None:
    cpus = usable_cpus()
    assert cpus >= 1
    assert most_workers() == PER_CPU * cpus == 8 * cpus
    check_count(1)
    check_count(most_workers())
    for count in (0, -1, most_workers() + 1):
        with pytest.raises(ValidationError) as refused:
            check_count(count)
        assert refused.value.field == "workers"
    with pytest.raises(ValidationError):
        supervise(most_workers() + 1, lambda _ready: 0)  # refused before any fork


def test_a_signal_while_the_workers_are_forked_stops_the_forking() -> None:
    """SIGTERM or SIGINT arriving as the server starts its workers: it forks no more, rather
    than starting every one before it looks."""
    supervisor = _Supervisor(lambda _ready: 0)
    spawned: list[int] = []

    def spawn() -> _Worker:
        spawned.append(len(spawned))
        supervisor.signals.append(signal.SIGTERM)  # as the handler does, mid-start
        return _Worker(pid=-1, ready_fd=None)

    supervisor.spawn = spawn  # type: ignore[method-assign]
    assert supervisor._supervise(4, None) == 0
    assert spawned == [0]
