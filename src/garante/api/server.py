"""Running the API: a socket bound first (so port 0 works and is reported), then uvicorn.

Beside the server, background loops integrate the log's tree every few milliseconds (entries
are sequenced in each transaction, their tree integrated here in batches), sign a checkpoint
each interval when integrated entries wait unpublished, and each second
re-evaluate derived conditions as the clock passes and apply the orders whose period began or
ended (both read first, and write only when something changed); every few seconds they pull
the sources whose schedule has come (``Sources.pull_due_sources``). A client gets a deadline for
its request's headers and one for its body (``api/deadlines.py``): a slow client is answered
408 and let go, rather than holding a connection for as long as it likes.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, cast

import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from garante.api.app import create_app
from garante.api.clientcert import RecordPeer, TrustedProxies
from garante.api.deadlines import deadline_protocol
from garante.console.oidc import OidcSettings
from garante.domain.errors import GaranteError, LogKeyUnavailable, ValidationError
from garante.heap import settle_heap
from garante.service.app import Garante
from garante.service.integrator import IntegrationLost

log = logging.getLogger("garante.server")


class AddressUnavailable(GaranteError):
    """The server cannot listen where it was told: the port is taken, needs privileges, or the
    address is not one of this machine's. Nothing was served; the store was not changed."""

    code = "serve.address_unavailable"
    exit_code = 14


def bind(host: str, port: int, *, shared: bool = False, listen: bool = True) -> socket.socket:
    """A TCP socket bound to ``host`` and ``port`` (0: a free one), listening unless told not to.

    ``shared``: with ``SO_REUSEPORT``, so that each of a server's workers listens on a socket of
    its own on the one port (``api.workers``), and the kernel spreads new connections among them
    (by a hash of their addresses: evenly over many connections, not by load). One socket
    accepted by all of them would not: asyncio accepts every connection waiting at each
    wake-up, so the first worker to wake took all of a proxy's keep-alive connections and the
    others sat idle.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP so asyncio sets TCP_NODELAY: without it small answers wait ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise _unavailable(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def _unavailable(host: str, port: int, exc: OSError) -> GaranteError:
    """Why a socket could not be bound to ``host`` and ``port``, as --host or --port says it."""
    where = f"{host if ':' not in host else f'[{host}]'}:{port}"
    reason = exc.strerror or str(exc)
    if isinstance(exc, socket.gaierror):  # a name that does not resolve, or no address at all
        return ValidationError(
            f"cannot listen on {where}: '{host}' is not an address or a known host name ({reason})",
            field="host",
            hint="give an address of this machine, such as 127.0.0.1, 0.0.0.0 or ::1",
        )
    if exc.errno == errno.EADDRINUSE:
        return AddressUnavailable(
            f"cannot listen on {where}: the port is in use ({reason})",
            field="port",
            hint=f"another program, or another garante serve, listens on port {port} "
            f"(`ss -ltnp 'sport = :{port}'` names it): stop it, or give another --port "
            "(0 picks a free one)",
        )
    if exc.errno == errno.EACCES:
        return AddressUnavailable(
            f"cannot listen on {where}: not permitted ({reason})",
            field="port",
            hint="ports below 1024 need privileges: give a --port from 1024, or 0 for a free one",
        )
    return AddressUnavailable(
        f"cannot listen on {where}: {reason}",
        field="host",
        hint="give an address of this machine, such as 127.0.0.1, 0.0.0.0 or ::1",
    )


def url_of(host: str, sock: socket.socket) -> str:
    """The base URL a bound socket answers on (its port, whatever ``bind`` was asked for)."""
    port = sock.getsockname()[1]
    return f"http://{host if ':' not in host else f'[{host}]'}:{port}"


def _every(seconds: float, stop: threading.Event, task: Callable[[], None]) -> None:
    while not stop.wait(seconds):
        try:
            task()
        except Exception:  # a failed tick must not stop the next one
            log.exception("background task failed")


def serve(
    garante: Garante,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    checkpoint_interval: float = 1.0,
    header_timeout: float = 10.0,
    body_timeout: float = 60.0,
    on_ready: Callable[[str], None] | None = None,
    sources_interval: float = 5.0,
    trusted_proxies: TrustedProxies | None = None,
    oidc: OidcSettings | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT: on ``sock`` if given (a worker's, bound by the process
    that forked it: ``api.workers``), else on a socket bound here to ``host`` and ``port``."""
    if sock is None:
        sock = bind(host, port)
    url = url_of(host, sock)
    stop = threading.Event()

    failing: list[str] = []  # the HSM's last failure, while checkpoints cannot be signed

    def publish() -> None:
        if garante.log_signer is None:
            return
        latest = garante.latest_checkpoint()
        if latest is None or latest.size < garante.ledger_size():
            try:
                garante.publish_checkpoint()
            except LogKeyUnavailable as exc:
                # Loud, every interval, and without a traceback: what failed and what to do.
                log.error("checkpoint not published: %s (%s); %s", exc.message, exc.code, exc.hint)
                failing[:] = [exc.code]
                return
            if failing:
                log.warning("checkpoints are signed again: the log key's token answers")
                failing.clear()

    def integrate() -> None:
        try:
            garante.context.integrate()
        except IntegrationLost:
            # Another server's integrator moved the tree under this batch, which rolled back;
            # the next tick starts again from the stored integrated size.
            log.warning("integration batch abandoned: another integrator got there first")

    integrate_interval = garante.context.settings.integrate_interval_ms / 1000
    threads = [
        # The integrator: the tree of the entries committed since the last batch, a batch of
        # up to --integrate-batch entries per transaction (``service.integrator``).
        threading.Thread(target=_every, args=(integrate_interval, stop, integrate), daemon=True),
        threading.Thread(target=_every, args=(checkpoint_interval, stop, publish), daemon=True),
        threading.Thread(target=_every, args=(1.0, stop, garante.refresh_conditions), daemon=True),
        threading.Thread(target=_every, args=(1.0, stop, garante.apply_order_periods), daemon=True),
        threading.Thread(target=_every, args=(1.0, stop, garante.apply_item_windows), daemon=True),
        # Recalls past their acknowledgement deadline hold their partner (issue 21).
        threading.Thread(
            target=_every, args=(1.0, stop, garante.enforce_recall_deadlines), daemon=True
        ),
        # Sources whose interval has passed, pulled in a thread of their own: a slow upstream
        # delays nothing else. Each item is its own transaction, so a pull stopped with the
        # server leaves no half-ingested item, and the next resumes from its position.
        threading.Thread(
            target=_every, args=(sources_interval, stop, garante.pull_due_sources), daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    if on_ready is not None:
        on_ready(url)
    app = create_app(garante, trusted_proxies=trusted_proxies, oidc=oidc)
    config = uvicorn.Config(
        app,
        http=deadline_protocol(header_timeout=header_timeout, body_timeout=body_timeout),
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # applied below, inside RecordPeer
    )
    # X-Forwarded-* from FORWARDED_ALLOW_IPS as uvicorn does, the wire's peer kept beside them
    # for the trusted-proxy check of client certificates (api/clientcert.py).
    # (uvicorn and Starlette type the same ASGI callables differently: Any between them.)
    forwarded = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=config.forwarded_allow_ips)
    config.app = RecordPeer(cast(Any, forwarded))
    settle_heap()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        stop.set()
        sock.close()
