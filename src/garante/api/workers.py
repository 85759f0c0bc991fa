"""Several worker processes on one port: ``garante serve --workers N``.

One process runs Python under one interpreter lock, so one server's CPU-bound work (HTTP,
JSON, authentication, deciding) tops out at one core. Here the process that holds the port
forks ``N`` workers; each opens the store itself, starts its own background loops and listens
on a socket of its own on that port (``SO_REUSEPORT``, ``api.server.bind``), the kernel
spreading new connections among them by a hash of their addresses (not by load: a proxy's few
kept-alive connections may land unevenly; docs/deploy.md says what to do). Nothing new is
shared between them: several servers on one store are already supported (the integrator is
elected through the database, every transaction reads the generation of what a process
keeps, ``store.generation``), and a worker is one more such server.

The parent forks before it holds anything a child could not use: no thread of its own (on
SQLite, the thread that copies the write-ahead log of the store it just wrote may still run;
a fork waits for the copy under way, ``store.sqlite_checkpointer``), no store connection (it
disposes the engine it created or migrated the store with), no PKCS#11 session (the workers
open the log key). It then supervises: it announces the server once every worker
has said it is ready (a byte on a pipe, sent just before the worker serves); SIGTERM or SIGINT
is passed to every worker, and the parent returns once they have all stopped. A worker that
dies is replaced, with a warning naming it and its exit status; one that dies before the
server was ready stops the server (it would fail the same way again: a missing store, a
token that cannot be used), and so do ``CRASH_LOOP`` workers in a row that each died before
being ready for ``SETTLED`` seconds. Workers die with their parent (``PR_SET_PDEATHSIG`` on
Linux, a watching thread elsewhere), so a parent killed with SIGKILL leaves no orphans.

uvicorn's own supervisor (``uvicorn.supervisors.Multiprocess``) does much of this, but starts
each worker from an import string; our app is built around an open store, so we fork.

How many: at least 1 and at most ``PER_CPU`` per CPU the process may run on
(``most_workers``), refused before anything is opened or forked (``check_count``). A worker
uses one core at most, so workers beyond the cores add memory (a server's each), store
connections and contention, not throughput; a mistyped count (``--workers 99999``) would fork
processes until the machine stalls, SIGTERM waiting behind the forks.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from garante.domain.errors import ValidationError

log = logging.getLogger("garante.server")

READY = b"r"
SETTLED = 1.0
"""Seconds a worker must have been ready before its death no longer counts towards a crash
loop."""
CRASH_LOOP = 5
"""Workers in a row that died unsettled, after which the server stops."""
PR_SET_PDEATHSIG = 1  # linux/prctl.h
PER_CPU = 8
"""Most workers per CPU. One per core uses every core (``bench/scale.py`` runs so); a few per
core leave room for workers waiting on the database. Eight is well past any use, and still
stops a mistyped count before it forks hundreds of processes."""

Work = Callable[[Callable[[], None]], int]
"""What a worker runs: given the function that says it is ready, serve until stopped, and
return the process's exit status."""


@dataclass
class _Worker:
    pid: int
    ready_fd: int | None  # the pipe's read end, until the worker said it is ready (or died)
    ready_at: float | None = None
    settled: bool = False


