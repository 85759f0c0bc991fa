"""Deadlines on the request a client sends: its headers, then its body.

uvicorn closes an idle keep-alive connection but bounds neither how long a client may take to
send its request headers nor its body. A client that opens connections and dribbles one byte
every few seconds ("slowloris") holds each open for as long as it likes, until the server runs
out of them. Here each connection gets a deadline for its headers from the moment it opens (or
from the first byte of the next request on a kept-alive connection), and each request a
deadline for its whole body from the moment its headers arrived. A client past either gets
``408 Request Timeout`` and the connection is closed; the application, if it was already
reading, sees the client disconnect.

The parser is httptools (uvicorn's ``httptools`` protocol, the one its ``standard`` install
picks): a kept-alive request through it, deadlines included, costs the server about 26 us of
CPU against 87 us through h11, pure Python (``bench/http_protocol.py``), a few percent of a
release's. Its callbacks say where a request stands: a message begun
(headers awaited), headers complete (the body awaited), message complete (nothing awaited).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 44\r\nconnection: close\r\n\r\n"
    b"the request was not sent in time; send again"
)

_HEADERS = "headers"
_BODY = "body"


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for headers and one for the body."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # what the deadline is for: _HEADERS or _BODY

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(_HEADERS, self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        # At a request's first byte (httptools calls back on it): on a kept-alive connection
        # the next request's headers are due from then. A first request's deadline runs from
        # the connection's opening (``connection_made``).
        super().on_message_begin()
        if self._waiting_for != _HEADERS:
            self._arm(_HEADERS, self.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(_BODY, self.body_timeout)

    def on_message_complete(self) -> None:
        # Nothing awaited until the next request's first byte: meanwhile uvicorn's keep-alive
        # timeout bounds an idle connection. A response that completes before its request's
        # body did (a refusal) leaves the body's deadline running.
        super().on_message_complete()
        self._disarm()

    def _arm(self, waiting_for: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = waiting_for
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = None

    def _expire(self) -> None:
        waiting_for = self._waiting_for
        self._deadline = None
        self._waiting_for = None
        if self.transport.is_closing():
            return
        # The 408 goes where a response to the late request would: not into the middle of
        # another response. Awaiting headers, ``cycle`` is the previous request's, if any.
        cycle = self.cycle
        if waiting_for == _HEADERS:
            answer = cycle is None or cycle.response_complete
        else:
            answer = not cycle.response_started
        if answer:
            self.transport.write(TIMED_OUT)
        self.transport.close()


def deadline_protocol(*, header_timeout: float, body_timeout: float) -> type[DeadlineProtocol]:
    """The protocol class uvicorn instantiates per connection, with these deadlines."""
    return type(
        "DeadlineProtocol",
        (DeadlineProtocol,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )
