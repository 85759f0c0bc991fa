"""Forks ``garante serve`` processes with every module already imported.

Importing Garante, FastAPI and stix2 takes five seconds on a small machine, and the crash tests
restart a server forty times. So this process imports the whole ``garante`` package once,
touches no store, and then, for each JSON line on stdin (``{"args", "env", "log"}``), forks a
child that runs the ``garante`` command line (``garante.cli.main:app``, the console script's
own entry point) with those arguments and environment, its output in ``log``; it answers each
line with the child's pid. The child opens the store itself, exactly as a freshly started
server does, so a restart after a crash goes through the same recovery as ``garante serve``.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import signal
import sys
from typing import Any


def _import_everything() -> None:
    import garante

    for module in pkgutil.walk_packages(garante.__path__, "garante."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    import uvicorn.lifespan.on
    import uvicorn.loops.auto
    import uvicorn.protocols.http.auto  # noqa: F401


def _child(request: dict[str, Any]) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(request["env"])
    args = [str(a) for a in request["args"]]
    sys.argv = ["garante", *args]
    code = 0
    try:
        from garante.cli.main import app

        app(args=args, prog_name="garante")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    _import_everything()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they die
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
