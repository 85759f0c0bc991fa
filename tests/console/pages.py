"""The console as a test drives it: a signed-in client, and the forms' hidden fields."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from garante.api.app import create_app
from garante.service.app import Garante

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its TestClient and warns on import with httpx; either works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


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


ROLES = {
    "authority": {"authority_id": "presidency"},
    "overseer": {"agency_id": "cti"},
    "analyst": {"agency_id": "dipol"},
    "liaison": {"agency_id": "dipol"},
    "partner": {"agency_id": "dea"},
    "partner-hsi": {"agency_id": "hsi"},
}


@contextmanager
def serving(garante: Garante) -> Iterator[Console]:
    """The console of ``garante``'s application in process, with a token per role."""
    tokens = {
        role: garante.create_token(role=role.split("-")[0], label=f"console {role}", **subject)[1]
        for role, subject in ROLES.items()
    }
    with TestClient(create_app(garante), base_url="http://testserver") as client:
        yield Console(garante=garante, client=client, tokens=tokens)
