"""A running server seen from the TAXII side: the partners, their tokens, request helpers."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

import httpx

from garante.taxii.app import collection_id
from garante.taxii.media import TAXII_JSON
from tests.support.servers import Server
from tests.support.stores import Store

PARTNERS = ("dea", "nca", "fbi", "hsi", "afp")
NEWCOMER = "afp"  # registered after the replay: a partner nothing has been released to
ANALYST_AGENCY = "dipol"  # an analyst token: internal, never a TAXII caller


@dataclass(frozen=True)
class Template:
    store: Store
    tokens: dict[str, str]  # partner agency id -> token; "analyst" -> an analyst token


@dataclass
class Taxii:
    """A running server seen from the TAXII side: tokens and small request helpers."""

    server: Server
    tokens: dict[str, str]

    @property
    def discovery(self) -> str:
        return f"{self.server.url}/taxii2/"

    @property
    def api_root(self) -> str:
        return f"{self.server.url}/taxii2/api/"

    def collection(self, agency: str) -> str:
        """The URL of the agency's collection (ends with a slash, as TAXII wants)."""
        return f"{self.api_root}collections/{collection_id(agency)}/"

    def headers(self, agency: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[agency]}", "Accept": TAXII_JSON}

    def get(self, url: str, agency: str | None, **params: Any) -> httpx.Response:
        headers = self.headers(agency) if agency else {"Accept": TAXII_JSON}
        return httpx.get(url, headers=headers, params=params, timeout=30)

    def objects(self, agency: str, **params: Any) -> httpx.Response:
        return self.get(self.collection(agency) + "objects/", agency, **params)

    def manifest(self, agency: str, **params: Any) -> httpx.Response:
        return self.get(self.collection(agency) + "manifest/", agency, **params)

    def released(self, agency: str) -> list[dict[str, Any]]:
        """The requests released to ``agency``, as the REST API shows them to that partner."""
        response = httpx.get(
            f"{self.server.api}/releases",
            headers={"Authorization": f"Bearer {self.tokens[agency]}"},
            params={"limit": 1000},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def release(self, item: str, *, to: str, purpose: str) -> dict[str, Any]:
        """An analyst requests a release over the REST API; returns the decision."""
        response = httpx.post(
            f"{self.server.api}/releases",
            headers={"Authorization": f"Bearer {self.tokens['analyst']}"},
            json={"item": item, "recipient": to, "purpose": purpose},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        decided: dict[str, Any] = response.json()
        return decided

    def request_id(self, agency: str, item: str) -> str:
        """The id of the (one) request that released ``item`` to ``agency``."""
        (found,) = [r["id"] for r in self.released(agency) if r["item"] == item]
        return str(found)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI on the server's store, failing the test with its stderr if it fails."""
        result = self.server.cli(*args)
        assert result.returncode == 0, f"garante {' '.join(args)}:\n{result.stderr}"
        return result
