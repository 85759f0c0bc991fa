"""A client that dribbles its request is answered 408 and let go, not held open forever.

Real ``garante serve`` processes and raw sockets: the deadlines are short here (one second) so
the test is quick; what is checked is that the connection ends, not how fast.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.servers import Server, running_server

GIVE_UP = 30.0  # far beyond the deadlines: a connection still open then was never closed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("slow") / "garante.db"
    with running_server(db, extra=("--header-timeout", "1", "--body-timeout", "1")) as running:
        yield running


def _connect(server: Server) -> socket.socket:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=GIVE_UP)


def _dribble(sock: socket.socket, head: bytes, slowly: bytes) -> bytes:
    """Send ``head``, then ``slowly`` one byte every 0.3 s until the server answers or closes;
    return what it sent back."""
    sock.sendall(head)
    sock.setblocking(False)
    received = b""
    ends = time.monotonic() + GIVE_UP
    for byte in [slowly[i : i + 1] for i in range(len(slowly))] * 1000:
        if time.monotonic() > ends:
            break
        try:
            chunk = sock.recv(4096)
        except BlockingIOError:
            chunk = None
        if chunk == b"":
            return received  # closed by the server
        if chunk:
            received += chunk
        try:
            sock.send(byte)
        except (BrokenPipeError, ConnectionResetError):
            return received
        time.sleep(0.3)
    pytest.fail(f"the server kept a dribbling client for {GIVE_UP:.0f} s: {received!r}")


def test_a_client_dribbling_its_headers_is_answered_408_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        answer = _dribble(sock, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: y\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_client_dribbling_its_body_is_answered_408_and_closed(server: Server) -> None:
    head = (
        b"POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    with _connect(server) as sock:
        answer = _dribble(sock, head, b'{"a":1}')
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b""


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.settimeout(GIVE_UP)
        assert sock.recv(4096).startswith(b"HTTP/1.1 408 ")


def test_a_kept_alive_connection_dribbling_its_next_request_is_answered_408(
    server: Server,
) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = _response(sock)
        answer = _dribble(sock, b"GET /api/v1/health HTTP/1.1\r\n", b"Host: x\r\n")
    assert first.startswith(b"HTTP/1.1 200 ")
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_pipelined_requests_are_each_answered_in_order(server: Server) -> None:
    one = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    missing = b"GET /api/v1/no-such-route HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(one + missing + one)
        answers = [_response(sock) for _ in range(3)]
    assert [a.split(b" ", 2)[1] for a in answers] == [b"200", b"404", b"200"]


def _response(sock: socket.socket) -> bytes:
    """One whole response read from ``sock`` (its headers, and the body their
    ``content-length`` says), leaving what follows it unread."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(1)
    head = received
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return head + body


def test_a_prompt_client_is_unaffected_even_idle_between_requests(server: Server) -> None:
    with httpx.Client(base_url=server.api, timeout=GIVE_UP) as client:
        assert client.get("/health").status_code == 200
        time.sleep(1.5)  # past the header deadline, idle on a kept-alive connection
        assert client.get("/health").status_code == 200
