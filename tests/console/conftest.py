"""Fixtures: the November 2025 demo replayed once, copied per test, served in process.

The route tests drive the console through FastAPI's TestClient over a copy of the demo store,
with a token per role created through the service, as ``garante tokens create`` does.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.api.app import create_app
from garante.service.app import Garante
from tests.console.pages import Console
from tests.support.stores import Store

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its TestClient and warns on import with httpx; either works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROLES = {
    "authority": {"authority_id": "presidency"},
    "overseer": {"agency_id": "cti"},
    "analyst": {"agency_id": "dipol"},
    "liaison": {"agency_id": "dipol"},
    "partner": {"agency_id": "dea"},
    "partner-hsi": {"agency_id": "hsi"},
}


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
    tokens = {
        role: garante.create_token(role=role.split("-")[0], label=f"console {role}", **subject)[1]
        for role, subject in ROLES.items()
    }
    with TestClient(create_app(garante), base_url="http://testserver") as client:
        yield Console(garante=garante, client=client, tokens=tokens)
    garante.close()
