"""Fixtures: the November 2025 demo replayed once, copied per test, served in process.

The route tests drive the console through FastAPI's TestClient over a copy of the demo store,
with a token per role created through the service, as ``garante tokens create`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.pages import BASE, Console, copy_served
from tests.support.oidc import OidcProvider, running_provider
from tests.support.oidc import missing as missing_node
from tests.support.stores import Store
from tests.support.unavailable import unavailable


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo replayed once per run; tests work on copies."""
    store = Store.sqlite(tmp_path_factory.mktemp("console-demo") / "garante.db")
    store.replay_demo()
    return Path(store.db)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """The real OpenID provider, its client the in-process console at ``BASE``."""
    reason = missing_node()
    if reason is not None:
        unavailable(reason)
    with running_provider() as provider:
        provider.register(BASE)
        yield provider


@pytest.fixture
def oidc_console(
    demo_store: Path, tmp_path: Path, oidc_provider: OidcProvider
) -> Iterator[Console]:
    """The console of a copy of the demo store, signing people in through the provider."""
    with copy_served(demo_store, tmp_path, oidc_provider) as served:
        yield served


@pytest.fixture
def console(demo_store: Path, tmp_path: Path) -> Iterator[Console]:
    with copy_served(demo_store, tmp_path) as served:
        yield served
