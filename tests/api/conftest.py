"""Fixtures: one real server with the November 2025 scenario per module and per store.

Every module that uses ``demo_server`` or ``empty_server`` runs twice: on a SQLite file and on
a PostgreSQL database, the same server code over each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import reach
from tests.support.servers import Server, running_server
from tests.support.stores import BACKENDS, new_store


@pytest.fixture(scope="module", params=BACKENDS)
def server_backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(scope="module")
def demo_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    # The sources tests add folders under the temporary directory and sources on loopback.
    store = new_store(request, server_backend, "api")
    extra = ("--sources-check", "0.5", *reach.serve_options())
    with running_server(store, demo=True, extra=extra) as server:
        yield server


@pytest.fixture(scope="module")
def empty_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    with running_server(new_store(request, server_backend, "api")) as server:
        yield server
