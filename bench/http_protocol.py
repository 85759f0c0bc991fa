"""What parsing a request and writing its answer costs a server: ``garante serve``'s HTTP
protocol beside uvicorn's own two.

Run ``python bench/http_protocol.py`` (``--quick`` for fewer requests, as ``make test`` does). Each
protocol class is driven as uvicorn drives it, in one event loop in this process: a connection
made on an in-memory transport, then one kept-alive request after another fed to its
``data_received`` (a release request as nginx passes it on: its headers, a bearer token, a
64-byte JSON body), each answered by a bare ASGI app (a 201 with a 120-byte body) before the
next is fed. No socket and no store: what is timed is the protocol (parsing, the request's
task, the answer's head and body), in CPU time per request, the median of rounds taken in
turns so a busy machine slows every protocol alike. The protocols:

- ``garante``: ``garante.api.deadlines.DeadlineProtocol``, httptools with the header and body
  deadlines, what ``garante serve`` runs;
- ``httptools``: uvicorn's ``HttpToolsProtocol`` without deadlines (the baseline);
- ``h11``: uvicorn's ``H11Protocol``, pure Python, which ``garante serve`` ran before.

Target: the deadlines cost at most 10 us per request over the baseline. No timing is asserted:
``--check`` only turns a missed target into exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from garante.api.deadlines import deadline_protocol

TARGET_OVER_BASELINE_US = 10.0
BODY = b'{"item":"co-2025-0417","recipient":"nca","purpose":"seizure","x":"pad"}'[:64]
REQUEST = (
    b"POST /api/v1/releases HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Real-IP: 127.0.0.1\r\n"
    b"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nConnection: keep-alive\r\n"
    b"Authorization: Bearer gar_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)
) + BODY
ANSWER = b"x" * 120


async def answer(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app: reads the body, answers 201 with ``ANSWER``."""
    await receive()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"120")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


class MemoryTransport(asyncio.Transport):
    """A connection that keeps nothing: what the protocol writes is counted and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


PROTOCOLS: dict[str, Any] = {
    "garante": deadline_protocol(header_timeout=10.0, body_timeout=60.0),
    "httptools": HttpToolsProtocol,
    "h11": H11Protocol,
}
BASELINE = "httptools"


async def per_request(protocol_class: Any, requests: int) -> float:
    """CPU microseconds per request through a fresh connection of ``protocol_class``."""
    config = uvicorn.Config(answer, log_level="warning", access_log=False)
    config.load()
    loop = asyncio.get_running_loop()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    transport = MemoryTransport()
    protocol.connection_made(transport)

    async def one() -> None:
        protocol.data_received(REQUEST)
        while not protocol.cycle.response_complete:
            await asyncio.sleep(0)

    for _ in range(100):  # warm: the first requests build what later ones reuse
        await one()
    began = time.process_time()
    for _ in range(requests):
        await one()
    spent = time.process_time() - began
    if transport.closing or transport.written < requests * len(ANSWER):
        raise SystemExit(f"{protocol_class.__name__} did not answer every request")
    protocol.connection_lost(None)
    return spent / requests * 1e6


async def measure(requests: int, rounds: int) -> dict[str, float]:
    """The median per-request CPU of each protocol over ``rounds`` rounds taken in turns."""
    taken: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    for _ in range(rounds):
        for name, protocol_class in PROTOCOLS.items():
            taken[name].append(await per_request(protocol_class, requests))
    return {name: statistics.median(values) for name, values in taken.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2,000 requests a round, not 20,000")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    arguments = parser.parse_args()
    requests, rounds = (2_000, 3) if arguments.quick else (20_000, 5)
    print(
        f"HTTP protocol CPU per kept-alive request, median of {rounds} rounds of {requests:,} "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores)"
    )
    medians = asyncio.run(measure(requests, rounds))
    baseline = medians[BASELINE]
    for name, micros in medians.items():
        note = "  (baseline)" if name == BASELINE else f"  {micros - baseline:+6.1f} us"
        print(f"  {name:<10} {micros:7.1f} us{note}")
    over = medians["garante"] - baseline
    met = over <= TARGET_OVER_BASELINE_US
    print(
        f"target: the deadlines cost <= {TARGET_OVER_BASELINE_US:.0f} us per request over "
        f"uvicorn's httptools protocol; result: {over:+.1f} us "
        f"({'met' if met else 'MISSED'})"
    )
    return 1 if arguments.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
