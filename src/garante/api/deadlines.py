"""Deadlines on the request a client sends: its headers, then its body.

uvicorn closes an idle keep-alive connection but bounds neither how long a client may take to
send its request headers nor its body. A client that opens connections and dribbles one byte
every few seconds ("slowloris") holds each open for as long as it likes, until the server runs
out of them. Here each connection gets a deadline for its headers from the moment it opens (or
from the first byte of the next request on a kept-alive connection), and each request a
deadline for its whole body from the moment its headers arrived. A client past either gets
``408 Request Timeout`` and the connection is closed; the application, if it was already
reading, sees the client disconnect.

The states are h11's (``their_state``): IDLE while headers are awaited, SEND_BODY while the body
is, DONE once the request is whole.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 44\r\nconnection: close\r\n\r\n"
    b"the request was not sent in time; send again"
)


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for headers and one for the body."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: object = None  # the h11 state the deadline is for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(h11.IDLE, self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Kept alive: uvicorn's keep-alive timeout now bounds the wait for the next request's
        # first byte; its headers get their own deadline from then (``data_received``).
        self._disarm()

    def _follow(self) -> None:
        """Move the deadline with the request: headers, then body, then none."""
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._waiting_for is not h11.IDLE:
                self._arm(h11.IDLE, self.header_timeout)
        elif state is h11.SEND_BODY:
            if self._waiting_for is not h11.SEND_BODY:
                self._arm(h11.SEND_BODY, self.body_timeout)
        else:
            self._disarm()

    def _arm(self, state: object, seconds: float) -> None:
        self._disarm()
        self._waiting_for = state
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is not self._waiting_for:
            self._follow()  # it moved on without data arriving here (a pipelined request)
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()


def deadline_protocol(*, header_timeout: float, body_timeout: float) -> type[DeadlineProtocol]:
    """The protocol class uvicorn instantiates per connection, with these deadlines."""
    return type(
        "DeadlineProtocol",
        (DeadlineProtocol,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )
