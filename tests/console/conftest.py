"""Fixtures: the November 2025 demo replayed once, copied per test, served in process.

The route tests drive the console through FastAPI's TestClient over a copy of the demo store,
with a token per role created through the service, as ``garante tokens create`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.service.app import Garante
from tests.console.pages import Console, serving
from tests.support.stores import Store


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo replayed once per run; tests work on copies."""
    store = Store.sqlite(tmp_path_factory.mktemp("console-demo") / "garante.db")
    store.replay_demo()
    return Path(store.db)


@pytest.fixture
def console(demo_store: Path, tmp_path: Path) -> Iterator[Console]:
    db = Store.sqlite(demo_store).copy(tmp_path).db
    garante = Garante.open(f"sqlite:///{db}")
    with serving(garante) as served:
        yield served
    garante.close()
