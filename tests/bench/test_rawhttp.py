"""The benches' own HTTP client (``bench/rawhttp.py``) against the front they measure.

``bench/scale.py`` drives nginx with it, and nginx closes a keep-alive connection after its
1,000th request (``keepalive_requests``), saying ``Connection: close`` on that answer. A client
that kept sending on the closed connection failed the bench mid-run (CI, TAXII pages at over
1,000 a connection); the client must open a new connection instead, as HTTP/1.1 clients do.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import nginx
from tests.support.servers import running_server
from tests.support.unavailable import unavailable

if nginx.binary() is None:
    unavailable("nginx is not installed (apt-get install nginx)", module_level=True)

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
from rawhttp import drive, request_bytes

#: More than nginx's default ``keepalive_requests`` (1,000) on one connection.
REQUESTS_BEYOND_THE_LIMIT = 1_200


def test_the_bench_client_opens_a_new_connection_when_nginx_closes_one(tmp_path: Path) -> None:
    with (
        running_server(tmp_path / "garante.db") as server,
        nginx.running_nginx([server.url]) as front,
    ):
        address = urlsplit(front)
        assert address.hostname is not None and address.port is not None
        health = request_bytes("GET", f"{front}/api/v1/health")
        driven = asyncio.run(
            drive(
                address.hostname,
                address.port,
                [health],
                concurrency=1,
                seconds=3600,
                expect=200,
                at_most=REQUESTS_BEYOND_THE_LIMIT,
            )
        )
    assert driven.succeeded == REQUESTS_BEYOND_THE_LIMIT
    assert driven.errors == 0
