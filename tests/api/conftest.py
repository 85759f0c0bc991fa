"""Fixtures: one real server with the November 2025 scenario per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.server import Server, running_server


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("api") / "garante.db", demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("api") / "garante.db") as server:
        yield server
