"""Fixtures: the November 2025 demo replayed once, copied per test, served in process.

The route tests drive the console through FastAPI's TestClient over a copy of the demo store,
with a token per role created through the service, as ``garante tokens create`` does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from garante.api.app import create_app
from garante.service.app import Garante

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its TestClient and warns on import with httpx; either works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

GARANTE = str(Path(sys.executable).parent / "garante")
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
    db = tmp_path_factory.mktemp("console-demo") / "garante.db"
    replay = subprocess.run(
        [GARANTE, "--db", str(db), "--json", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if replay.returncode != 0:
        raise RuntimeError(f"demo replay failed:\n{replay.stderr}")
    return db


def copy_store(source: Path, target_dir: Path) -> Path:
    """The store and the files beside it (its log key), as a fresh copy."""
    target = target_dir / source.name
    for path in source.parent.iterdir():
        if path.name.startswith(source.name):
            shutil.copy(path, target_dir / path.name)
    return target


@dataclass
class Console:
    garante: Garante
    client: TestClient
    tokens: dict[str, str]

    def sign_in(self, role: str) -> None:
        """Sign in through the form, as a person does."""
        self.client.cookies.clear()
        form = self.client.get("/signin")
        self.client.post(
            "/signin",
            data={"token": self.tokens[role], "nonce": nonce(form.text), "next": "/"},
            follow_redirects=False,
        )

    def csrf(self, path: str = "/partners") -> str:
        return csrf(self.client.get(path).text)


def nonce(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def console(demo_store: Path, tmp_path: Path) -> Iterator[Console]:
    db = copy_store(demo_store, tmp_path)
    garante = Garante.open(f"sqlite:///{db}")
    tokens = {
        role: garante.create_token(role=role.split("-")[0], label=f"console {role}", **subject)[1]
        for role, subject in ROLES.items()
    }
    with TestClient(create_app(garante), base_url="http://testserver") as client:
        yield Console(garante=garante, client=client, tokens=tokens)
    garante.close()