class _Supervisor:
    def __init__(self, work: Work) -> None:
        self.work = work
        self.workers: dict[int, _Worker] = {}
        self.signals: list[int] = []

    def spawn(self) -> _Worker:
        """Fork a worker that runs ``work`` and never returns here."""
        read_end, write_end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_end)
            for other in self.workers.values():  # the other workers' pipes are not its own
                if other.ready_fd is not None:
                    os.close(other.ready_fd)
            _worker_main(self.work, write_end, parent)
        os.close(write_end)
        worker = _Worker(pid=pid, ready_fd=read_end)
        self.workers[pid] = worker
        return worker

    def note_ready(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for workers' ready bytes, and mark those who sent
        one; how many workers have just settled (been ready ``SETTLED`` seconds)."""
        waiting = {w.ready_fd: w for w in self.workers.values() if w.ready_fd is not None}
        readable: list[int] = []
        if waiting:
            readable, _, _ = select.select(list(waiting), [], [], timeout)
        else:
            time.sleep(timeout)
        for fd in readable:
            worker = waiting[fd]
            if os.read(fd, 1) == READY:
                worker.ready_at = time.monotonic()
            os.close(fd)  # a worker that closed it without a byte died; reaping tells
            worker.ready_fd = None
        now = time.monotonic()
        settled = 0
        for worker in self.workers.values():
            if (
                not worker.settled
                and worker.ready_at is not None
                and now - worker.ready_at >= SETTLED
            ):
                worker.settled = True
                settled += 1
        return settled

    def reap(self) -> list[tuple[_Worker, int]]:
        """The workers that have ended since the last look, each with its exit status
        (negative: the signal that ended it)."""
        ended: list[tuple[_Worker, int]] = []
        while self.workers:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            if worker.ready_fd is not None:
                os.close(worker.ready_fd)
                worker.ready_fd = None
            ended.append((worker, os.waitstatus_to_exitcode(status)))
        return ended

    def stop_all(self) -> None:
        """SIGTERM to every worker, then wait for all of them; a second SIGTERM or SIGINT
        meanwhile kills those still running."""
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        asked = len(self.signals)
        while self.workers:
            if len(self.signals) > asked:
                for pid in self.workers:
                    _signal(pid, signal.SIGKILL)
                asked = len(self.signals)
            self.note_ready(0.05)
            self.reap()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signals.append(signum)

    def run(self, count: int, on_ready: Callable[[], None] | None) -> int:
        previous = {
            number: signal.signal(number, self._handle)
            for number in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            return self._supervise(count, on_ready)
        finally:
            self.stop_all()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _supervise(self, count: int, on_ready: Callable[[], None] | None) -> int:
        for _ in range(count):
            if self.signals:  # stopped while starting: fork no more
                return 0
            self.spawn()
        announced = False
        unsettled_deaths = 0
        while not self.signals:
            if self.note_ready(0.1):  # a worker lived: the deaths before it were no loop
                unsettled_deaths = 0
            if not announced and all(w.ready_at is not None for w in self.workers.values()):
                announced = True
                if on_ready is not None:
                    on_ready()
            for worker, status in self.reap():
                if not announced:
                    log.error(
                        "worker %d exited with status %d before the server was ready; stopping",
                        worker.pid,
                        status,
                    )
                    return status if status > 0 else 1
                if not worker.settled:
                    unsettled_deaths += 1
                if unsettled_deaths >= CRASH_LOOP:
                    log.error(
                        "%d workers in a row died within %g s of starting (the last, %d, with "
                        "status %d); stopping the server",
                        unsettled_deaths,
                        SETTLED,
                        worker.pid,
                        status,
                    )
                    return 1
                replacement = self.spawn()
                log.warning(
                    "worker %d exited with status %d; started worker %d in its place",
                    worker.pid,
                    status,
                    replacement.pid,
                )
        return 0


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: ``taskset``, a container's cpuset), or
    the machine's where the platform does not say."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def most_workers() -> int:
    """The most workers ``check_count`` takes on this machine: ``PER_CPU`` per usable CPU."""
    return PER_CPU * usable_cpus()


def check_count(count: int) -> None:
    """Refuse a worker count below 1 or above ``most_workers()`` (``ValidationError``, exit
    code 2), before a store is opened or a process forked."""
    most = most_workers()
    if 1 <= count <= most:
        return
    cpus = usable_cpus()
    raise ValidationError(
        f"--workers {count}: a server runs 1 to {most} worker processes here "
        f"({PER_CPU} per CPU, {cpus} CPU{'s' if cpus != 1 else ''})",
        field="workers",
        hint=f"a worker uses one core at most, so --workers {cpus} (one per CPU) uses them all; "
        "more add memory and store connections, not throughput",
    )


def supervise(count: int, work: Work, *, on_ready: Callable[[], None] | None = None) -> int:
    """Run ``count`` forked workers, each running ``work``, until SIGTERM or SIGINT; the exit
    status for the server: 0 after a clean stop, else why it stopped (see the module). A count
    ``check_count`` refuses is refused here too, before any fork.

    Call it with no thread running and no store, HSM session or other connection open: each
    worker is a fork of this process and opens its own. ``on_ready`` runs once, in this
    process, when every worker has said it is ready.
    """
    check_count(count)
    return _Supervisor(work).run(count, on_ready)


def _worker_main(work: Work, ready_fd: int, parent: int) -> None:
    """A forked worker: serve, then end the process without returning into the parent's
    code (its ``finally`` blocks and exit handlers are the parent's, not this worker's)."""
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _die_with(parent)

        def ready() -> None:
            os.write(ready_fd, READY)
            os.close(ready_fd)

        status = work(ready)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _die_with(parent: int) -> None:
    """SIGTERM to this process when ``parent`` ends, however it ends (SIGKILL included)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: watch the parent instead
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it ended before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile; reaping tells
        os.kill(pid, number)
