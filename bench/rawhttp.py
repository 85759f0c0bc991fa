"""A minimal HTTP/1.1 load generator: keep-alive connections on asyncio streams, one thread.

The benches measure servers on the same small machine as their client. A client built on
httpx in threads spent about 0.8 ms of CPU per request here (``bench/scale.py`` printed it
busy 0.4 of 2 cores at 470 requests/s), CPU the servers under test then lacked. This one
sends requests already encoded as bytes and reads each answer by its Content-Length (uvicorn
and nginx give one for every answer the benches ask for), about a quarter of that, so what
the figures show is the servers. Each connection sends its next request as soon as it has
read the whole answer to the previous one (a closed loop). An answer that says
``Connection: close`` (nginx says it on the 1,000th request of a keep-alive connection, its
``keepalive_requests``) is read whole, then that connection is replaced with a new one, as any
HTTP/1.1 client does.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


def request_bytes(
    method: str, url: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> bytes:
    """``method url`` as the bytes a keep-alive HTTP/1.1 client sends."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class RawConnection:
    """HTTP/1.1 keep-alive over asyncio streams; enough for answers with a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closing = False
        """The last answer said ``Connection: close``: the server closes this connection."""

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, int]:
        """Send one request; its answer's status and body length, the body read and dropped."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.closing = True
        if length is None:
            raise RuntimeError("the bench client needs a Content-Length: " + head.decode())
        await self.reader.readexactly(length)
        return status, length

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@dataclass(frozen=True, kw_only=True)
class Driven:
    """What a closed loop measured: each request's latency, the answers not of the expected
    status, the last body's length, and the wall time it ran."""

    latencies: list[float]
    errors: int
    size: int
    seconds: float

    @property
    def succeeded(self) -> int:
        return len(self.latencies) - self.errors


async def drive(
    host: str,
    port: int,
    payloads: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    expect: int,
    at_most: int | None = None,
) -> Driven:
    """``concurrency`` connections sending ``payloads`` in turn for ``seconds``, or until
    ``at_most`` requests have been sent."""
    connections = [await RawConnection.open(host, port) for _ in range(concurrency)]
    picks = itertools.count()
    latencies: list[float] = []
    errors = 0
    size = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(slot: int) -> None:
        nonlocal errors, size
        while time.perf_counter() < deadline:
            connection = connections[slot]
            pick = next(picks)
            if at_most is not None and pick >= at_most:
                break
            raw = payloads[pick % len(payloads)]
            begun = time.perf_counter()
            status, length = await connection.send(raw)
            latencies.append(time.perf_counter() - begun)
            size = length
            errors += status != expect
            if connection.closing:
                await connection.close()
                connections[slot] = await RawConnection.open(host, port)

    try:
        await asyncio.gather(*(worker(slot) for slot in range(concurrency)))
    finally:
        for connection in connections:
            await connection.close()
    return Driven(
        latencies=latencies, errors=errors, size=size, seconds=time.perf_counter() - started
    )
