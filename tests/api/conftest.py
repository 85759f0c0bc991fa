"""Fixtures: one real server with the November 2025 scenario per module and per store.

Every module that uses ``demo_server`` or ``empty_server`` runs twice: on a SQLite file and on
a PostgreSQL database, the same server code over each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.server import Server, Store, running_server, store_for
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def server_backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def new_store(request: pytest.FixtureRequest, backend: str, name: str) -> Store:
    """A new store of ``backend`` in a directory of its own, named ``name`` for the logs."""
    directory = request.getfixturevalue("tmp_path_factory").mktemp(name)
    return store_for(backend, directory, lambda: request.getfixturevalue("pg_cluster"))


@pytest.fixture(scope="module")
def demo_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    with running_server(new_store(request, server_backend, "api"), demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def empty_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    with running_server(new_store(request, server_backend, "api")) as server:
        yield server
