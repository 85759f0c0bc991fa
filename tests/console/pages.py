"""The console as a test drives it: a signed-in client, and the forms' hidden fields."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from httpx import Response

from garante.api.app import create_app
from garante.console.oidc import OidcSettings
from garante.service.app import Garante
from tests.support.oidc import OidcProvider
from tests.support.stores import Store

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its TestClient and warns on import with httpx; either works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@dataclass
class Console:
    garante: Garante
    client: TestClient
    tokens: dict[str, str]
    provider: OidcProvider | None = None  # signs in through it, when given

    def sign_in(self, role: str) -> None:
        """Sign in as a person does: through the OpenID provider if the console has one
        (its account named for the role), else with the role's token through the form."""
        if self.provider is not None:
            self.sign_in_oidc(role)
            return
        self.client.cookies.clear()
        form = self.client.get("/signin")
        self.client.post(
            "/signin",
            data={"token": self.tokens[role], "nonce": nonce(form.text), "next": "/"},
            follow_redirects=False,
        )

    def sign_in_oidc(self, account: str) -> Response:
        """``Sign in with …``, the provider's login form as ``account``, and back: the
        console's answer to the callback."""
        assert self.provider is not None
        self.client.cookies.clear()
        start = self.client.get("/signin/oidc", follow_redirects=False)
        assert start.status_code == 303, start.text
        back = self.provider.log_in(start.headers["location"], account, BASE)
        answer: Response = self.client.get(back.removeprefix(BASE), follow_redirects=False)
        return answer

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


BASE = "http://testserver"


@contextmanager
def serving(garante: Garante, provider: OidcProvider | None = None) -> Iterator[Console]:
    """The console of ``garante``'s application in process, with a token per role; signing
    in through ``provider`` (registered for ``BASE``) when given."""
    tokens = {
        role: garante.create_token(role=role.split("-")[0], label=f"console {role}", **subject)[1]
        for role, subject in ROLES.items()
    }
    oidc: OidcSettings | None = provider.settings() if provider is not None else None
    with TestClient(create_app(garante, oidc=oidc), base_url=BASE) as client:
        yield Console(garante=garante, client=client, tokens=tokens, provider=provider)


@contextmanager
def copy_served(
    demo_store: Path, tmp_path: Path, provider: OidcProvider | None = None
) -> Iterator[Console]:
    """The console of a copy of the demo store in ``tmp_path``, as ``serving`` gives it."""
    db = Store.sqlite(demo_store).copy(tmp_path).db
    garante = Garante.open(f"sqlite:///{db}")
    with serving(garante, provider) as served:
        yield served
    garante.close()
